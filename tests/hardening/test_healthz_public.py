"""/healthz tells anyone ok or failed only; details need staff or a token (issue 22, item 8)."""

import socket

import pytest

from tests import factories
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_public_healthz_says_ok_only(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_public_healthz_says_failed_only(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (503, {"status": "failed"})


def test_details_are_hidden_from_anonymous_callers_and_tenant_users(client, settings):
    settings.ARCADIA_HEALTH_TOKEN = "probe-token-of-the-monitoring"
    assert client.get("/healthz/details").status_code == 404
    assert client.get("/healthz/details", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    tenant_user = token_client(factories.UserFactory(tenant=factories.TenantFactory()))
    assert tenant_user.get("/healthz/details").status_code == 404


def test_staff_see_the_details(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    client.force_login(factories.UserFactory(username="operator", is_staff=True))
    body = client.get("/healthz/details").json()
    assert body["status"] == "ok"
    assert body["checks"]["broker"]["detail"] == "embedded"
    assert "minute" in body["budget"]


def test_a_monitor_with_the_health_token_sees_the_details(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    settings.ARCADIA_HEALTH_TOKEN = "probe-token-of-the-monitoring"
    response = client.get("/healthz/details", HTTP_AUTHORIZATION="Bearer probe-token-of-the-monitoring")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True
