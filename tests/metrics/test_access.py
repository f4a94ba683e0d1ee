"""Who may read /metrics: the bearer token's holder or staff; by default nobody else."""

import pytest
from django.test import Client

from tests import factories
from tests.metrics.helpers import TOKEN

pytestmark = pytest.mark.django_db


def test_without_a_token_configured_an_anonymous_scrape_finds_nothing(client, settings):
    settings.ARCADIA_METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_configured_token_reads_the_metrics(client, settings):
    settings.ARCADIA_METRICS_TOKEN = TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert b"arcadia_build_info" in response.content


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", "Bearer "])
def test_a_missing_or_wrong_token_is_a_401_asking_for_it(client, settings, header):
    settings.ARCADIA_METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}

    response = client.get("/metrics", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_staff_read_the_metrics_in_their_session(settings):
    settings.ARCADIA_METRICS_TOKEN = ""
    browser = Client()
    browser.force_login(factories.UserFactory(is_staff=True))

    response = browser.get("/metrics")

    assert response.status_code == 200
    assert b"arcadia_sagas_started_total" in response.content


def test_a_tenant_user_is_refused(settings, tenant_user):
    settings.ARCADIA_METRICS_TOKEN = TOKEN
    browser = Client()
    browser.force_login(tenant_user)

    response = browser.get("/metrics")

    assert response.status_code == 403


def test_only_get_is_served(client, settings):
    settings.ARCADIA_METRICS_TOKEN = TOKEN

    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405


def test_a_post_without_credentials_learns_nothing(client, settings):
    settings.ARCADIA_METRICS_TOKEN = ""

    assert client.post("/metrics").status_code == 404
