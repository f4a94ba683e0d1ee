"""Claims on step rows, used by both directions: claim, lease, release,
record, checkpoint.

A runner claims a step row (a lease: owner and expiry), runs the step
outside any transaction, then records the outcome conditionally on still
holding the lease. A delivery that finds the step under a live lease backs
off; one that finds the lease expired takes the step over. Whatever a
runner writes after its lease was taken over is dropped: steps are
idempotent, the new owner's result stands.

On PostgreSQL a forward transition costs two round trips (see
:mod:`claims_sql`); elsewhere, or when the row is busy, the portable path
reads the row first and decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from provisioning.engine import claims_sql, owners, registry
from provisioning.engine.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.engine.protocol import StepContext
from provisioning.engine.settings import engine_settings

_T, _G = StepStatus, SagaStatus
FORWARD_SAGA_STATUSES = (_G.PENDING, _G.RUNNING)
# Steps that started and are not undone yet.
NEEDS_COMPENSATION = (_T.SUCCEEDED, _T.FAILED, _T.RUNNING, _T.COMPENSATING)

# How long a delivery that finds the step held by a live lease waits before
# looking again (bounded by the lease itself).
LEASE_BACKOFF_MAX = 5.0


@dataclass(frozen=True)
class Claim:
    """A step row this runner holds, with what it needs to run the step."""

    saga_id: Any
    step_id: int
    index: int
    name: str
    owner: str
    attempts: int
    polls: int
    compensation_attempts: int
    started_at: datetime
    claimed_at: datetime
    kind: str
    version: int
    compensating: bool = False
    throttled_seconds: float = 0.0
    saga_created_at: datetime | None = None
    retrying_since: datetime | None = None
    context: dict = field(default_factory=dict)
    # What the step checkpointed during this run (already committed).
    saved: dict = field(default_factory=dict, compare=False)

    @property
    def attempt(self) -> int:
        """This run's number in its direction."""
        return self.compensation_attempts if self.compensating else self.attempts

    @classmethod
    def taken(cls, step: SagaStep, saga: Saga, *, owner: str, at: datetime, **counters) -> Claim:
        """The claim on ``step`` (a row read before its conditional UPDATE);
        ``counters`` gives the counter that UPDATE bumped."""
        fields = {"attempts": step.attempts, "compensation_attempts": step.compensation_attempts}
        return cls(
            saga_id=saga.id,
            step_id=step.id,
            index=step.index,
            name=step.name,
            owner=owner,
            polls=step.polls,
            started_at=step.started_at or at,
            claimed_at=at,
            kind=saga.kind,
            version=saga.version,
            compensating=saga.status == _G.COMPENSATING,
            throttled_seconds=step.throttled_seconds,
            saga_created_at=saga.created_at,
            retrying_since=step.retrying_since,
            context=saga.context,
            **{**fields, **counters},
        )


class Refusal(Enum):
    """Why a delivery did not get the step."""

    OVER = "over"  # the saga moved on (finished, or turned around): stop here
    DONE = "done"  # this step needs nothing more: the chain may go on
    BUSY = "busy"  # another runner holds a live lease: look again later
    CANCEL = "cancel"  # a cancel was asked: the caller turns the saga around
    EXHAUSTED = "exhausted"  # compensation attempts ran out in runs that died


@dataclass(frozen=True)
class Refused:
    why: Refusal
    retry_after: float = 0.0
    claim: Claim | None = None  # EXHAUSTED: the row, to give up on
    error: str = ""


def now() -> datetime:
    return timezone.now()


def lease_expiry(at: datetime) -> datetime:
    return at + timedelta(seconds=engine_settings().lease_seconds)


def failing_for(claim: Claim) -> float:
    """Seconds since the unbroken run of transient failures this run ends began."""
    return (now() - (claim.retrying_since or claim.claimed_at)).total_seconds()


