"""``manage.py create_tenant_user`` makes a tenant, a user and a usable token."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from deployments.models import TenantMembership

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_tenant_user", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_prints_a_token_that_works_and_is_stable():
    token = run("--tenant", "acme", "--username", "alice")
    assert run("--tenant", "acme", "--username", "alice") == token
    assert TenantMembership.objects.filter(tenant__slug="acme", user__username="alice").count() == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/deployments/").status_code == 200


@pytest.mark.parametrize("slug", ["Acme", "acme_corp", "-acme", "a" * 21])
def test_refuses_slugs_that_are_not_dns_labels(slug):
    with pytest.raises(CommandError):
        run("--tenant", slug, "--username", "alice")
