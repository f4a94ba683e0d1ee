"""API and admin clients for tests: a user's token client, an admin action run."""

from django.urls import reverse
from rest_framework.test import APIClient

from arcadia.tokens.services import api_token_create


def token_client(user) -> APIClient:
    """An API client that authenticates as ``user`` with a fresh token."""
    client = APIClient()
    _, token = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def run_admin_action(client, changelist: str, action: str, objects) -> str:
    """POST an admin changelist action over ``objects``; the page it ends on."""
    response = client.post(
        reverse(changelist),
        {"action": action, "_selected_action": [str(o.pk) for o in objects]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()