def held_by_someone_else(row: SagaStep, at: datetime, owner: str) -> float:
    """Seconds left on another runner's live lease (0 when free, expired, or
    held by a run known to be gone: see :mod:`owners`)."""
    if not row.lease_owner or row.lease_expires_at is None or row.lease_expires_at <= at:
        return 0.0
    if owners.gone(row.lease_owner, owner):
        event(row.saga_id, "lease_taken_over", step_id=row.id, at=at, holder=row.lease_owner).save()
        return 0.0
    return (row.lease_expires_at - at).total_seconds()


def _busy(remaining: float) -> Refused:
    return Refused(Refusal.BUSY, retry_after=min(remaining, LEASE_BACKOFF_MAX) + 0.05)


def event(saga_id, event_name: str, *, step_id: int | None = None, at=None, **detail) -> SagaEvent:
    """An unsaved event row (callers bulk-insert them with their outcome)."""
    return SagaEvent(saga_id=saga_id, step_id=step_id, event=event_name, detail=detail, at=at or now())


def step_context(claim: Claim) -> StepContext:
    """What the step sees while this claim runs it, ``checkpoint`` included."""
    return StepContext(
        saga_id=str(claim.saga_id),
        step_index=claim.index,
        step_name=claim.name,
        attempt=claim.attempt,
        data=claim.context,
        started_at=claim.started_at,
        throttled_seconds=claim.throttled_seconds,
        compensating=claim.compensating,
        saga_started_at=claim.saga_created_at,
        _checkpoint=lambda values: checkpoint(claim, values),
    )


def compensation_owed(saga_id) -> list[tuple[int, str]]:
    """(index, name) of every step to compensate: each that started and is
    not undone yet (one given up on is claimed as done, so a chain goes on),
    and each skipped one that owns the saga's failure state."""
    rows = (
        SagaStep.objects.filter(saga_id=saga_id)
        .exclude(status__in=[_T.PENDING, _T.COMPENSATED])
        .values_list("index", "name", "status", "saga__kind", "saga__version")
    )
    owed = []
    for index, name, status, kind, version in rows:
        step = registry.get_definition(kind, version).steps[index]
        if status != _T.SKIPPED or step.compensate_if_skipped:
            owed.append((index, name))
    return owed


# --- claim ---------------------------------------------------------------------------


