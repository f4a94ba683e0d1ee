"""DigitalOcean calls a provisioned deployment costs: rate limit is the
scarce resource (250 requests/minute per token), so the floor of five —
the POST's DNS look-up (a record Arcadia did not create is refused before a
droplet is bought), create, one status read, the step's DNS look-up (a
record may have appeared since), DNS write — is what a deployment should
spend when the droplet boots within the boot wait; four with
``ARCADIA_DNS_CHECK_AT_POST`` off."""

import pytest

from provisioning.engine import SagaStatus
from tests.provisioning import helpers as h

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("check_at_post", "look_ups"), [(True, 2), (False, 1)], ids=["checked", "unchecked"])
def test_a_deployment_costs_five_api_calls_when_the_boot_wait_covers_the_boot(
    provisioner, sim, alice_client, settings, check_at_post, look_ups
):
    settings.ARCADIA_DNS_CHECK_AT_POST = check_at_post
    sim.configure(boot_delay=0.2)
    settings.ARCADIA_DROPLET_BOOT_WAIT = 0.6  # longer than the simulated boot

    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    saga = h.wait_saga(body["saga"]["id"])

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    counts = {op: n for op, n in sim.state()["counts"].items() if n}
    assert counts == {"droplet_create": 1, "droplet_get": 1, "record_list": look_ups, "record_create": 1}


def test_a_retried_create_looks_for_its_droplet_before_creating_again(provisioner, sim, alice_client):
    # The first create's answer is lost (503) after the droplet was made:
    # the retry must find it by its saga tag, not create a second one.
    sim.faults("droplet_create", lost_response=1, lost_mode="error", status=503)
    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    saga = h.wait_saga(body["saga"]["id"])

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert len(h.droplets(sim)) == 1
    counts = sim.state()["counts"]
    assert counts["droplet_create"] == 1 and counts["droplet_list"] >= 1
