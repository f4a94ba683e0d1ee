"""The engine's corners: a database that drops under a step, a provider that
fails for a while, a runner that died holding its lease, a cancel before the
first step."""

import subprocess

import pytest
from django.db import transaction

from provisioning.engine import claims, owners
from provisioning.engine.claims import Claim, Refusal, Refused
from provisioning.engine.models import SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.engine.services import saga_request_cancel, saga_start
from tests.engine.conftest import fake_trail, wait_terminal
from tests.support.ledger import unsent_saga


def test_a_database_error_inside_a_step_is_retried_not_compensated(worker):
    saga = saga_start(kind="fake_five", context={"db_down": {"s2": 2}})
    saga = wait_terminal(saga)

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert fake_trail(saga, "fake.compensate") == []
    step = saga.steps.get(name="s2")
    assert step.attempts == 3  # two runs met the outage, the third went through
    # The retries took back their own earlier tries' leases at once.
    assert SagaEvent.objects.filter(saga=saga, event="lease_taken_over").count() == 2


def test_transient_errors_are_retried_for_a_time_not_a_count(worker):
    # Nine failures in a row: more than any attempt count used to allow.
    saga = wait_terminal(saga_start(kind="fake_patient", context={"flaky": {"s1": 9}}))

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert saga.steps.get(name="s1").attempts == 10
    assert saga.steps.get(name="s1").retrying_since is None  # the run of failures ended


def test_transient_errors_fail_the_step_once_their_time_is_up(worker):
    saga = wait_terminal(saga_start(kind="fake_patient", context={"flaky": {"s1": 10_000}}))

    assert saga.status == SagaStatus.COMPENSATED
    step = saga.steps.get(name="s1")
    assert step.last_error.startswith("gave up after"), step.last_error
    assert "s1 flaked" in step.last_error
    assert fake_trail(saga, "fake.compensate") == ["s1", "s0"]


def test_cancel_before_the_first_step_still_undoes_the_step_that_owns_the_failure(worker):
    # Nothing leaves before the commit: the cancel comes before any step ran.
    with transaction.atomic():
        saga = saga_start(kind="fake_owned", context={})
        saga_request_cancel(saga=saga)
    saga = wait_terminal(saga)

    assert saga.status == SagaStatus.COMPENSATED
    assert fake_trail(saga, "fake.execute") == []
    # s0 owns the failure state (in the real saga: deployment -> cancelled).
    assert fake_trail(saga, "fake.compensate") == ["s0"]
    statuses = dict(saga.steps.values_list("name", "status"))
    assert statuses == {"s0": StepStatus.COMPENSATED, **{f"s{i}": StepStatus.SKIPPED for i in range(1, 5)}}


# --- whose lease may be taken over early ---------------------------------------------------


@pytest.fixture
def held_step(transactional_db, fake_definition):
    """Step 1 of a running saga, claimed by a run of task "t1" in this process."""
    saga = unsent_saga(status=SagaStatus.RUNNING)
    SagaStep.objects.filter(saga=saga, index=0).update(status=StepStatus.SUCCEEDED)
    claim = claims.claim_forward(saga_id=saga.id, index=1, owner=owners.this_run(task_id="t1", tries=0))
    assert isinstance(claim, Claim)
    return saga


def test_a_copy_of_the_message_does_not_take_over_a_step_that_still_runs(held_step):
    copy = owners.this_run(task_id="t1", tries=0)  # a broker redelivery: same task, same try

    refused = claims.claim_forward(saga_id=held_step.id, index=1, owner=copy)

    assert isinstance(refused, Refused) and refused.why is Refusal.BUSY
    assert not SagaEvent.objects.filter(saga=held_step, event="lease_taken_over").exists()


def test_another_task_does_not_take_over_a_lease_of_a_live_process(held_step):
    refused = claims.claim_forward(
        saga_id=held_step.id, index=1, owner=owners.this_run(task_id="t2", tries=0)
    )
    assert isinstance(refused, Refused) and refused.why is Refusal.BUSY


def test_the_next_try_of_the_same_task_takes_its_lease_back(held_step):
    claim = claims.claim_forward(saga_id=held_step.id, index=1, owner=owners.this_run(task_id="t1", tries=1))

    assert isinstance(claim, Claim) and claim.attempts == 2
    assert SagaEvent.objects.filter(saga=held_step, event="lease_taken_over").count() == 1


def test_a_lease_held_by_a_process_that_died_is_taken_over(transactional_db, fake_definition):
    saga = unsent_saga(status=SagaStatus.RUNNING)
    SagaStep.objects.filter(saga=saga, index=0).update(status=StepStatus.SUCCEEDED)
    child = subprocess.Popen(["sleep", "0.2"])
    dead = owners.Owner(
        host=owners._host(), pid=child.pid, started=owners._started(child.pid), task_id="t9", tries=0
    )
    child.wait()
    assert isinstance(claims.claim_forward(saga_id=saga.id, index=1, owner=str(dead)), Claim)

    claim = claims.claim_forward(saga_id=saga.id, index=1, owner=owners.this_run(task_id="t9", tries=0))

    assert isinstance(claim, Claim), claim
    assert SagaEvent.objects.filter(saga=saga, event="lease_taken_over").count() == 1
