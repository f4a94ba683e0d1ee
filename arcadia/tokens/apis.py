"""``/api/tokens/``: a user's own API tokens. The token itself is in the
answer to the POST that creates it and nowhere else."""

from datetime import timedelta

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from arcadia.exceptions import ApiErrorsMixin
from arcadia.parsers import DepthLimitedJSONParser
from arcadia.tokens.selectors import api_token_list
from arcadia.tokens.services import api_token_create, api_token_revoke

_ERROR = OpenApiResponse(OpenApiTypes.OBJECT, "field errors ({field: [message]})")
_NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, "none of your tokens starts with this prefix")
_UNAVAILABLE = OpenApiResponse(OpenApiTypes.OBJECT, "the database is down: {detail, unavailable}")


class TokenOutputSerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text="The token's first characters; its id in /api/tokens/{prefix}/.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="After this the token no longer works.")


class TokenListCreateApi(ApiErrorsMixin, generics.GenericAPIView):
    serializer_class = TokenOutputSerializer
    # JSON only: a form body has no field this endpoint could read.
    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(serializers.Serializer):
        expires_in_days = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=settings.ARCADIA_TOKEN_TTL_DAYS,
            help_text="Shorter than the operator's maximum (ARCADIA_TOKEN_TTL_DAYS, the default).",
        )

    class CreatedSerializer(TokenOutputSerializer):
        token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'. Shown only here.")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return api_token_list(user=None)
        return api_token_list(user=self.request.user)

    @extend_schema(
        summary="Your API tokens that still work (never the tokens themselves)",
        responses={200: TokenOutputSerializer(many=True), 400: _ERROR, 404: _NOT_FOUND, 503: _UNAVAILABLE},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TokenOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="A new API token for you, shown once",
        request=InputSerializer,
        responses={201: CreatedSerializer, 400: _ERROR, 503: _UNAVAILABLE},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        days = data.validated_data.get("expires_in_days")
        instance, token = api_token_create(
            user=request.user, expires_in=timedelta(days=days) if days else None
        )
        body = {"prefix": instance.prefix, "created": instance.created, "expiry": instance.expiry}
        return Response(self.CreatedSerializer({**body, "token": token}).data, status=status.HTTP_201_CREATED)


class TokenRevokeApi(ApiErrorsMixin, APIView):
    @extend_schema(
        summary="Revoke one of your API tokens (the one you call with, too)",
        parameters=[OpenApiParameter("prefix", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, 404: _NOT_FOUND, 503: _UNAVAILABLE},
    )
    def delete(self, request, prefix: str):
        if not api_token_revoke(user=request.user, prefix=prefix):
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
