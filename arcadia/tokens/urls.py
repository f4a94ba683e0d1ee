"""URLs of the API tokens API."""

from django.urls import path

from arcadia.tokens.apis import TokenListCreateApi, TokenRevokeApi

urlpatterns = [
    path("tokens/", TokenListCreateApi.as_view(), name="token-list"),
    path("tokens/<str:prefix>/", TokenRevokeApi.as_view(), name="token-revoke"),
]
