"""Liveness across hosts: worker heartbeats, the leases a process renews
while its steps run, and periodic jobs one worker at a time runs.

Kept in PostgreSQL beside the leases, not in Redis: a claim then judges a
holder's heartbeat and takes its step in the same store, under the same
transaction rules, and a runner cut off from the database is cut off from
both at once (its heartbeat stops exactly when it can no longer record).

The threads that call these live in :mod:`.fleet`; this module only reads
and writes rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from provisioning.engine.models import PeriodicRun, SagaStep, WorkerHeartbeat
from provisioning.engine.owners import runner_of
from provisioning.engine.settings import engine_settings

# A heartbeat row this old belongs to a process long gone: dropped by the sweep.
FORGET_AFTER = timedelta(hours=1)


def beat(runner: str, at: datetime) -> None:
    """Say ``runner`` is alive at ``at`` (one upsert)."""
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(runner=runner, beat_at=at)],
        update_conflicts=True,
        unique_fields=["runner"],
        update_fields=["beat_at"],
    )


def seconds_until_dead(owner: str, at: datetime) -> float | None:
    """How long until the process holding ``owner``'s lease counts as gone
    if it beats no more (0 or less: it has missed its heartbeats for
    ``runner_dead_after`` already, and this process may judge it: see
    :func:`may_judge`). None for a runner with no heartbeat row (an
    embedded worker, eager mode, a process from before heartbeats): it is
    not known dead, its lease's expiry decides. (PostgreSQL's one-statement
    claim applies the same rule in its SQL.)"""
    beat_at = (
        WorkerHeartbeat.objects.filter(runner=runner_of(owner)).values_list("beat_at", flat=True).first()
    )
    if beat_at is None:
        return None
    left = engine_settings().runner_dead_after - (at - beat_at).total_seconds()
    return max(left, seconds_until_judge(at))


def dead_before(at: datetime) -> datetime:
    """A holder whose last heartbeat is older than this is gone: the
    dead-after bound ago, or never while this process may not judge."""
    if seconds_until_judge(at) > 0:
        return NEVER
    return at - timedelta(seconds=engine_settings().runner_dead_after)


def dead_runners(at: datetime) -> set[str]:
    return set(WorkerHeartbeat.objects.filter(beat_at__lt=dead_before(at)).values_list("runner", flat=True))


def lost_lately(at: datetime) -> bool:
    """Whether a runner counted as gone within the last ``max_countdown +
    due_grace`` seconds: the longest a message it held (a countdown poll,
    reserved and never acknowledged) can have been due since. Until then
    the sweep resumes overdue sagas after ``due_grace_after_loss`` instead
    of ``due_grace``: on Redis those messages come back only after the
    visibility timeout, and nothing else says which sagas they were."""
    settings = engine_settings()
    gone = dead_before(at)
    window = timedelta(seconds=settings.max_countdown + settings.due_grace)
    return WorkerHeartbeat.objects.filter(beat_at__lt=gone, beat_at__gte=gone - window).exists()


def forget_old(at: datetime) -> int:
    return WorkerHeartbeat.objects.filter(beat_at__lt=at - FORGET_AFTER).delete()[0]


# --- whether this process may judge other runners gone --------------------
#
# A stale heartbeat means its runner is gone only if heartbeats could be
# written all along. After a database outage or pause every heartbeat is
# stale, the judge's own too, and the first claims after it would take over
# the steps of every live runner. So a process judges by heartbeat only
# once its own beats have gone through on time (each within two periods of
# the last) for the dead-after bound: whatever kept the others from beating
# then kept it too. The dead-after bound need only outlast one runner's
# own delays, not the database's.

NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # no heartbeat is older than this


@dataclass
class Steadiness:
    beats: bool = False  # this process runs a heartbeat thread (fleet.start)
    last_beat: datetime | None = None  # when its last beat went through
    since: datetime | None = None  # when its beats began going through on time


_steady = Steadiness()


def beat_went_through(at: datetime) -> float:
    """Note this process's beat was written at ``at`` (after the statement:
    one that waited on a paused database arrives late and breaks the run);
    the seconds since its last one went through (0 for the first)."""
    period = engine_settings().heartbeat_seconds
    gap = 0.0 if _steady.last_beat is None else (at - _steady.last_beat).total_seconds()
    late = _steady.last_beat is None or gap > 2 * period
    _steady.beats = True
    _steady.since = at if late or _steady.since is None else _steady.since
    _steady.last_beat = at
    return gap


def beat_failed() -> None:
    _steady.since = None


def seconds_until_judge(at: datetime) -> float:
    """0 when this process may judge other runners by their heartbeats;
    otherwise a guess of how long until it may. A process that runs no
    heartbeat thread (the embedded worker, a shell, a test) judges by the
    heartbeats alone, as it has no beats of its own to compare."""
    if not _steady.beats:
        return 0.0
    settings = engine_settings()
    if _steady.since is None or _steady.last_beat is None:
        return settings.runner_dead_after
    if (at - _steady.last_beat).total_seconds() > 2 * settings.heartbeat_seconds:
        return settings.runner_dead_after  # its own beats are late now
    return max(0.0, settings.runner_dead_after - (at - _steady.since).total_seconds())


# --- the leases this process holds, renewed by its heartbeat thread ---------


@dataclass
class Held:
    step_id: int
    owner: str
    generation: int
    renewed_at: datetime


# One step at a time per thread (a prefork pool process has one; a threads
# pool several): keyed by thread, so a run that ended without recording is
# replaced by its thread's next claim, or dropped after its task.
_held: dict[int, Held] = {}
_held_lock = threading.Lock()


def hold(*, step_id: int, owner: str, generation: int, at: datetime) -> None:
    with _held_lock:
        _held[threading.get_ident()] = Held(step_id, owner, generation, at)


def let_go() -> None:
    """This thread's run no longer holds a lease (it recorded, released, or
    its task ended)."""
    with _held_lock:
        _held.pop(threading.get_ident(), None)


def renew(at: datetime) -> int:
    """Extend the leases this process's runs have held for a third of a
    lease: a long step is never taken for abandoned. No statement at all
    while every step is short."""
    lease = timedelta(seconds=engine_settings().lease_seconds)
    with _held_lock:
        due = [held for held in _held.values() if held.renewed_at <= at - lease / 3]
    renewed = 0
    for held in due:
        renewed += SagaStep.objects.filter(
            id=held.step_id, lease_owner=held.owner, lease_generation=held.generation
        ).update(lease_expires_at=at + lease)
        held.renewed_at = at
    return renewed


# --- periodic jobs: every worker offers, one runs ---------------------------


def periodic_due(name: str, seconds: float, at: datetime) -> bool:
    """Whether this caller won the run of ``name`` due every ``seconds``.

    One conditional UPDATE: concurrent callers queue on the row's lock and
    re-check ``last_run_at`` after it, so exactly one wins each period and
    the others return at once (what ``SELECT ... FOR UPDATE SKIP LOCKED``
    would give, in one statement and on SQLite too). The first offer
    creates the row and starts the clock without running, as beat does:
    a fleet's first reconcile pass comes one interval after it started."""
    due = PeriodicRun.objects.filter(name=name, last_run_at__lte=at - timedelta(seconds=seconds))
    if due.update(last_run_at=at):
        return True
    if name not in _rows_made:
        PeriodicRun.objects.bulk_create([PeriodicRun(name=name, last_run_at=at)], ignore_conflicts=True)
        _rows_made.add(name)
    return False


_rows_made: set[str] = set()  # the rows this process made sure exist
