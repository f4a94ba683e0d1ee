"""Operators' actions run the engine's services on a real (embedded) worker
and leave the saga where the operation promises."""

import pytest
from django.urls import reverse

from provisioning.engine import (
    SAGA_TERMINAL_STATUSES,
    Saga,
    SagaStatus,
    StepStatus,
    embedded_worker,
    registry,
    saga_start,
)
from tests import factories
from tests.support.clients import run_admin_action
from tests.support.fake_steps import FIVE_STEPS
from tests.support.ledger import unsent_saga
from tests.support.waiting import wait_for_status

CHANGELIST = "admin:provisioning_saga_changelist"


@pytest.fixture
def worker(transactional_db):
    registry.register(FIVE_STEPS)
    with embedded_worker() as running:
        yield running


@pytest.fixture
def operator(client, transactional_db):
    client.force_login(factories.UserFactory(username="operator", is_staff=True, is_superuser=True))
    return client


def run_action(client, action, *objects) -> str:
    return run_admin_action(client, CHANGELIST, action, objects)


def test_retry_compensation_action_finishes_a_compensation_failed_saga(worker, operator):
    context = {"fail_at": "s2", "broken_compensation": {"s1": "permanent"}}
    saga = wait_for_status(saga_start(kind="fake_five", context=context), SAGA_TERMINAL_STATUSES)
    assert saga.status == SagaStatus.COMPENSATION_FAILED
    # The fault clears (someone fixed the cloud side); the operator retries.
    Saga.objects.filter(pk=saga.pk).update(context={**saga.context, "broken_compensation": {}})

    page = run_action(operator, "retry_compensation", saga)

    assert "Retry compensation: 1 saga(s)." in page
    saga = wait_for_status(saga, SAGA_TERMINAL_STATUSES)
    assert saga.status == SagaStatus.COMPENSATED
    assert saga.steps.get(name="s1").status == StepStatus.COMPENSATED
    assert saga.events.filter(event="compensation_retry_requested").count() == 1


def test_retry_button_on_the_saga_page(worker, operator):
    context = {"fail_at": "s0", "broken_compensation": {"s0": "permanent"}}
    saga = wait_for_status(saga_start(kind="fake_five", context=context), SAGA_TERMINAL_STATUSES)
    page = operator.get(reverse("admin:provisioning_saga_change", args=[saga.pk])).content.decode()
    assert "Retry compensation" in page
    Saga.objects.filter(pk=saga.pk).update(context={**saga.context, "broken_compensation": {}})

    url = reverse("admin:provisioning_saga_operate", args=[saga.pk, "retry_compensation"])
    response = operator.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:provisioning_saga_change", args=[saga.pk])
    assert wait_for_status(saga, SAGA_TERMINAL_STATUSES).status == SagaStatus.COMPENSATED


def test_resume_action_runs_a_saga_whose_message_was_lost(worker, operator):
    saga = unsent_saga()  # committed, its message lost

    page = run_action(operator, "resume", saga)

    assert "Resume: 1 saga(s)." in page
    saga = wait_for_status(saga, SAGA_TERMINAL_STATUSES)
    assert saga.status == SagaStatus.SUCCEEDED
    assert list(saga.steps.values_list("status", flat=True)) == [StepStatus.SUCCEEDED] * 5


def test_cancel_action_compensates_a_running_saga(worker, operator):
    saga = saga_start(kind="fake_five", context={"slow": {"s1": 1.0}})
    wait_for_status(saga, {SagaStatus.RUNNING})

    page = run_action(operator, "request_cancel", saga)

    assert "Cancel: 1 saga(s)." in page
    saga = wait_for_status(saga, SAGA_TERMINAL_STATUSES)
    assert saga.status == SagaStatus.COMPENSATED
    assert saga.cancel_requested is True
    assert saga.steps.get(name="s4").status == StepStatus.SKIPPED


def test_refused_operation_names_the_saga_and_changes_nothing(worker, operator):
    done = wait_for_status(saga_start(kind="fake_five", context={}), SAGA_TERMINAL_STATUSES)
    failed = wait_for_status(
        saga_start(kind="fake_five", context={"fail_at": "s0", "broken_compensation": {"s0": "permanent"}}),
        SAGA_TERMINAL_STATUSES,
    )

    page = run_action(operator, "resume", done)
    assert f"{done.pk}</a>: Resume refused:" in page
    done.refresh_from_db()
    assert done.status == SagaStatus.SUCCEEDED

    # One refusal does not stop the rest of the selection.
    Saga.objects.filter(pk=failed.pk).update(context={**failed.context, "broken_compensation": {}})
    page = run_action(operator, "retry_compensation", done, failed)
    assert "Retry compensation refused" in page and "Retry compensation: 1 saga(s)." in page
    assert wait_for_status(failed, {SagaStatus.COMPENSATED}).status == SagaStatus.COMPENSATED
