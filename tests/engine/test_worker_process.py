"""The engine with a real prefork worker process on the real Redis and
PostgreSQL: happy path, compensation, and a worker SIGKILLed mid-step."""

import pytest

from provisioning.engine import SagaStatus, SagaStep, StepStatus, saga_start, sweep_stalled_sagas
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
    # A short lease, so that the new worker may take the dead run's step over
    # within seconds.
    fast = {"ARCADIA_STEP_LEASE_SECONDS": "3"}
    worker = celery_worker_process(env=fast)
    saga = saga_start(kind="fake_five", context={"slow_once": {"s2": 30}})
    wait_for(
        lambda: saga.events.filter(event="fake.effect", detail__step="s2").exists(),
        timeout=60,
        what="s2 to have made its effect",
    )
    worker.kill()  # mid-sleep: s2 made its effect but never recorded success
    assert SagaStep.objects.get(saga=saga, name="s2").status == StepStatus.RUNNING

    celery_worker_process(env=fast)
    # The message died with the worker (Redis would hand it back only after
    # its visibility timeout): the sweeper finds the saga.
    assert sweep_stalled_sagas(older_than=0) == 1
    saga = wait_terminal(saga, timeout=60)

    assert saga.status == SagaStatus.SUCCEEDED
    step = saga.steps.get(name="s2")
    assert step.attempts == 2  # the killed run and the takeover
    assert fake_trail(saga, "fake.execute").count("s2") == 2
    assert fake_trail(saga, "fake.effect") == NAMES  # each effect exactly once


def test_a_sweep_during_a_slow_live_step_does_not_run_it_twice(celery_worker_process):
    # The sweeper sees no progress and resends the chain while s1 is still
    # running: the copy finds s1 under a live lease, backs off, then finds it
    # succeeded and stops; the original run goes on.
    celery_worker_process()
    saga = saga_start(kind="fake_five", context={"slow": {"s1": 1.5}})
    wait_for(
        lambda: saga.events.filter(event="fake.effect", detail__step="s1").exists(),
        timeout=60,
        what="s1 to be running",
    )
    assert sweep_stalled_sagas(older_than=0) == 1
    assert sweep_stalled_sagas(older_than=0) == 1  # resuming twice is harmless too
    saga = wait_terminal(saga, timeout=60)

    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES
    assert all(step.attempts == 1 for step in saga.steps.all())
    assert saga.events.filter(event="saga_resumed").count() == 2
