"""The engine with a real prefork worker process on the real Redis and
PostgreSQL: happy path, compensation, and a worker SIGKILLed mid-step."""

import time

import pytest

from provisioning.models import SagaStatus, SagaStep, StepStatus
from provisioning.services import saga_start
from provisioning.sweeper import sweep_stalled_sagas
from tests.engine.conftest import fake_trail, wait_for, wait_terminal

pytestmark = pytest.mark.integration

NAMES = [f"s{i}" for i in range(5)]


def test_happy_path_on_a_worker_process(celery_worker_process):
    celery_worker_process()
    saga = wait_terminal(saga_start(kind="fake_five", context={}), timeout=60)

    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES
    assert {step.celery_task_id != "" for step in saga.steps.all()} == {True}


def test_failure_compensates_on_a_worker_process(celery_worker_process):
    worker = celery_worker_process()
    saga = wait_terminal(saga_start(kind="fake_five", context={"fail_at": "s3"}), timeout=60)

    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.compensate") == ["s3", "s2", "s1", "s0"]
    # Every engine log line names its saga and step.
    assert f"saga={saga.id} step=3:s3 permanent error: s3 is broken" in worker.log()


def test_sigkill_mid_step_then_a_new_worker_finishes_the_saga_once(celery_worker_process):
    # Short leases and stall timeout so that recovery happens within seconds.
    fast = {"ARCADIA_STEP_LEASE_SECONDS": "3", "ARCADIA_SAGA_STALL_TIMEOUT": "1"}
    worker = celery_worker_process(env=fast)
    saga = saga_start(kind="fake_five", context={"slow": {"s2": 30}})
    wait_for(
        lambda: saga.events.filter(event="fake.effect", detail__step="s2").exists(),
        timeout=60,
        what="s2 to have made its effect",
    )
    worker.kill()  # mid-sleep: s2 made its effect but never recorded success
    assert SagaStep.objects.get(saga=saga, name="s2").status == StepStatus.RUNNING

    # The new worker must not sleep again: the step is now quick.
    from provisioning.models import Saga

    Saga.objects.filter(id=saga.id).update(context={})
    celery_worker_process(env=fast)
    time.sleep(1.5)  # let the stall timeout (1 s) pass: the message died with the worker
    assert sweep_stalled_sagas(older_than=1) == 1
    saga = wait_terminal(saga, timeout=60)

    assert saga.status == SagaStatus.SUCCEEDED
    step = saga.steps.get(name="s2")
    assert step.attempts == 2  # the killed run and the takeover
    assert fake_trail(saga, "fake.execute").count("s2") == 2
    assert fake_trail(saga, "fake.effect") == NAMES  # each effect exactly once
