"""The deployment list carries a summary of each current saga (where it
stands, where it failed), not every step; the browsable API's form means
what it shows."""

import re

import pytest
from django.http import QueryDict

from deployments.serializers import DeploymentCreateInputSerializer
from tests import factories

pytestmark = pytest.mark.django_db

FORM = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def rolled_back(acme):
    deployment = factories.DeploymentFactory(tenant=acme, name="shop", status="cancelled")
    saga = factories.SagaFactory(
        deployment=deployment, kind="provision_deployment", status="compensated", error="422: taken"
    )
    for index, name in enumerate(["mark_deployment_provisioning", "create_droplet", "point_deployment_dns"]):
        step = factories.SagaStepFactory(saga=saga, index=index, name=name, status="compensated")
        event = "step_failed" if index == 2 else "step_succeeded"
        factories.SagaEventFactory(saga=saga, step=step, event=event, detail={"error": "422: taken"})
    return deployment


def test_list_summarizes_the_current_saga_without_steps(client_for, alice, acme):
    rolled_back(acme)
    body = client_for(alice).get("/api/deployments/").json()
    saga = body["results"][0]["saga"]
    assert "steps" not in saga
    assert saga["status"] == "compensated"
    assert saga["progress"] == "0/3"
    assert saga["failed_step"] == {"index": 2, "name": "point_deployment_dns", "error": "422: taken"}
    assert saga["stalled"] is False


def test_detail_keeps_every_step(client_for, alice, acme):
    deployment = rolled_back(acme)
    saga = client_for(alice).get(f"/api/deployments/{deployment.public_id}/").json()["saga"]
    assert [step["name"] for step in saga["steps"]] == [
        "mark_deployment_provisioning",
        "create_droplet",
        "point_deployment_dns",
    ]


def test_browsable_form_shows_provision_ticked(client, alice):
    client.force_login(alice)
    page = client.get("/api/deployments/", HTTP_ACCEPT="text/html").content.decode()
    checkbox = re.search(r'<input[^>]*name="provision"[^>]*>', page).group(0)
    assert "checked" in checkbox


def test_unticked_checkbox_means_false_and_json_default_stays_true():
    def provision(data):
        serializer = DeploymentCreateInputSerializer(data=data)
        assert serializer.is_valid(), serializer.errors
        return serializer.validated_data["provision"]

    form = QueryDict(mutable=True)
    form.update(FORM)
    assert provision(form) is False  # an HTML form sends nothing for an unticked box
    form["provision"] = "on"
    assert provision(form) is True
    assert provision(dict(FORM)) is True  # JSON without the key: provision


def test_submitting_the_form_unticked_creates_pending(client, alice):
    client.force_login(alice)
    response = client.post("/api/deployments/", FORM)  # multipart, as the browsable form posts
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
