"""A step that fails for good takes one road in both runners: the engine
turns the saga around itself (``turnaround.compensation_due``), in the
worker's step task and in eager mode alike; the step task's errback is left
for what only Celery sees, a task killed by its time limit."""

import pytest

from arcadia.celery import app
from provisioning.engine import Saga, SagaStatus, SagaStep, StepStatus, registry, saga_start, tasks
from tests.engine.conftest import fake_trail, wait_terminal
from tests.engine.stuck_steps import STUCK
from tests.support.ledger import unsent_saga


def _running_saga_at(index: int, context: dict) -> Saga:
    """A saga whose steps before ``index`` succeeded, with no message in flight."""
    saga = unsent_saga(status=SagaStatus.RUNNING, context=context)
    SagaStep.objects.filter(saga=saga, index__lt=index).update(status=StepStatus.SUCCEEDED, attempts=1)
    return saga


def test_the_step_task_turns_the_saga_around_itself_with_no_errback_linked(worker):
    saga = _running_saga_at(2, {"fail_at": "s2"})

    # The step's task run on its own, no errback linked: whatever turns the
    # saga around must be the task itself.
    result = app.tasks["provisioning.step.s2"].apply(args=(str(saga.id), 2), throw=False)

    saga.refresh_from_db()
    assert saga.status in (SagaStatus.COMPENSATING, SagaStatus.COMPENSATED)
    assert saga.steps.get(index=2).status in (
        StepStatus.FAILED,
        StepStatus.COMPENSATING,
        StepStatus.COMPENSATED,
    )
    # Celery (and Flower) still record the step's task as failed.
    assert result.state == "FAILURE"
    assert isinstance(result.result, tasks.StepFailed)
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.compensate") == ["s2", "s1", "s0"]


def test_the_errback_leaves_a_failure_the_task_handled_alone(worker):
    saga = wait_terminal(saga_start(kind="fake_five", context={"fail_at": "s2"}))
    assert saga.status == SagaStatus.COMPENSATED
    events = saga.events.filter(event="step_failed").count()

    tasks.step_failed(None, tasks.StepFailed("s2 is broken"), None, str(saga.id), 2)

    saga.refresh_from_db()
    assert saga.status == SagaStatus.COMPENSATED
    assert saga.events.filter(event="step_failed").count() == events == 1


@pytest.fixture
def eager_mode():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_in_eager_mode_a_failing_step_compensates_before_saga_start_returns(
    transactional_db, fake_definition, eager_mode
):
    saga = saga_start(kind="fake_five", context={"fail_at": "s2"})

    saga.refresh_from_db()
    assert saga.status == SagaStatus.COMPENSATED
    assert saga.steps.get(index=2).last_error == "s2 is broken"
    assert fake_trail(saga, "fake.compensate") == ["s2", "s1", "s0"]


@pytest.mark.integration
def test_the_errback_turns_around_a_step_task_killed_by_its_time_limit(celery_worker_process):
    # The stuck step swallows the soft limit: the hard one kills the pool
    # process, the task never returns, and only Celery (through the
    # errback) can tell.
    registry.register(STUCK)
    celery_worker_process(
        env={
            "CELERY_TASK_SOFT_TIME_LIMIT": "1",
            "CELERY_TASK_TIME_LIMIT": "3",
            "ARCADIA_EXTRA_SAGA_DEFINITIONS": "tests.engine.stuck_steps.STUCK",
        }
    )
    saga = wait_terminal(saga_start(kind=STUCK.kind, context={}), timeout=90)

    assert saga.status == SagaStatus.COMPENSATED
    assert saga.error.startswith("TimeLimitExceeded"), saga.error
    assert saga.steps.get(name="stuck").status == StepStatus.COMPENSATED
    assert fake_trail(saga, "fake.compensate") == ["stuck", "before_stuck"]
