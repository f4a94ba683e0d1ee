"""Rate limiting is back-pressure: a saga waits out 429s for as long as
DigitalOcean keeps answering them, without spending its retry budget."""

import pytest

from provisioning.engine import SagaStatus
from tests.provisioning import helpers as h

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_rate_limit_longer_than_the_retry_budget_waits_instead_of_failing(provisioner, sim, alice_client):
    # Six 429s in a row: one more than a step's transient attempts (5).
    sim.faults("record_create", fail_next=6, status=429, retry_after=0)

    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    saga = h.wait_saga(body["saga"]["id"], timeout=60)

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    step = saga.steps.get(name="point_deployment_dns")
    # Six waits for the budget (the 429s paused it), counted as neither
    # attempts nor polls: one real try, and the waits set apart.
    assert (step.attempts, step.polls) == (1, 0)
    assert step.throttled_seconds > 0
    assert len(h.droplets(sim)) == 1
