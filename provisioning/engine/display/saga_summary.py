"""What happened in a saga, told from its rows: one home for saga presentation.

The admin's banner, list columns and timeline, and the API's deployment
summary all read a saga through these functions, so they agree on which step
failed and how long things took. Everything here is pure: callers pass the
saga, its steps and its events already loaded (no query runs in here), and
``now`` for the sagas still running.

A step row keeps only its latest status: once compensated, a step that
failed and one that succeeded both read ``compensated``. The forward outcome
is recovered from the step's events (``step_failed`` / ``step_succeeded``),
which the engine writes with every outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from provisioning.engine.display.presentation import COMPENSATION_STATUSES, progress_label
from provisioning.engine.events import TURNAROUND_EVENTS, SagaEventName
from provisioning.engine.models import SAGA_LIVE_STATUSES, SagaStatus, StepStatus

_T, _G, E = StepStatus, SagaStatus, SagaEventName
# A step's events from its undo.
COMPENSATION_EVENTS = (
    E.COMPENSATION_STARTED,
    E.COMPENSATION_RETRYING,
    E.STEP_COMPENSATED,
    E.COMPENSATION_FAILED,
)

BRIEF_ERROR_LENGTH = 120
# Statuses whose page opens with a banner saying what went wrong.
TROUBLED_STATUSES = {_G.COMPENSATING, _G.COMPENSATED, _G.COMPENSATION_FAILED}


@dataclass(frozen=True)
class Mark:
    """A moment inside a step's run: a transient retry, a compensation retry."""

    at: datetime
    error: str = ""


@dataclass
class StepStory:
    """One step, both directions: what ran forward, what undid it, and when."""

    index: int
    total: int
    name: str
    status: str
    # succeeded / failed / running / pending / skipped; "interrupted" when the
    # saga turned around while the step ran (no outcome was recorded).
    forward: str
    # None until the step is being undone; then compensating / compensated /
    # compensation_failed.
    compensation: str | None
    forward_start: datetime | None
    forward_end: datetime | None
    compensation_start: datetime | None
    compensation_end: datetime | None
    attempts: int
    polls: int
    compensation_attempts: int
    # The row keeps one last_error for both directions; these are told apart
    # from the events (the forward failure survives a failing compensation).
    error: str
    compensation_error: str
    forward_task_id: str
    compensation_task_id: str
    retries: list[Mark] = field(default_factory=list)
    compensation_retries: list[Mark] = field(default_factory=list)

    @property
    def position(self) -> str:
        return f"{self.index + 1}/{self.total}"

    @property
    def started(self) -> bool:
        return self.forward_start is not None

    @property
    def forward_seconds(self) -> float | None:
        return _seconds(self.forward_start, self.forward_end)

    @property
    def compensation_seconds(self) -> float | None:
        return _seconds(self.compensation_start, self.compensation_end)

    @property
    def outcomes(self) -> list[str]:
        """The badges, in order: ``["failed", "compensated"]``."""
        return [self.forward] if self.compensation is None else [self.forward, self.compensation]


@dataclass(frozen=True)
class SagaSummary:
    status: str
    headline: str  # one sentence: the banner, or the neutral line above the steps
    troubled: bool  # failed, compensated, compensation_failed or stalled: a banner
    stalled: bool
    failed_step: StepStory | None
    progress: str  # "k/n" steps succeeded
    seconds: float | None  # from creation to the end (or to now, while running)
    brief_error: str  # the error's first line, cut short


