"""The same Idempotency-Key with a different body in any field is refused,
never replayed (issue 22, item 10)."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from provisioning.engine import Saga
from tests import factories
from tests.support.bodies import PENDING
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db

BODY = PENDING


@pytest.fixture
def client(db):
    return token_client(factories.UserFactory(tenant=factories.TenantFactory(slug="globex")))


def test_provision_true_after_provision_false_under_one_key_is_a_conflict(client):
    first = client.post("/api/deployments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201, first.content

    again = client.post(
        "/api/deployments/", {**BODY, "provision": True}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert again.status_code == 409, again.content
    assert "Idempotency-Key" in again.json()["detail"]
    assert "Idempotent-Replayed" not in again
    assert Deployment.objects.get().status == DeploymentStatus.PENDING
    assert not Saga.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"name": "shop"},
        {"region": "ams3"},
        {"size": "s-2vcpu-2gb"},
        {"image": "debian-12-x64"},
        {"provision": True},
    ],
)
def test_every_field_of_the_body_counts(client, change):
    client.post("/api/deployments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    again = client.post("/api/deployments/", {**BODY, **change}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert again.status_code == 409, again.content
    assert Deployment.objects.count() == 1


def test_the_same_body_normalised_is_replayed(client):
    # Keys in another order, and the tenant named though it is the only one:
    # the validated body is the same, so the first answer comes back.
    first = client.post("/api/deployments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    reordered = dict(reversed(list({**BODY, "tenant": "globex"}.items())))
    again = client.post("/api/deployments/", reordered, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_the_stored_body_has_every_field_of_the_input(client):
    # A field added to the input later is compared without anyone
    # remembering to: the stored body is the validated one, less the tenant.
    from deployments.serializers import DeploymentCreateInputSerializer

    client.post("/api/deployments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k4")
    stored = Deployment.objects.get().idempotency_request
    assert set(stored) == set(DeploymentCreateInputSerializer().fields) - {"tenant"}
