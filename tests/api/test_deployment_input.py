"""Bad input is a 400 naming the field, never a 500."""

import pytest

from deployments.models import Deployment
from tests import factories
from tests.support.bodies import PENDING

pytestmark = pytest.mark.django_db

GOOD = PENDING


def without(field):
    return {k: v for k, v in GOOD.items() if k != field}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without("name"), "name"),
        (without("region"), "region"),
        (without("size"), "size"),
        (without("image"), "image"),
        ({**GOOD, "name": "a" * 41}, "name"),
        ({**GOOD, "name": "Web"}, "name"),
        ({**GOOD, "name": "web_1"}, "name"),
        ({**GOOD, "name": "-web"}, "name"),
        ({**GOOD, "name": "web-"}, "name"),
        ({**GOOD, "name": "web.example"}, "name"),
        ({**GOOD, "name": ""}, "name"),
        ({**GOOD, "name": 123}, "name"),
        ({**GOOD, "name": None}, "name"),
        ({**GOOD, "name": ["web"]}, "name"),
        ({**GOOD, "region": "NYC3"}, "region"),
        ({**GOOD, "region": "new-york"}, "region"),
        ({**GOOD, "region": 3}, "region"),
        ({**GOOD, "size": "s 1vcpu"}, "size"),
        ({**GOOD, "size": "a" * 65}, "size"),
        ({**GOOD, "image": "Ubuntu 24"}, "image"),
        ({**GOOD, "image": {"slug": "ubuntu"}}, "image"),
        ({**GOOD, "provision": "maybe"}, "provision"),
        ({**GOOD, "tenant": ""}, "tenant"),
        ({**GOOD, "tenant": "no body"}, "tenant"),
        ({**GOOD, "tenant": 7}, "tenant"),
    ],
)
def test_bad_input_is_400_with_the_field_named(client_for, alice, body, field):
    response = client_for(alice).post("/api/deployments/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("form", [False, True])
def test_an_empty_tenant_is_400_in_a_form_too(client_for, alice, form):
    # DRF drops an optional form field sent empty; the API reads it as sent.
    body = {**GOOD, "tenant": ""}
    response = client_for(alice).post("/api/deployments/", body, **({} if form else {"format": "json"}))
    assert response.status_code == 400, response.content
    assert "tenant" in response.json()


def test_a_tenant_not_yours_is_404_with_the_field_named(client_for, alice):
    response = client_for(alice).post("/api/deployments/", {**GOOD, "tenant": "nobody"}, format="json")
    assert response.status_code == 404, response.content
    assert "tenant" in response.json()
    assert not Deployment.objects.exists()


def test_name_and_tenant_are_labels_of_their_own_so_long_ones_fit(client_for):
    # <name>.<tenant>: each part is its own DNS label (the old <name>-<tenant>
    # had to fit both in one 63-character label).
    tenant = factories.TenantFactory(slug="a-very-long-tenant-slug-x")  # 25 characters
    user = factories.UserFactory(tenant=tenant)
    body = {**GOOD, "name": "n" * 40}
    response = client_for(user).post("/api/deployments/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["hostname"] == f"{'n' * 40}.a-very-long-tenant-slug-x.arcadia.test"


@pytest.mark.parametrize("payload", ["{not json", "[]", '"a string"', "null"])
def test_malformed_json_is_400(client_for, alice, payload):
    response = client_for(alice).post("/api/deployments/", payload, content_type="application/json")
    assert response.status_code == 400


def test_hostname_taken_by_a_live_deployment_is_409_on_name(client_for, alice, acme):
    factories.DeploymentFactory(tenant=acme, name="web")
    response = client_for(alice).post("/api/deployments/", GOOD, format="json")
    assert response.status_code == 409
    assert "name" in response.json()


def test_user_in_several_tenants_must_name_one(client_for, alice):
    other = factories.TenantFactory(slug="globex")
    factories.TenantMembershipFactory(user=alice, tenant=other)
    response = client_for(alice).post("/api/deployments/", GOOD, format="json")
    assert response.status_code == 400
    assert "tenant" in response.json()
    named = client_for(alice).post("/api/deployments/", {**GOOD, "tenant": "globex"}, format="json")
    assert named.status_code == 201
    assert named.json()["tenant"] == "globex"
    assert named.json()["hostname"] == "web.globex.arcadia.test"


def test_user_without_tenant_gets_400(client_for):
    response = client_for(factories.UserFactory()).post("/api/deployments/", GOOD, format="json")
    assert response.status_code == 400
    assert "tenant" in response.json()


def test_bad_status_filter_is_400(client_for, alice):
    assert client_for(alice).get("/api/deployments/?status=bogus").status_code == 400


def test_unknown_ids_are_404_not_500(client_for, alice):
    client = client_for(alice)
    assert client.get("/api/deployments/abc/").status_code == 404
    assert client.get("/api/deployments/999999/").status_code == 404
    assert client.get("/api/sagas/not-a-uuid/").status_code == 404
    assert client.get("/api/resources/xyz/").status_code == 404


def test_over_long_idempotency_key_is_400(client_for, alice):
    response = client_for(alice).post(
        "/api/deployments/", GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert response.status_code == 400