def claim_forward(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a forward-running saga, or say why not."""
    at = now()
    if claims_sql.available():
        row = claims_sql.claim_row(
            saga_id=saga_id, index=index, owner=owner, task_id=task_id, at=at, expires=lease_expiry(at)
        )
        if row is not None:
            return Claim(
                saga_id=saga_id,
                step_id=row["step_id"],
                index=index,
                name=row["name"],
                owner=owner,
                attempts=row["attempts"],
                polls=row["polls"],
                compensation_attempts=row["compensation_attempts"],
                started_at=row["started_at"],
                claimed_at=at,
                kind=row["kind"],
                version=row["version"],
                throttled_seconds=row["throttled_seconds"],
                saga_created_at=row["saga_created_at"],
                retrying_since=row["retrying_since"],
                context=row["context"],
            )
    # The row did not qualify for the one-statement claim (or this is not
    # PostgreSQL): read it and decide.
    row = SagaStep.objects.select_related("saga").get(saga_id=saga_id, index=index)
    saga = row.saga
    if saga.status not in FORWARD_SAGA_STATUSES:
        return Refused(Refusal.OVER)  # compensating or finished: forward work is over
    if saga.cancel_requested:
        return Refused(Refusal.CANCEL)
    if row.status not in (_T.PENDING, _T.RUNNING):
        # Succeeded: a duplicate delivery. The original continued the chain;
        # if it died before it could, the sweeper resumes the saga.
        return Refused(Refusal.OVER)
    if remaining := held_by_someone_else(row, at, owner):
        return _busy(remaining)
    # Conditional on what was read: attempts works as a version number, so
    # of two deliveries racing here exactly one wins.
    won = SagaStep.objects.filter(id=row.id, status=row.status, attempts=row.attempts).update(
        status=_T.RUNNING,
        attempts=F("attempts") + 1,
        started_at=row.started_at or at,
        lease_owner=owner,
        lease_expires_at=lease_expiry(at),
        celery_task_id=task_id or row.celery_task_id,
    )
    if not won:
        return _busy(1.0)
    if saga.status == _G.PENDING:
        Saga.objects.filter(id=saga_id, status=_G.PENDING).update(status=_G.RUNNING, updated_at=at)
    return Claim.taken(row, saga, owner=owner, at=at, attempts=row.attempts + 1)


def claim_compensation(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a compensating saga for its undo, or say why not."""
    row = SagaStep.objects.select_related("saga").get(saga_id=saga_id, index=index)
    saga, at = row.saga, now()
    if saga.status != _G.COMPENSATING:
        return Refused(Refusal.OVER)
    step = registry.get_definition(saga.kind, saga.version).steps[index]
    skipped_but_owed = row.status == _T.SKIPPED and step.compensate_if_skipped
    if row.status not in NEEDS_COMPENSATION and not skipped_but_owed:
        return Refused(Refusal.DONE)  # never started, or already undone / given up on
    if remaining := held_by_someone_else(row, at, owner):
        return _busy(remaining)
    policy = step.compensation_retry
    if policy.max_attempts is not None and row.compensation_attempts >= policy.max_attempts:
        exhausted = Claim.taken(row, saga, owner=owner, at=at)
        return Refused(Refusal.EXHAUSTED, claim=exhausted, error=row.last_error)
    won = SagaStep.objects.filter(
        id=row.id, status=row.status, compensation_attempts=row.compensation_attempts
    ).update(
        status=_T.COMPENSATING,
        compensation_attempts=F("compensation_attempts") + 1,
        lease_owner=owner,
        lease_expires_at=lease_expiry(at),
        compensation_task_id=task_id or row.compensation_task_id,
    )
    if not won:
        return _busy(1.0)
    return Claim.taken(row, saga, owner=owner, at=at, compensation_attempts=row.compensation_attempts + 1)


# --- checkpoint ------------------------------------------------------------------------


class LeaseLost(Exception):
    """This runner no longer holds the step: whatever it was about to do, it must not."""


def checkpoint(claim: Claim, values: dict) -> None:
    """Commit ``values`` into the saga context while this runner holds the
    step (before a side effect that destroys them)."""
    at = now()
    if claims_sql.available():
        held = claims_sql.checkpoint(claim=claim, values=values, at=at)
    else:
        with transaction.atomic():
            held = SagaStep.objects.filter(id=claim.step_id, lease_owner=claim.owner).exists()
            if held:
                saga = Saga.objects.select_for_update().only("context").get(id=claim.saga_id)
                context = {**saga.context, **values}
                Saga.objects.filter(id=claim.saga_id).update(context=context, updated_at=at)
    if not held:
        raise LeaseLost(f"step {claim.index}:{claim.name} was taken over; checkpoint refused")
    claim.saved.update(values)


# --- record ----------------------------------------------------------------------------


def record_success(claim: Claim, outputs: dict, *, last: bool) -> bool:
    """Mark the step succeeded, merge its outputs into the saga context and
    append its events, atomically; the last step also ends the saga. False
    when the lease was lost (the result is dropped)."""
    at = now()
    if claims_sql.available():
        return claims_sql.record_success(claim=claim, outputs=outputs, at=at, last=last)
    return _record_success_portable(claim, outputs, at=at, last=last)


def _record_success_portable(claim: Claim, outputs: dict, *, at, last: bool) -> bool:
    """The portable record (SQLite): five statements in one transaction."""
    with transaction.atomic():
        held = SagaStep.objects.filter(id=claim.step_id, status=_T.RUNNING, lease_owner=claim.owner).update(
            status=_T.SUCCEEDED,
            finished_at=at,
            lease_owner="",
            lease_expires_at=None,
            last_error="",
            retrying_since=None,
        )
        if not held:
            return False
        # Read-modify-write is safe: forward steps run one at a time and only
        # the lease holder gets here (checkpoints it made are in ``saved``).
        context = {**claim.context, **claim.saved, **outputs}
        fields = {"context": context, "updated_at": at}
        if last:
            fields.update(status=_G.SUCCEEDED, finished_at=at)
        ended = Saga.objects.filter(id=claim.saga_id, status=_G.RUNNING).update(**fields)
        if not ended:
            # Turned around by a cancel or a failure while this step ran:
            # its outputs still count, its compensation needs them.
            Saga.objects.filter(id=claim.saga_id, status=_G.COMPENSATING).update(
                context=context, updated_at=at
            )
        started = {"attempt": claim.attempts}
        events = [
            event(claim.saga_id, "step_started", step_id=claim.step_id, at=claim.claimed_at, **started),
            event(claim.saga_id, "step_succeeded", step_id=claim.step_id, at=at, outputs=sorted(outputs)),
        ]
        if last and ended:
            events.append(event(claim.saga_id, "saga_succeeded", at=at))
        SagaEvent.objects.bulk_create(events)
    return True


def record_compensation(claim: Claim, status: str, *, error: str = "", held: bool = True) -> bool:
    """Record the end of a step's compensation (``compensated`` or
    ``compensation_failed``) with its two events. ``held=False`` records on a
    row nobody holds (attempts ran out in runs that died)."""
    at = now()
    rows = SagaStep.objects.filter(id=claim.step_id)
    rows = rows.filter(lease_owner=claim.owner) if held else rows.exclude(status__in=[_T.COMPENSATED])
    fields = {"status": status, "lease_owner": "", "lease_expires_at": None, "retrying_since": None}
    if status == _T.COMPENSATED:
        fields["compensated_at"] = at
    else:
        fields["last_error"] = error
    event_name = "step_compensated" if status == _T.COMPENSATED else "compensation_failed"
    with transaction.atomic():
        if not rows.update(**fields):
            return False  # someone else holds it now; their record stands
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at)
        detail = {"attempt": claim.compensation_attempts, **({"error": error} if error else {})}
        SagaEvent.objects.bulk_create(
            [
                event(claim.saga_id, "compensation_started", step_id=claim.step_id, at=claim.claimed_at),
                event(claim.saga_id, event_name, step_id=claim.step_id, at=at, **detail),
            ]
        )
    return True


