"""``manage.py create_tenant_user`` makes a tenant, a user and a usable token."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from deployments.models import TenantMembership

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_tenant_user", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def authenticates(token: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/deployments/").status_code == 200


def test_prints_a_new_token_each_run_that_works_and_is_stored_only_as_a_digest():
    first = run("--tenant", "acme", "--username", "alice")
    second = run("--tenant", "acme", "--username", "alice")
    assert first != second
    assert TenantMembership.objects.filter(tenant__slug="acme", user__username="alice").count() == 1
    assert authenticates(first) and authenticates(second)
    stored = list(AuthToken.objects.values_list("digest", "token_key"))
    assert len(stored) == 2
    assert not any(token in value for token in (first, second) for row in stored for value in row)


@pytest.mark.parametrize("slug", ["Acme", "acme_corp", "-acme", "a" * 21])
def test_refuses_slugs_that_are_not_dns_labels(slug):
    with pytest.raises(CommandError):
        run("--tenant", slug, "--username", "alice")
