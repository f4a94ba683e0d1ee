"""Strict input: booleans are JSON booleans, names are taken as sent, and
punycode labels are refused, and the schema says so (issue 22, item 11)."""

import pytest

from deployments.models import Deployment
from provisioning.engine import Saga
from tests import factories
from tests.support.bodies import PENDING
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db

GOOD = PENDING


@pytest.fixture
def client(db):
    return token_client(factories.UserFactory(tenant=factories.TenantFactory(slug="globex")))


@pytest.mark.parametrize("value", ["yes", "true", "false", "1", 1, 0, "on", None])
def test_provision_must_be_a_json_boolean(client, value):
    response = client.post("/api/deployments/", {**GOOD, "provision": value}, format="json")
    assert response.status_code == 400, response.content
    assert "provision" in response.json()
    assert not Deployment.objects.exists() and not Saga.objects.exists()


@pytest.mark.parametrize("name", ["web\n", " web", "web ", "web\t", "\nweb", "we\nb"])
def test_a_name_is_never_trimmed_into_a_valid_one(client, name):
    response = client.post("/api/deployments/", {**GOOD, "name": name}, format="json")
    assert response.status_code == 400, response.content
    assert "name" in response.json()
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("name", ["xn--web", "xn--bcher-kva", "ab--c"])
def test_punycode_and_other_reserved_labels_are_refused_with_a_clear_message(client, name):
    response = client.post("/api/deployments/", {**GOOD, "name": name}, format="json")
    assert response.status_code == 400, response.content
    (message,) = response.json()["name"]
    assert "--" in message and "punycode" in message.lower()
    assert not Deployment.objects.exists()


def test_an_inner_double_hyphen_elsewhere_is_still_a_name(client):
    response = client.post("/api/deployments/", {**GOOD, "name": "web--1"}, format="json")
    assert response.status_code == 201, response.content


def test_a_form_still_sends_its_checkbox(client):
    # The browsable API's form sends text; only JSON is held to booleans.
    form = {**GOOD, "provision": "false"}
    response = client.post("/api/deployments/", form)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"


def test_the_schema_says_so(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    body = schema["components"]["schemas"]["DeploymentCreateInput"]["properties"]
    assert body["provision"]["type"] == "boolean"
    assert "string" in body["provision"]["description"].lower()
    name = body["name"]
    assert name["pattern"].startswith("^(?!")  # the reserved ??-- labels are outside the pattern
    assert "punycode" in name["description"].lower() and "trimmed" in name["description"].lower()