# --- release ---------------------------------------------------------------------------


def release(
    claim: Claim,
    *,
    polled: bool = False,
    failed: bool = False,
    uncounted: bool = False,
    throttled_for: float = 0.0,
    error: str = "",
    event_name: str = "",
    **detail,
) -> None:
    """Give the lease back so the retry (or anyone) can claim the step again.

    ``polled``: the run found the world not ready (a poll, not a try).
    ``failed``: the run failed transiently; the first of an unbroken run of
    such failures starts the clock ``RetryPolicy.give_up_after`` runs on.
    ``uncounted``: the run never reached the outside world (it waited for a
    budget), so it does not count as an attempt; ``throttled_for`` seconds
    are added to the time not held against the step's deadline.
    """
    at = now()
    fields: dict[str, Any] = {"lease_owner": "", "lease_expires_at": None}
    if polled:
        fields["polls"] = F("polls") + 1
        fields["retrying_since"] = None  # the world answered: the failures ended
    if failed:
        fields["retrying_since"] = Coalesce(F("retrying_since"), at)
    if error:
        fields["last_error"] = error
    if uncounted:
        counter = "compensation_attempts" if claim.compensating else "attempts"
        fields[counter] = F(counter) - 1
    if throttled_for:
        fields["throttled_seconds"] = F("throttled_seconds") + throttled_for
    with transaction.atomic():
        SagaStep.objects.filter(id=claim.step_id, lease_owner=claim.owner).update(**fields)
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at)
        if event_name:
            event(claim.saga_id, event_name, step_id=claim.step_id, at=at, error=error, **detail).save()
