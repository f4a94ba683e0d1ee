"""A step transition (claim plus record, not the step's own work) costs at
most five database round trips. Counted for real, outside the test-case
transaction, so that BEGIN and COMMIT show (autocommitted statements need
neither)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from provisioning.engine import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus, claims
from provisioning.engine.claims import postgresql
from tests.support.ledger import unsent_saga


def round_trips() -> CaptureQueriesContext:
    """What a block sends to the database. Django 5.2 captures BEGIN and
    COMMIT too, so every entry is one round trip."""
    return CaptureQueriesContext(connection)


LAST = 4  # the fake definition has five steps


def _transition(saga, index: int) -> bool:
    claim = claims.claim_forward(saga_id=saga.id, index=index, owner="me")
    return claims.record_success(claim, {f"s{index}_done": True}, last=index == LAST)


def _saga_mid_way():
    saga = unsent_saga(status=SagaStatus.RUNNING, context={"tenant": "acme"})
    SagaStep.objects.filter(saga=saga, index__lt=2).update(status=StepStatus.SUCCEEDED)
    return saga


def test_a_step_transition_costs_two_round_trips_on_postgresql(transactional_db, fake_definition):
    assert postgresql.available()
    saga = _saga_mid_way()

    last = saga.steps.count() - 1
    with round_trips() as trips:
        recorded = claims.record_success(
            claims.claim_forward(saga_id=saga.id, index=2, owner="me"), {"s2_done": True}, last=last == 2
        )

    assert recorded
    sent = [q["sql"] for q in trips.captured_queries]
    assert len(sent) == 2, sent  # one UPDATE to claim, one statement to record
    saga.refresh_from_db()
    assert saga.context == {"tenant": "acme", "s2_done": True}
    step = saga.steps.get(index=2)
    assert (step.status, step.attempts, step.lease_owner) == (StepStatus.SUCCEEDED, 1, "")
    events = SagaEvent.objects.filter(step=step).order_by("at")
    assert [(e.event, e.detail) for e in events] == [
        ("step_started", {"attempt": 1}),
        ("step_succeeded", {"outputs": ["s2_done"]}),
    ]


def test_the_first_and_last_transitions_stay_within_budget(transactional_db, fake_definition):
    saga = unsent_saga(context={})

    with round_trips() as first:
        _transition(saga, 0)  # also marks the saga running
    SagaStep.objects.filter(saga=saga, index__in=[1, 2, 3]).update(status=StepStatus.SUCCEEDED)
    with round_trips() as last:
        _transition(saga, 4)  # also ends the saga

    assert (len(first), len(last)) == (2, 2)  # the first claim also starts the saga
    saga.refresh_from_db()
    assert saga.status == SagaStatus.SUCCEEDED and saga.finished_at is not None
    assert saga.events.filter(event="saga_succeeded").count() == 1


def test_the_portable_path_used_off_postgresql_stays_within_five_statements(
    transactional_db, fake_definition, monkeypatch
):
    # SQLite (the embedded mode) has no data-modifying CTEs: the engine reads,
    # then records in one transaction. Exercised here on PostgreSQL.
    monkeypatch.setattr(postgresql, "available", lambda: False)
    saga = _saga_mid_way()

    last = saga.steps.count() - 1
    with round_trips() as trips:
        recorded = claims.record_success(
            claims.claim_forward(saga_id=saga.id, index=2, owner="me"), {"s2_done": True}, last=last == 2
        )

    assert recorded
    sent = [q["sql"][:40] for q in trips.captured_queries]
    # Read, claim, then BEGIN, three writes, COMMIT: five statements in all
    # (the target), seven round trips with the transaction's own two.
    assert len([s for s in sent if s not in ("BEGIN", "COMMIT")]) == 5, sent
    assert len(sent) == 7, sent
    saga.refresh_from_db()
    assert saga.context == {"tenant": "acme", "s2_done": True}


@pytest.mark.django_db
def test_a_step_that_finishes_after_the_saga_turned_around_still_records_its_outputs(fake_definition):
    # A cancel or failure moved the saga to compensating while this step ran:
    # its compensation needs the outputs (a droplet id, say).
    saga = _saga_mid_way()
    claim = claims.claim_forward(saga_id=saga.id, index=2, owner="me")
    Saga.objects.filter(id=saga.id).update(status=SagaStatus.COMPENSATING)

    assert claims.record_success(claim, {"droplet_id": 7}, last=False)
    saga.refresh_from_db()
    assert saga.status == SagaStatus.COMPENSATING
    assert saga.context["droplet_id"] == 7
    assert saga.steps.get(index=2).status == StepStatus.SUCCEEDED
