"""A DNS record Arcadia did not create is never overwritten or deleted unless
an operator allowed adopting it; then teardown puts it back as it was found
(issue 22, item 1). Through the API, the real steps and the simulator."""

import pytest

from deployments.models import Deployment
from provisioning.engine import Saga, SagaStatus, StepStatus
from tests import factories
from tests.provisioning import helpers as h
from tests.support.clients import token_client

pytestmark = [pytest.mark.django_db(transaction=True)]

BY_HAND = "198.51.100.9"


@pytest.fixture
def globex_client(transactional_db):
    return token_client(factories.UserFactory(username="gina", tenant=factories.TenantFactory(slug="globex")))


def mail(**extra) -> dict:
    return {**h.BODY, "name": "mail", **extra}


def test_a_hand_made_record_refuses_the_post_before_any_droplet_and_survives(provisioner, sim, globex_client):
    made = h.dns_seed(sim, "mail.globex", BY_HAND, ttl=1800)
    before = h.a_record(sim, "mail.globex")

    response = globex_client.post("/api/deployments/", mail(), format="json")

    assert response.status_code == 409, response.content
    (message,) = response.json()["name"]
    assert f"mail.globex.arcadia.test → {BY_HAND} (id {made['id']})" in message
    assert not Deployment.objects.exists() and not Saga.objects.exists()
    assert h.droplets(sim) == [] and sim.requests("droplet_create") == []
    # Another deployment's whole life (POST, active, DELETE) leaves it too.
    web = globex_client.post("/api/deployments/", h.BODY, format="json").json()
    assert h.wait_saga(web["saga"]["id"]).status == SagaStatus.SUCCEEDED
    teardown = globex_client.delete(f"/api/deployments/{web['id']}/").json()["saga"]
    assert h.wait_saga(teardown["id"]).status == SagaStatus.SUCCEEDED
    assert h.a_record(sim, "mail.globex") == before  # byte for byte


def test_a_pending_deployment_is_refused_at_provision_too(provisioner, sim, globex_client):
    pending = globex_client.post("/api/deployments/", mail(provision=False), format="json").json()
    h.dns_seed(sim, "mail.globex", BY_HAND, ttl=1800)
    before = h.a_record(sim, "mail.globex")

    response = globex_client.post(f"/api/deployments/{pending['id']}/provision/")

    assert response.status_code == 409, response.content
    assert BY_HAND in response.json()["name"][0]
    assert Deployment.objects.get().status == "pending" and not Saga.objects.exists()
    assert h.a_record(sim, "mail.globex") == before


def test_a_record_the_post_did_not_see_fails_the_saga_for_good_and_the_droplet_goes(
    provisioner, sim, globex_client
):
    # DigitalOcean does not answer the POST's look-up (the POST goes on: the
    # step looks again), or the record appears after it: the same to the step.
    h.dns_seed(sim, "mail.globex", BY_HAND, ttl=1800)
    before = h.a_record(sim, "mail.globex")
    sim.faults("record_list", fail_next=1, status=503)

    response = globex_client.post("/api/deployments/", mail(), format="json")

    assert response.status_code == 202, response.content
    saga = h.wait_saga(response.json()["saga"]["id"])
    assert saga.status == SagaStatus.COMPENSATED
    step = saga.steps.get(name="point_deployment_dns")
    assert step.status == StepStatus.COMPENSATED and step.attempts == 1  # failed for good at once
    assert "did not create" in saga.error and BY_HAND in saga.error
    assert Deployment.objects.get().status == "cancelled"
    h.wait_until(lambda: h.droplets(sim) == [], what="the droplet destroyed by the rollback")
    assert h.a_record(sim, "mail.globex") == before
    assert sim.requests("record_update") == [] and sim.requests("record_delete") == []


def test_where_adopting_is_allowed_teardown_puts_the_record_back_as_found(
    provisioner, sim, globex_client, settings
):
    settings.ARCADIA_DNS_ADOPT_EXISTING = True
    h.dns_seed(sim, "mail.globex", BY_HAND, ttl=1800)
    before = h.a_record(sim, "mail.globex")

    body = globex_client.post("/api/deployments/", mail(), format="json").json()
    assert h.wait_saga(body["saga"]["id"]).status == SagaStatus.SUCCEEDED
    adopted = h.a_record(sim, "mail.globex")
    assert adopted["id"] == before["id"] and adopted["data"] == h.droplet_ipv4(h.droplets(sim)[0])

    teardown = globex_client.delete(f"/api/deployments/{body['id']}/").json()["saga"]

    assert h.wait_saga(teardown["id"]).status == SagaStatus.SUCCEEDED
    h.wait_until(lambda: h.droplets(sim) == [], what="droplet destroyed")
    assert h.a_record(sim, "mail.globex") == before  # byte for byte
    assert [r["name"] for r in h.records(sim) if r["type"] == "A"] == ["mail.globex"]


def test_a_retry_still_knows_its_own_record_after_a_lost_answer(provisioner, sim, globex_client):
    # The create happens, its answer is lost: the retry finds a record at its
    # name, with its address, after its own checkpoint: its own, not refused.
    sim.faults("record_create", lost_response=1, lost_mode="error", status=503)

    body = globex_client.post("/api/deployments/", mail(), format="json").json()

    saga = h.wait_saga(body["saga"]["id"])
    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert saga.steps.get(name="point_deployment_dns").attempts == 2
    record = h.a_record(sim, "mail.globex")
    assert saga.context["dns_record_id"] == record["id"] and saga.context["dns_previous"] is None
    teardown = globex_client.delete(f"/api/deployments/{body['id']}/").json()["saga"]
    assert h.wait_saga(teardown["id"]).status == SagaStatus.SUCCEEDED
    assert h.a_record(sim, "mail.globex") is None


def _look_ups(sim) -> tuple[int, int]:
    """(zone listings, look-ups by name of mail.globex) of A records so far:
    the sagas these POSTs start look their own names up as they run."""
    queries = [r["query"] or {} for r in sim.requests("record_list")]
    listed = [q for q in queries if "name" not in q]
    return len(listed), sum(1 for q in queries if str(q.get("name", "")).startswith("mail.globex"))


def test_a_burst_of_posts_is_checked_against_one_listing_of_the_zone(provisioner, sim, globex_client):
    # ``provisioner``: the sagas these POSTs start must end before the
    # database teardown (the session's worker would run them into the flush).
    # One look-up per POST would be a quarter of each deployment's calls at
    # the limit: ten POSTs share one listing; a name the listing shows is
    # looked up by name before the POST is refused.
    h.dns_seed(sim, "mail.globex", BY_HAND, ttl=1800)
    for n in range(10):
        body = {**h.BODY, "name": f"web{n}"}
        assert globex_client.post("/api/deployments/", body, format="json").status_code == 202
    assert _look_ups(sim) == (1, 0)

    assert globex_client.post("/api/deployments/", mail(), format="json").status_code == 409
    assert _look_ups(sim) == (1, 1)
    # Gone since the listing (removed by hand, or a deployment just deleted
    # took it): the look-up by name lets the POST through.
    sim.record_delete_behind("arcadia.test", h.a_record(sim, "mail.globex")["id"])
    assert globex_client.post("/api/deployments/", mail(), format="json").status_code == 202
    assert _look_ups(sim) == (1, 2)
