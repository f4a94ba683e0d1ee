"""The saga engine end to end on fake steps: success, failure at every
index, transient retries, polling, broken compensations and retry."""

import pytest

from provisioning.engine import Saga, SagaStatus, StepStatus, saga_retry_compensation, saga_start
from provisioning.engine.display.presentation import saga_progress
from tests.engine.conftest import fake_trail, wait_terminal

NAMES = [f"s{i}" for i in range(5)]


def test_happy_path_runs_every_step_once_and_merges_outputs(worker):
    saga = wait_terminal(saga_start(kind="fake_five", context={"tenant": "acme"}))

    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == NAMES
    assert fake_trail(saga, "fake.compensate") == []
    assert saga.context == {"tenant": "acme", **{f"{n}_done": True for n in NAMES}}
    assert saga_progress(saga) == (5, 5)
    assert saga.finished_at is not None
    events = list(saga.events.exclude(event__startswith="fake.").values_list("event", flat=True))
    assert events[0] == "saga_started" and events[-1] == "saga_succeeded"
    assert events.count("step_succeeded") == 5


@pytest.mark.parametrize("k", range(5))
def test_permanent_failure_at_k_compensates_started_steps_in_reverse(worker, k):
    saga = wait_terminal(saga_start(kind="fake_five", context={"fail_at": f"s{k}"}))

    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.execute") == NAMES[: k + 1]
    assert fake_trail(saga, "fake.compensate") == list(reversed(NAMES[: k + 1]))
    steps = {step.name: step for step in saga.steps.all()}
    assert all(steps[n].status == StepStatus.COMPENSATED for n in NAMES[: k + 1])
    assert all(steps[n].status == StepStatus.SKIPPED for n in NAMES[k + 1 :])
    assert f"s{k} is broken" in steps[f"s{k}"].last_error
    assert f"s{k} is broken" in saga.error
    events = list(saga.events.values_list("event", flat=True))
    assert "step_failed" in events and events[-1] == "saga_compensated"
    assert events.count("step_compensated") == k + 1


def test_transient_errors_are_retried_without_compensation(worker):
    saga = wait_terminal(saga_start(kind="fake_five", context={"flaky": {"s2": 2}}))

    assert saga.status == SagaStatus.SUCCEEDED
    step = saga.steps.get(name="s2")
    assert step.attempts == 3
    assert fake_trail(saga, "fake.execute").count("s2") == 3
    assert fake_trail(saga, "fake.compensate") == []
    assert saga.events.filter(event="step_retrying", step=step).count() == 2


def test_transient_errors_past_the_bound_fail_the_step(worker):
    saga = wait_terminal(saga_start(kind="fake_five", context={"flaky": {"s1": 99}}))

    assert saga.status == SagaStatus.COMPENSATED
    step = saga.steps.get(name="s1")
    assert step.attempts == 4  # FAST.max_attempts
    assert "gave up after 4 attempts" in step.last_error
    assert fake_trail(saga, "fake.compensate") == ["s1", "s0"]


def test_not_ready_polls_do_not_count_as_failures(worker):
    # Six polls, more than max_attempts (4): polls are not failures.
    saga = wait_terminal(saga_start(kind="fake_five", context={"not_ready": {"s3": 6}}))

    assert saga.status == SagaStatus.SUCCEEDED
    step = saga.steps.get(name="s3")
    assert (step.attempts, step.polls) == (7, 6)


def test_broken_compensation_ends_compensation_failed_then_operator_retry(worker):
    context = {"fail_at": "s3", "broken_compensation": {"s1": "permanent"}}
    saga = wait_terminal(saga_start(kind="fake_five", context=context))

    assert saga.status == SagaStatus.COMPENSATION_FAILED
    # The other compensations still ran, in order, past the broken one.
    assert fake_trail(saga, "fake.compensate") == ["s3", "s2", "s1", "s0"]
    assert saga.steps.get(name="s1").status == StepStatus.COMPENSATION_FAILED
    assert "s1 cannot be undone" in saga.steps.get(name="s1").last_error

    # The operator clears the fault and retries.
    Saga.objects.filter(id=saga.id).update(context={**saga.context, "broken_compensation": {}})
    saga = wait_terminal(saga_retry_compensation(saga=saga))

    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.compensate") == ["s3", "s2", "s1", "s0", "s1"]
    assert saga.steps.get(name="s1").status == StepStatus.COMPENSATED


def test_transient_compensation_errors_are_retried_until_the_bound(worker):
    context = {"fail_at": "s2", "broken_compensation": {"s0": "transient"}}
    saga = wait_terminal(saga_start(kind="fake_five", context=context))

    assert saga.status == SagaStatus.COMPENSATION_FAILED
    step = saga.steps.get(name="s0")
    assert step.compensation_attempts == 3
    assert "gave up after 3 attempts" in step.last_error
