"""API tokens are stored as digests, shown once, expire, and are listed and
revoked by their user (issue 22, item 9); DRF's old tokens keep working
after the migration that hashes them."""

from datetime import timedelta

import pytest
from django.apps.registry import Apps
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import factories
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def new_token(client: APIClient, **body) -> dict:
    response = client.post("/api/tokens/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def table_text(table: str) -> str:
    """Every value of every row, as text: what someone reading the database sees."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return repr(cursor.fetchall())


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice", tenant=factories.TenantFactory(slug="acme"))


def test_the_database_holds_no_token_only_its_digest(alice):
    created = new_token(token_client(alice))
    token = created["token"]
    assert token.startswith(created["prefix"]) and len(token) == 64
    assert token not in table_text(AuthToken._meta.db_table)
    assert client_with(token).get("/api/me/").status_code == 200


def test_a_token_is_shown_once_and_listed_without_it(alice):
    client = token_client(alice)
    created = new_token(client)
    listed = client.get("/api/tokens/").json()["results"]
    assert created["prefix"] in [t["prefix"] for t in listed]
    assert all(set(t) == {"prefix", "created", "expiry"} for t in listed)
    assert created["token"] not in repr(listed)


def test_a_user_lists_only_its_own_tokens(alice):
    bob = factories.UserFactory(username="bob", tenant=factories.TenantFactory(slug="beta"))
    bobs = new_token(token_client(bob))
    listed = token_client(alice).get("/api/tokens/").json()["results"]
    assert bobs["prefix"] not in [t["prefix"] for t in listed]
    assert len(listed) == 1  # the client's own


def test_a_revoked_token_no_longer_authenticates(alice):
    client = token_client(alice)
    other = new_token(client)
    assert client.delete(f"/api/tokens/{other['prefix']}/").status_code == 204
    assert client_with(other["token"]).get("/api/me/").status_code == 401
    assert client.delete(f"/api/tokens/{other['prefix']}/").status_code == 404


def test_another_users_token_cannot_be_revoked(alice):
    bob = factories.UserFactory(username="bob", tenant=factories.TenantFactory(slug="beta"))
    bobs = new_token(token_client(bob))
    assert token_client(alice).delete(f"/api/tokens/{bobs['prefix']}/").status_code == 404
    assert client_with(bobs["token"]).get("/api/me/").status_code == 200


def test_a_token_expires_after_the_default_ttl(alice):
    created = new_token(token_client(alice))
    expiry = AuthToken.objects.get(token_key=created["prefix"]).expiry
    assert abs(expiry - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)


def test_the_operator_sets_the_ttl(alice, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=7)}
    created = new_token(token_client(alice))
    expiry = AuthToken.objects.get(token_key=created["prefix"]).expiry
    assert abs(expiry - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_a_user_may_ask_for_a_shorter_life_never_a_longer_one(alice):
    client = token_client(alice)
    created = new_token(client, expires_in_days=1)
    expiry = AuthToken.objects.get(token_key=created["prefix"]).expiry
    assert abs(expiry - (timezone.now() + timedelta(days=1))) < timedelta(minutes=1)
    refused = client.post("/api/tokens/", {"expires_in_days": 91}, format="json")
    assert refused.status_code == 400 and "expires_in_days" in refused.json()


def test_an_expired_token_is_refused(alice):
    created = new_token(token_client(alice))
    AuthToken.objects.filter(token_key=created["prefix"]).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client_with(created["token"]).get("/api/me/").status_code == 401
    assert not AuthToken.objects.filter(token_key=created["prefix"]).exists()


def test_a_header_that_is_not_utf8_is_a_401_not_a_500(api_client):
    # Django hands header bytes over as Latin-1; knox decodes them as UTF-8.
    api_client.credentials(HTTP_AUTHORIZATION="Token caf\xe9")
    response = api_client.get("/api/me/")
    assert response.status_code == 401 and response["Content-Type"] == "application/json"


def test_the_admin_shows_neither_the_token_nor_its_digest(alice, client):
    created = new_token(token_client(alice))
    row = AuthToken.objects.get(token_key=created["prefix"])
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    pages = [
        client.get("/admin/tokens/apitoken/").content.decode(),
        client.get(f"/admin/tokens/apitoken/{row.pk}/change/").content.decode(),
    ]
    assert created["prefix"] in pages[0]
    for page in pages:
        # The digest is knox's primary key, so links and checkboxes carry it
        # (it cannot be turned back into the token); it is never a value shown.
        assert created["token"] not in page and f">{row.digest}<" not in page
    assert client.get("/admin/knox/authtoken/").status_code == 404


# --- the migration from DRF's clear-text tokens ------------------------------------
def drf_token_table():
    """DRF's authtoken_token as its migrations left it (the app is no longer
    installed, so the model is declared here, in a registry of its own)."""

    class Token(models.Model):  # noqa: DJ008 (a table fixture, never printed)
        key = models.CharField(max_length=40, primary_key=True)
        user_id = models.IntegerField(unique=True)
        created = models.DateTimeField()

        class Meta:
            app_label = "authtoken"
            db_table = "authtoken_token"
            apps = Apps()

    return Token


@pytest.mark.django_db(transaction=True)
def test_a_drf_token_still_authenticates_after_the_migration_and_its_key_is_gone():
    user = factories.UserFactory(username="old", tenant=factories.TenantFactory(slug="legacy"))
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's documented example key
    executor = MigrationExecutor(connection)
    executor.migrate([("tokens", "0001_api_token")])
    Token = drf_token_table()
    with connection.schema_editor() as editor:
        editor.create_model(Token)
    created = timezone.now() - timedelta(days=400)
    Token.objects.create(key=old_key, user_id=user.pk, created=created)

    executor = MigrationExecutor(connection)
    executor.migrate([("tokens", "0002_hash_drf_tokens")])

    assert "authtoken_token" not in connection.introspection.table_names()
    assert old_key not in table_text(AuthToken._meta.db_table)
    migrated = AuthToken.objects.get(user=user)
    assert migrated.created == created
    assert migrated.expiry > timezone.now() + timedelta(days=89)
    assert client_with(old_key).get("/api/me/").json()["username"] == "old"
    listed = client_with(old_key).get("/api/tokens/").json()["results"]
    assert [t["prefix"] for t in listed] == [old_key[:15]]


def test_a_wrong_token_is_refused():
    assert client_with("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b").get("/api/me/").status_code == 401
