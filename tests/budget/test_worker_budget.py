"""The budget on the production shape: a real prefork worker (2 processes)
sharing one budget in Redis, against ``python -m dosim`` at a low limit."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from dosim.ratelimit import most_in_any_window
from provisioning.engine import SagaStatus
from tests import factories
from tests.provisioning import helpers as h
from tests.support.clients import token_client
from tests.support.worker import redis_url_for_tests

pytestmark = pytest.mark.integration

LIMIT = 30
WORKER_ENV = {
    "ARCADIA_DO_RATE_LIMIT_PER_MINUTE": str(LIMIT),
    "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "0",
    "ARCADIA_DO_BUDGET_SHARE": "1.0",
    "ARCADIA_DROPLET_POLL_INTERVAL": "0.5",
    "ARCADIA_DROPLET_BOOT_WAIT": "0",
    "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "180",
}


@pytest.fixture
def client(transactional_db):
    user = factories.UserFactory(username="alice", tenant=factories.TenantFactory(slug="acme"))
    return token_client(user)


@pytest.mark.timeout(300)
def test_ten_sagas_at_thirty_a_minute_finish_without_a_single_429(
    dosim_process, celery_worker_process, client, settings
):
    dosim_process.configure(rate_limit_per_minute=LIMIT, boot_delay=1.0)
    celery_worker_process(env=WORKER_ENV, concurrency=2)
    # The POSTs' DNS look-ups spend the same budget as the worker, as a web
    # process does in production.
    settings.ARCADIA_DO_RATE_LIMIT_PER_MINUTE = LIMIT
    settings.ARCADIA_DO_BUDGET_SHARE = 1.0
    settings.ARCADIA_RATE_LIMIT_URL = redis_url_for_tests()
    sagas = [
        client.post("/api/deployments/", {**h.BODY, "name": f"web{i}"}, format="json").json()["saga"]["id"]
        for i in range(10)
    ]
    for saga_id in sagas:
        saga = h.wait_saga(saga_id, timeout=200)
        assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert Deployment.objects.filter(status=DeploymentStatus.ACTIVE).count() == 10
    log = dosim_process.requests()
    assert [r for r in log if r["status"] == 429] == []
    accepted = [r["time"] for r in log if r["status"] != 429]
    assert most_in_any_window(accepted, 60.0) <= LIMIT
    assert len(accepted) > LIMIT  # the run needed more than one window: the budget held it back
