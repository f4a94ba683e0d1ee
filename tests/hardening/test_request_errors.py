"""Hostile bodies and query strings answer JSON 4xx, never a 500 or HTML (issue 22, items 2–4)."""

import pytest
from django.test import override_settings

from tests import factories
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(db):
    return token_client(factories.UserFactory(tenant=factories.TenantFactory()))


def test_deeply_nested_json_body_is_a_json_400(client):
    body = "[" * 3000 + "]" * 3000
    response = client.post("/api/deployments/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nest" in response.json()["detail"]


def test_moderately_nested_json_is_still_parsed(client):
    # The limit refuses hostile nesting, not a body a client might send.
    response = client.post(
        "/api/deployments/", data='{"name": [[[["web"]]]]}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "name" in response.json()


# Ids are public ids (UUIDs, tests/hardening/test_public_ids.py): an
# integer, in range or not, is no id and the form refuses it.
@pytest.mark.parametrize(
    "value", ["9223372036854775807", "9223372036854775808", "1e20", "-99999999999999999999", "0", "x", ""]
)
def test_id_filter_that_is_no_public_id_is_a_json_400(client, value):
    response = client.get("/api/resources/", {"deployment": value})
    assert response.status_code == 400
    assert "deployment" in response.json()


def test_id_filter_of_an_unknown_public_id_still_filters(client):
    response = client.get("/api/resources/", {"deployment": "00000000-0000-4000-8000-000000000000"})
    assert response.status_code == 200
    assert response.json()["results"] == []


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_body_over_the_size_cap_is_a_json_400(client):
    body = '{"name": "' + "a" * 2048 + '"}'
    response = client.post("/api/deployments/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "large" in response.json()["detail"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
