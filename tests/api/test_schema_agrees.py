"""The OpenAPI schema says what the API answers: nullable timestamps are
nullable, error answers are documented, ``?page=`` is a positive integer."""

import pytest
import yaml

from tests import factories
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    user = factories.UserFactory(username="alice", tenant=factories.TenantFactory(slug="acme"))
    return token_client(user)


@pytest.fixture
def schema(api):
    return yaml.safe_load(api.get("/api/schema/").content)


def test_timestamps_that_start_null_are_declared_nullable(schema):
    parts = schema["components"]["schemas"]
    for field in ("started_at", "finished_at", "compensated_at"):
        assert parts["SagaStepOutput"]["properties"][field].get("nullable") is True, field
    assert parts["SagaOutput"]["properties"]["finished_at"].get("nullable") is True


def test_error_answers_are_documented(schema):
    paths = schema["paths"]
    assert {"201", "202", "400", "503"} <= set(paths["/api/deployments/"]["post"]["responses"])
    assert {"400", "404"} <= set(paths["/api/deployments/"]["get"]["responses"])
    assert {"404"} <= set(paths["/api/deployments/{id}/"]["get"]["responses"])
    for action in ("cancel", "provision"):
        assert {"400", "404", "409"} <= set(paths[f"/api/deployments/{{id}}/{action}/"]["post"]["responses"])
    assert {"400", "404", "409"} <= set(paths["/api/deployments/{id}/"]["delete"]["responses"])


@pytest.mark.parametrize(("page", "status"), [("", 400), ("abc", 400), ("0", 400), ("-1", 400), ("1", 200)])
def test_page_must_be_a_positive_integer(api, page, status):
    response = api.get("/api/deployments/", {"page": page})
    assert response.status_code == status, response.content
    if status == 400:
        assert "page" in response.json()


def test_page_past_the_end_is_404(api):
    assert api.get("/api/deployments/", {"page": 2}).status_code == 404
