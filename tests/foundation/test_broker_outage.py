"""A broker that dies and comes back empty, under a real prefork worker.

Celery 5.7.0 with kombu 5.7.0 ended the worker when Redis went away while
it held unacknowledged messages (``Restoring 20 unacknowledged message(s)``,
then ``Unrecoverable error: AttributeError("'NoneType' object has no
attribute 'hostname'")``; see ``arcadia/kombu_workaround.py``). Here a private
broker (never the shared one) is SIGKILLed while sagas wait on booting
droplets, each holding a countdown message in the worker, and started again
empty: the worker must stay up, and the sweeper (beat, inside the worker)
must resume every saga whose messages died with the broker. Once per broker,
each well under a minute.
"""

import time

import pytest

from deployments import services
from deployments.models import Deployment, DeploymentStatus
from provisioning.engine import Saga, SagaStatus, SagaStep, StepStatus, sagas_of
from tests import factories
from tests.support.broker_servers import private_broker
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SAGAS = 20
BOOT_SECONDS = 20
OUTAGE_SECONDS = 3
WORKER_ENV = {
    # Polls far apart: the worker holds every saga's countdown message,
    # unacknowledged, when the broker dies (what made kombu crash).
    "ARCADIA_DROPLET_POLL_INTERVAL": "3",
    "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "120",
    # The sweeper finds what the empty broker forgot within seconds.
    "ARCADIA_SAGA_STALL_TIMEOUT": "5",
    "ARCADIA_SWEEP_INTERVAL": "1",
}


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request, tmp_path):
    with private_broker(request.param, tmp_path / "broker") as server:
        yield server


@pytest.fixture
def worker_broker_url(broker, transactional_db):
    return broker.url


def _start_sagas(count: int) -> list[Saga]:
    tenant = factories.TenantFactory(slug="acme")
    body = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    created = [services.deployment_create(tenant=tenant, name=f"web{i}", **body) for i in range(count)]
    return [sagas_of(result.deployment).get() for result in created]


def _polling(sagas) -> int:
    return SagaStep.objects.filter(
        saga__in=sagas, name="wait_droplet_active", status=StepStatus.RUNNING, attempts__gte=2
    ).count()


def test_worker_survives_a_broker_restart_and_every_saga_finishes(
    broker, dosim_process, celery_worker_process
):
    dosim_process.configure(boot_delay=BOOT_SECONDS)
    # gossip and mingle on, as the Procfile's worker runs.
    worker = celery_worker_process(env=WORKER_ENV, beat=True, gossip=True)
    sagas = _start_sagas(SAGAS)
    wait_for(lambda: _polling(sagas) == SAGAS, timeout=60, what="every saga polling a booting droplet")

    broker.kill()
    wait_for(lambda: "Trying to re-establish" in worker.log(), timeout=30, what="the worker to notice")
    time.sleep(OUTAGE_SECONDS)
    broker.start()  # empty: every queued, countdown and unacknowledged message is gone

    def all_succeeded():
        exited = worker.proc.poll()
        assert exited is None, f"worker exited ({exited}):\n{worker.log()[-6000:]}"
        return Saga.objects.filter(pk__in=[s.pk for s in sagas], status=SagaStatus.SUCCEEDED).count() == SAGAS

    wait_for(all_succeeded, timeout=60, what="every saga to succeed after the broker came back", tick=0.5)

    assert "Unrecoverable error" not in worker.log()
    assert set(Deployment.objects.values_list("status", flat=True)) == {DeploymentStatus.ACTIVE}
    droplets = dosim_process.droplets()
    # No orphan, no duplicate: one droplet per deployment.
    assert sorted(d["name"] for d in droplets) == sorted(f"web{i}.acme" for i in range(SAGAS))
