"""At-least-once delivery made harmless: duplicate step messages, duplicate
errbacks, leases, cancellation, and lost messages recovered by the sweeper."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from provisioning.engine import tasks, wiring
from provisioning.engine.forward import step_run
from provisioning.engine.models import Saga, SagaStatus, SagaStep, StepStatus
from provisioning.engine.outcome import Next
from provisioning.engine.services import saga_request_cancel, saga_start
from provisioning.engine.sweeper import sweep_stalled_sagas
from provisioning.engine.turnaround import saga_step_failed
from tests.engine.conftest import fake_trail, wait_for, wait_terminal
from tests.support.ledger import FIVE_NAMES as NAMES
from tests.support.ledger import unsent_saga


def _backdate(saga, seconds=3600):
    Saga.objects.filter(id=saga.id).update(updated_at=timezone.now() - timedelta(seconds=seconds))


def test_duplicate_chain_delivery_runs_each_step_once(worker):
    saga = saga_start(kind="fake_five", context={"slow": {"s1": 0.2}})
    # The same chain again, as a redelivering broker might send it.
    wiring.send_forward(saga.id, NAMES)
    wiring.send_forward(saga.id, NAMES)
    saga = wait_terminal(saga)

    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES
    assert all(step.attempts == 1 for step in saga.steps.all())


def test_duplicate_errback_compensates_once(worker):
    saga = wait_terminal(saga_start(kind="fake_five", context={"fail_at": "s2"}))
    assert saga.status == SagaStatus.COMPENSATED

    # The errback fires again (as after a hard time-limit kill): nothing more.
    tasks.step_failed(None, tasks.StepFailed("again"), None, str(saga.id), 2)
    assert saga_step_failed(saga_id=saga.id, index=2, error="and again") is False
    saga.refresh_from_db()
    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.compensate") == ["s2", "s1", "s0"]


def test_cancel_mid_saga_compensates_at_the_next_boundary(worker):
    saga = saga_start(kind="fake_five", context={"slow": {"s2": 0.5}})
    wait_for(
        lambda: SagaStep.objects.filter(saga=saga, name="s2", status=StepStatus.RUNNING).exists(), what="s2"
    )
    saga_request_cancel(saga=saga)
    saga = wait_terminal(saga)

    assert saga.status == SagaStatus.COMPENSATED
    assert saga.cancel_requested is True
    assert fake_trail(saga, "fake.execute") == ["s0", "s1", "s2"]  # s2 finished, s3 never began
    assert fake_trail(saga, "fake.compensate") == ["s2", "s1", "s0"]
    assert saga.events.filter(event="saga_cancelled").exists()
    assert "cancelled" in saga.error


def test_cancel_before_any_step_ran_compensates_nothing(worker):
    saga = unsent_saga()
    saga = saga_request_cancel(saga=saga)
    assert saga.status == SagaStatus.COMPENSATING
    assert set(saga.steps.values_list("status", flat=True)) == {StepStatus.SKIPPED}

    # The worker settles it: nothing ran, so nothing is undone.
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.execute") == []
    assert fake_trail(saga, "fake.compensate") == []
    assert set(saga.steps.values_list("status", flat=True)) == {StepStatus.SKIPPED}


def test_sweeper_resumes_a_saga_whose_chain_was_never_sent(worker):
    saga = unsent_saga()
    _backdate(saga)

    assert sweep_stalled_sagas() == 1
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES


def test_sweeper_resumes_forward_from_the_first_unfinished_step(worker):
    saga = unsent_saga(status=SagaStatus.RUNNING)
    SagaStep.objects.filter(saga=saga, index__lt=2).update(status=StepStatus.SUCCEEDED, attempts=1)
    _backdate(saga)

    sweep_stalled_sagas()
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES[2:]


def test_a_next_message_the_broker_refused_is_left_to_the_sweeper_not_rolled_back(worker):
    # Celery fails a task whose next chain message cannot be sent (Redis
    # down) after the step recorded its success, and calls the errback.
    saga = unsent_saga(status=SagaStatus.RUNNING)
    SagaStep.objects.filter(saga=saga, index__lt=2).update(status=StepStatus.SUCCEEDED, attempts=1)
    refused = KombuOperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
    tasks.step_failed(None, refused, None, str(saga.id), 1)
    saga.refresh_from_db()
    assert saga.status == SagaStatus.RUNNING and saga.error == ""

    _backdate(saga)  # the broker is back; the stall timeout passes
    sweep_stalled_sagas()
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES[2:]


def test_sweeper_resumes_a_compensation_whose_chain_was_lost(worker):
    saga = unsent_saga(status=SagaStatus.COMPENSATING, error="s2 is broken")
    SagaStep.objects.filter(saga=saga, index__lt=2).update(status=StepStatus.SUCCEEDED, attempts=1)
    SagaStep.objects.filter(saga=saga, index=2).update(status=StepStatus.FAILED, attempts=1)
    SagaStep.objects.filter(saga=saga, index__gt=2).update(status=StepStatus.SKIPPED)
    _backdate(saga)

    sweep_stalled_sagas()
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.compensate") == ["s2", "s1", "s0"]


def test_sweeper_leaves_fresh_sagas_alone(transactional_db, fake_definition):
    unsent_saga()
    assert sweep_stalled_sagas() == 0


@pytest.mark.django_db
def test_live_lease_makes_a_second_delivery_back_off(fake_definition):
    saga = unsent_saga(status=SagaStatus.RUNNING)
    SagaStep.objects.filter(saga=saga, index=0).update(
        status=StepStatus.RUNNING,
        attempts=1,
        lease_owner="someone-else",
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )
    outcome = step_run(saga_id=saga.id, index=0, owner="me")

    assert outcome.next is Next.RETRY and 0 < outcome.countdown <= 6
    assert fake_trail(saga, "fake.execute") == []


@pytest.mark.django_db
def test_expired_lease_is_taken_over(fake_definition):
    saga = unsent_saga(status=SagaStatus.RUNNING)
    SagaStep.objects.filter(saga=saga, index=0).update(
        status=StepStatus.RUNNING,
        attempts=1,
        lease_owner="dead-runner",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    outcome = step_run(saga_id=saga.id, index=0, owner="me")

    assert outcome.next is Next.CONTINUE
    step = SagaStep.objects.get(saga=saga, index=0)
    assert (step.status, step.attempts, step.lease_owner) == (StepStatus.SUCCEEDED, 2, "")


def test_a_broken_database_connection_retries_the_task_instead_of_compensating(worker, caplog):
    # Warm the worker's connection (kept across tasks: CELERY_DB_REUSE_MAX),
    # then cut it as a database restart would.
    wait_terminal(saga_start(kind="fake_five", context={}))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    saga = wait_terminal(saga_start(kind="fake_five", context={}))

    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.compensate") == []
    assert "database unavailable, retrying" in caplog.text
