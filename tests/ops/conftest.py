"""Fixtures for the operator-facing tests: admin users and a saga with history."""

import datetime as dt

import pytest
from django.utils import timezone

from provisioning.engine import Saga, SagaStatus, StepStatus
from tests import factories
from tests.support import worker as worker_support


@pytest.fixture
def staff_client(client, db):
    """A logged-in superuser: staff with every permission, as an operator."""
    user = factories.UserFactory(username="operator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def failed_saga(db, settings):
    """A provisioning saga that failed at its third step and could not undo the
    second: the state an operator is paged for."""
    settings.SAGA_ENGINE = {**settings.SAGA_ENGINE, "flower_url": "http://flower.example.test:5555"}
    deployment = factories.DeploymentFactory(name="shop", status="provisioning")
    saga = factories.SagaFactory(
        kind="provision_deployment",
        deployment=deployment,
        status=SagaStatus.COMPENSATION_FAILED,
        error="destroy droplet: 500",
    )
    started = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=3)
    # auto_now_add ignores the factory: backdate so the list shows an age.
    Saga.objects.filter(pk=saga.pk).update(created_at=started)
    rows = [
        ("mark_deployment_provisioning", StepStatus.COMPENSATED, ""),
        ("create_droplet", StepStatus.COMPENSATION_FAILED, "DataReadError: 500 from destroy"),
        ("wait_droplet_active", StepStatus.COMPENSATED, "droplet errored"),
        ("register_droplet", StepStatus.SKIPPED, ""),
    ]
    for index, (name, status, error) in enumerate(rows):
        step = factories.SagaStepFactory(
            saga=saga,
            index=index,
            name=name,
            status=status,
            attempts=1 if status != StepStatus.SKIPPED else 0,
            started_at=started if status != StepStatus.SKIPPED else None,
            finished_at=started + dt.timedelta(seconds=2) if status != StepStatus.SKIPPED else None,
            last_error=error,
            celery_task_id=f"task-{name}" if status != StepStatus.SKIPPED else "",
            compensation_task_id=f"undo-{name}" if status != StepStatus.SKIPPED else "",
        )
        factories.SagaEventFactory(saga=saga, step=step, event=f"{name}_event")
        if name == "wait_droplet_active":
            factories.SagaEventFactory(saga=saga, step=step, event="step_failed", detail={"error": error})
    saga.refresh_from_db()
    saga.started_for_test = started
    return saga


@pytest.fixture
def redis_url():
    """The real Redis the suite may use: the same one the worker fixtures use."""
    return worker_support.redis_url_for_tests()
