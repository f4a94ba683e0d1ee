"""Liveness across hosts (issue 23): heartbeats in PostgreSQL, leases taken
over from a runner whose heartbeat stopped, fenced late records, due times
the sweep holds sagas to, periodic work from every worker without beat."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from provisioning.engine import SagaStatus, SagaStep, StepStatus, claims, heartbeats, saga_start
from provisioning.engine.claims import Claim, Refused
from provisioning.engine.models import PeriodicRun, Saga, WorkerHeartbeat
from provisioning.engine.owners import runner_of
from provisioning.engine.settings import engine_settings
from provisioning.engine.sweeper import sweep_stalled_sagas
from tests.engine.conftest import fake_trail, wait_for, wait_terminal
from tests.support.ledger import FIVE_NAMES as NAMES
from tests.support.ledger import unsent_saga

OTHER = "otherhost|4242|777|task-a|0|aaaa1111"  # a runner on another host
MINE = "thishost|99|555|task-b|0|bbbb2222"

# Short bounds, so a test sees a take-over in seconds; the lease itself
# stays at its default (180 s): only the heartbeat can free it that fast.
FAST = {
    "ARCADIA_HEARTBEAT_SECONDS": "0.5",
    "ARCADIA_RUNNER_DEAD_AFTER": "3",
    "ARCADIA_SWEEP_INTERVAL": "1",
    "ARCADIA_DUE_GRACE_SECONDS": "2",
}


def _beat(owner: str, seconds_ago: float) -> None:
    heartbeats.beat(runner_of(owner), timezone.now() - timedelta(seconds=seconds_ago))


@pytest.mark.integration
def test_a_host_whose_heartbeat_stops_has_its_step_taken_over_without_beat(
    celery_worker_process, worker_broker_url
):
    # The first worker poses as another host: its pool processes cannot be
    # judged by /proc here, only by their heartbeats.
    lost = celery_worker_process(env={**FAST, "ARCADIA_RUNNER_HOST": "otherhost"})
    saga = saga_start(kind="fake_five", context={"slow_once": {"s2": 60}})
    wait_for(
        lambda: saga.events.filter(event="fake.effect", detail__step="s2").exists(),
        timeout=60,
        what="s2 to have made its effect",
    )
    held = SagaStep.objects.get(saga=saga, name="s2")
    assert held.lease_owner.startswith("otherhost|")
    assert held.lease_expires_at > timezone.now() + timedelta(seconds=100)  # the lease alone: minutes

    lost.kill()  # the whole host: main process and pool, no acks
    killed_at = time.monotonic()
    celery_worker_process(env=FAST)  # no beat: the sweep comes from the worker itself
    saga = wait_terminal(saga, timeout=30)
    took = time.monotonic() - killed_at

    assert saga.status == SagaStatus.SUCCEEDED
    assert took < 20, f"taken over {took:.1f}s after the kill"
    assert saga.events.filter(event="lease_taken_over").count() == 1
    if worker_broker_url.startswith("redis"):
        # The lost host's delivery comes back after the visibility timeout:
        # the worker's own sweep resumed the saga. RabbitMQ gives it back
        # at once, and that message takes the step over itself, the moment
        # the holder's heartbeats count as missed.
        assert saga.events.filter(event="saga_resumed").exists()
    assert fake_trail(saga, "fake.effect") == NAMES  # each effect exactly once
    step = saga.steps.get(name="s2")
    assert step.attempts == 2
    assert step.lease_generation == 2  # the killed run's claim and the take-over
    assert PeriodicRun.objects.filter(name="provisioning.sweep_stalled_sagas").exists()


@pytest.mark.integration
def test_a_wait_longer_than_the_countdown_cap_is_resent_from_its_due_time(celery_worker_process):
    # No broker holds this delivery (RabbitMQ's consumer_timeout): the poll
    # sends no message, and the worker's own sweep resends it once due.
    worker = celery_worker_process(env={**FAST, "ARCADIA_MAX_COUNTDOWN": "1"})
    saga = saga_start(kind="fake_five", context={"not_ready": {"s1": 1}, "poll_after": {"s1": 3}})
    saga = wait_terminal(saga, timeout=30)

    assert saga.status == SagaStatus.SUCCEEDED
    assert f"saga={saga.id} step=- waits 3s: resumed from its due time" in worker.log()
    assert saga.events.filter(event="saga_resumed").count() == 1
    assert fake_trail(saga, "fake.execute") == ["s0", "s1", "s1", "s2", "s3", "s4"]


def test_a_late_record_from_a_fenced_off_holder_is_refused_and_logged(transactional_db, caplog):
    saga = unsent_saga()
    first = claims.claim_forward(saga_id=saga.id, index=0, owner=OTHER)
    assert isinstance(first, Claim) and first.generation == 1

    # Its host is cut off: no heartbeat for longer than the bound, while its
    # lease (minutes) has not expired. Another runner takes the step over.
    _beat(OTHER, seconds_ago=60)
    with CaptureQueriesContext(connection) as queries:
        second = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)
    assert isinstance(second, Claim) and second.generation == 2
    if connection.vendor == "postgresql":
        assert len(queries) == 1  # the take-over is the claim's own statement
    assert saga.events.get(event="lease_taken_over").detail == {"holder": OTHER}

    # The partition heals: the old holder's record is refused, never applied.
    assert claims.record_success(first, {"stale": True}, last=False) is False
    assert "record fenced off: generation 1, the step's is now 2" in caplog.text
    fenced = saga.events.get(event="record_fenced")
    assert fenced.detail == {"generation": 1, "current": 2}
    step = SagaStep.objects.get(saga=saga, index=0)
    assert step.status == StepStatus.RUNNING and step.lease_owner == MINE

    assert claims.record_success(second, {"fresh": True}, last=False) is True
    saga.refresh_from_db()
    assert saga.context.get("fresh") is True and "stale" not in saga.context
    assert saga.events.filter(event="lease_taken_over").count() == 1


def test_a_holder_with_a_live_heartbeat_keeps_its_step(transactional_db):
    saga = unsent_saga()
    assert isinstance(claims.claim_forward(saga_id=saga.id, index=0, owner=OTHER), Claim)
    _beat(OTHER, seconds_ago=1)

    busy = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)

    assert isinstance(busy, Refused) and busy.why is claims.Refusal.BUSY


def test_a_refused_claim_comes_back_when_the_holder_would_count_as_gone(transactional_db):
    # A crashed host's broker connection (RabbitMQ) gives its messages back
    # at once: they find its leases held and its heartbeat fresh. They come
    # back the moment it would have missed its heartbeats for
    # ARCADIA_RUNNER_DEAD_AFTER (6 s), not up to a whole back-off (5 s)
    # later: the fleet drill's host crash took steps over that late.
    assert engine_settings().runner_dead_after == 6
    saga = unsent_saga()
    assert isinstance(claims.claim_forward(saga_id=saga.id, index=0, owner=OTHER), Claim)
    _beat(OTHER, seconds_ago=0.5)
    busy = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)
    assert busy.why is claims.Refusal.BUSY
    assert busy.retry_after == pytest.approx(5.05)  # 5.5 s to go: the back-off is sooner

    _beat(OTHER, seconds_ago=4)
    busy = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)
    assert busy.why is claims.Refusal.BUSY
    assert busy.retry_after <= 2.05  # gone 2 s from now, if it does not beat


def _beats_went_through(*seconds_ago: float) -> None:
    at = timezone.now()
    for ago in seconds_ago:
        heartbeats.beat_went_through(at - timedelta(seconds=ago))


def test_after_a_database_pause_no_runner_is_taken_for_dead_until_the_judge_beat_on_time(
    transactional_db, monkeypatch
):
    # The database paused for 20 s: every heartbeat is that old, this
    # process's own too. A stale heartbeat says nothing of its runner until
    # this process has itself beaten on time for the dead-after bound (6 s):
    # the first claims after a pause take no live runner's step.
    monkeypatch.setattr(heartbeats, "_steady", heartbeats.Steadiness())  # this process beats
    saga = unsent_saga()
    assert isinstance(claims.claim_forward(saga_id=saga.id, index=0, owner=OTHER), Claim)
    _beat(OTHER, seconds_ago=20)
    _beats_went_through(21, 1)  # its last beat before the pause, its first after

    busy = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)

    assert isinstance(busy, Refused) and busy.why is claims.Refusal.BUSY
    assert 4 < busy.retry_after <= 5.05  # back when it may judge, in 5 s
    assert heartbeats.dead_runners(timezone.now()) == set()
    assert not saga.events.filter(event="lease_taken_over").exists()

    # Beating on time (every 2 s) for 7 s, it may judge: OTHER is gone.
    monkeypatch.setattr(heartbeats, "_steady", heartbeats.Steadiness())
    _beats_went_through(21, 7, 5, 3, 1)
    assert heartbeats.dead_runners(timezone.now()) == {runner_of(OTHER)}
    taken = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)
    assert isinstance(taken, Claim) and taken.generation == 2
    assert saga.events.filter(event="lease_taken_over").count() == 1


def test_a_long_step_renews_its_lease_from_the_heartbeat(transactional_db):
    saga = unsent_saga()
    claim = claims.claim_forward(saga_id=saga.id, index=0, owner=MINE)
    before = SagaStep.objects.get(id=claim.step_id).lease_expires_at

    assert heartbeats.renew(timezone.now()) == 0  # a short step costs no statement
    later = timezone.now() + timedelta(seconds=100)
    assert heartbeats.renew(later) == 1

    assert SagaStep.objects.get(id=claim.step_id).lease_expires_at > before + timedelta(seconds=90)
    claims.release(claim)
    assert heartbeats.renew(later + timedelta(seconds=100)) == 0  # nothing held any more


def test_a_saga_whose_message_is_overdue_is_resumed_before_the_stall_timeout(transactional_db):
    overdue = unsent_saga(status=SagaStatus.RUNNING)
    waiting = unsent_saga(status=SagaStatus.RUNNING)
    claim = claims.claim_forward(saga_id=overdue.id, index=0, owner=MINE)
    claims.release(claim, polled=True, due_in=30)  # a poll's countdown of 30 s
    claim = claims.claim_forward(saga_id=waiting.id, index=0, owner=MINE)
    claims.release(claim, polled=True, due_in=30)
    # Its message was due 11 s ago (a dead host had it): past the 10 s grace.
    Saga.objects.filter(id=overdue.id).update(due_at=timezone.now() - timedelta(seconds=11))

    assert sweep_stalled_sagas() == 1  # the stall timeout (300 s) is far away

    assert overdue.events.filter(event="saga_resumed").exists()
    assert not waiting.events.filter(event="saga_resumed").exists()
    overdue.refresh_from_db()
    assert overdue.due_at is None  # resumed once, not at every sweep
    assert sweep_stalled_sagas() == 0


def test_shortly_after_a_runner_was_lost_an_overdue_saga_is_resumed_after_the_short_grace(
    transactional_db,
):
    # On Redis the countdown polls a lost host had reserved come back only
    # after the visibility timeout; nothing says which sagas they were. For
    # as long as any of them can have been due (the longest countdown, 60 s,
    # plus the grace) the sweep resumes a saga 2 s late, not 10 s.
    saga = unsent_saga(status=SagaStatus.RUNNING)
    claims.release(claims.claim_forward(saga_id=saga.id, index=0, owner=MINE), polled=True, due_in=30)
    three_seconds_late = {"due_at": timezone.now() - timedelta(seconds=3)}
    Saga.objects.filter(id=saga.id).update(**three_seconds_late)
    _beat(MINE, seconds_ago=1)
    assert sweep_stalled_sagas() == 0  # nobody lost: within the 10 s grace

    _beat(OTHER, seconds_ago=600)  # lost long ago: whatever it held was due long since
    assert sweep_stalled_sagas() == 0

    _beat(OTHER, seconds_ago=20)  # lost 14 s ago
    assert sweep_stalled_sagas() == 1
    assert saga.events.filter(event="saga_resumed").count() == 1


def test_an_overdue_saga_whose_step_a_live_runner_holds_is_left_alone(transactional_db):
    saga = unsent_saga(status=SagaStatus.RUNNING)
    claims.claim_forward(saga_id=saga.id, index=0, owner=OTHER)
    Saga.objects.filter(id=saga.id).update(due_at=timezone.now() - timedelta(seconds=60))
    _beat(OTHER, seconds_ago=1)
    assert sweep_stalled_sagas() == 0

    _beat(OTHER, seconds_ago=60)  # its heartbeat stops: the saga is resumed
    assert sweep_stalled_sagas() == 1


def test_a_periodic_job_runs_once_per_period_whoever_offers(transactional_db):
    at = timezone.now()
    assert heartbeats.periodic_due("job", 5, at - timedelta(seconds=5)) is False  # the clock starts
    assert heartbeats.periodic_due("job", 5, at) is True
    assert heartbeats.periodic_due("job", 5, at + timedelta(seconds=1)) is False
    assert heartbeats.periodic_due("job", 5, at + timedelta(seconds=6)) is True
    assert WorkerHeartbeat.objects.count() == 0