def brief_error(text: str, limit: int = BRIEF_ERROR_LENGTH) -> str:
    """The error's first line, cut to ``limit`` characters with an ellipsis."""
    line = (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def format_seconds(seconds: float | None) -> str:
    """Milliseconds for steps, seconds for sagas, minutes for stalls."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 120:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def format_age(seconds: float) -> str:
    """How long ago, in whole units: "12 s", "7 min", "3 h 5 min"."""
    if seconds < 120:
        return f"{max(0, int(seconds))} s"
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


def step_stories(saga, steps, events, *, now: datetime) -> list[StepStory]:
    """Every step of the saga, in order, with both of its outcomes."""
    steps = sorted(steps, key=lambda step: step.index)
    by_step: dict[int, list] = {}
    turnaround = None
    for event in sorted(events, key=lambda event: (event.at, event.id or 0)):
        if event.step_id is not None:
            by_step.setdefault(event.step_id, []).append(event)
        elif event.event in TURNAROUND_EVENTS and turnaround is None:
            turnaround = event.at
    return [_story(step, len(steps), by_step.get(step.id, []), saga, turnaround, now) for step in steps]


def _story(step, total: int, events: list, saga, turnaround, now: datetime) -> StepStory:
    names = [event.event for event in events]
    compensating = step.status in COMPENSATION_STATUSES
    forward = _forward_outcome(step, names, compensating)
    comp_events = [e for e in events if e.event in COMPENSATION_EVENTS]
    compensation_start = min((e.at for e in comp_events), default=None)
    if compensating and compensation_start is None:
        compensation_start = turnaround or saga.updated_at
    compensation_end = step.compensated_at
    if step.status == _T.COMPENSATION_FAILED:
        compensation_end = max((e.at for e in events if e.event == E.COMPENSATION_FAILED), default=None)
    if compensating and compensation_end is None:
        compensation_end = now if saga.status in SAGA_LIVE_STATUSES else saga.finished_at or now
    forward_end = step.finished_at
    if forward_end is None and step.started_at is not None:
        # Still running, or cut short by a turnaround that recorded no outcome.
        forward_end = now if forward == _T.RUNNING else (compensation_start or turnaround or now)
    return StepStory(
        index=step.index,
        total=total,
        name=step.name,
        status=step.status,
        forward=forward,
        compensation=step.status if compensating else None,
        forward_start=step.started_at,
        forward_end=forward_end,
        compensation_start=compensation_start if compensating else None,
        compensation_end=compensation_end if compensating else None,
        attempts=step.attempts,
        polls=step.polls,
        compensation_attempts=step.compensation_attempts,
        error=_forward_error(step, events, compensating),
        compensation_error=_compensation_error(step, events),
        forward_task_id=step.celery_task_id,
        compensation_task_id=step.compensation_task_id,
        retries=[_mark(e) for e in events if e.event == E.STEP_RETRYING],
        compensation_retries=[_mark(e) for e in events if e.event == E.COMPENSATION_RETRYING],
    )


def _forward_outcome(step, names: list[str], compensating: bool) -> str:
    if not compensating:
        return step.status
    if E.STEP_FAILED in names:
        return _T.FAILED
    if E.STEP_SUCCEEDED in names:
        return _T.SUCCEEDED
    return "interrupted" if step.started_at else _T.PENDING


def _forward_error(step, events, compensating: bool) -> str:
    if not compensating:
        return step.last_error
    failures = [_mark(e).error for e in events if e.event in (E.STEP_FAILED, E.STEP_RETRYING)]
    return failures[-1] if failures else ""


def _compensation_error(step, events) -> str:
    failures = [_mark(e).error for e in events if e.event in (E.COMPENSATION_FAILED, E.COMPENSATION_RETRYING)]
    if step.status == _T.COMPENSATED:
        return ""
    return failures[-1] if failures else (step.last_error if step.status in COMPENSATION_STATUSES else "")


def _mark(event) -> Mark:
    detail = event.detail if isinstance(event.detail, dict) else {}
    return Mark(at=event.at, error=str(detail.get("error", "")))


def _seconds(start, end) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def saga_summary(saga, steps, events, *, now: datetime, stall_timeout: float) -> SagaSummary:
    """The saga in one sentence, failure first."""
    stories = step_stories(saga, steps, events, now=now)
    return summary_of(saga, stories, events, now=now, stall_timeout=stall_timeout)


def summary_of(saga, stories: list[StepStory], events, *, now: datetime, stall_timeout: float) -> SagaSummary:
    """The same, from stories already built (the admin page builds them once)."""
    failed = next((story for story in reversed(stories) if story.forward == _T.FAILED), None)
    end = saga.finished_at or now
    seconds = _seconds(saga.created_at, end)
    stalled = saga.status in SAGA_LIVE_STATUSES and saga.updated_at < now - timedelta(seconds=stall_timeout)
    error = brief_error((failed.error if failed else "") or saga.error)
    headline = _headline(saga, stories, events, failed, error, stalled=stalled, now=now)
    return SagaSummary(
        status=saga.status,
        headline=headline,
        troubled=stalled or saga.status in TROUBLED_STATUSES,
        stalled=stalled,
        failed_step=failed,
        progress=progress_label(story.status for story in stories),
        seconds=seconds,
        brief_error=error,
    )


def _headline(saga, stories, events, failed, error, *, stalled: bool, now) -> str:
    status = saga.status
    if status == _G.SUCCEEDED:
        took = format_seconds(_seconds(saga.created_at, saga.finished_at))
        return f"Succeeded: {_steps(len(stories))} in {took}."
    if status in (_G.PENDING, _G.RUNNING):
        current = next((s for s in stories if s.forward in (_T.RUNNING, _T.PENDING)), None)
        where = f" at {current.position} {current.name}" if current else ""
        if stalled:
            idle = format_seconds((now - saga.updated_at).total_seconds())
            return (
                f"Stalled{where}: no progress for {idle}. The sweeper resumes it on its own; "
                "Resume sends its next message now."
            )
        return f"{status.capitalize()}{where}, {format_seconds(_seconds(saga.created_at, now))} so far."
    cause = _cause(events, failed, error)
    rolled = [s for s in stories if s.compensation == _T.COMPENSATED]
    rollback = _rollback_seconds(events, saga, now)
    if status == _G.COMPENSATED:
        return f"{cause} — rolled back {_steps(len(rolled))} in {format_seconds(rollback)}."
    if status == _G.COMPENSATION_FAILED:
        stuck = [s for s in stories if s.compensation == _T.COMPENSATION_FAILED]
        names = ", ".join(f"{s.position} {s.name} ({brief_error(s.compensation_error, 80)})" for s in stuck)
        return (
            f"{cause} — rolled back {_steps(len(rolled))}, but could not undo {names}. "
            "Fix the cause, then Retry compensation."
        )
    # compensating
    pending = [s for s in stories if s.compensation == _T.COMPENSATING]
    where = f", now undoing {pending[-1].position} {pending[-1].name}" if pending else ""
    suffix = " Stalled: the sweeper resumes it." if stalled else ""
    return f"{cause} — rolling back: {_steps(len(rolled))} undone so far{where}.{suffix}"


def _cause(events, failed: StepStory | None, error: str) -> str:
    if failed is not None:
        return f"Failed at {failed.position} {failed.name}: {error}"
    if any(event.event in (E.SAGA_CANCELLED, E.CANCEL_REQUESTED) for event in events):
        return "Cancelled on request"
    return f"Failed: {error}" if error else "Failed"


def _rollback_seconds(events, saga, now) -> float | None:
    turn = min((e.at for e in events if e.event in TURNAROUND_EVENTS), default=None)
    return _seconds(turn, saga.finished_at or now)


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"
