"""The operations page: what needs an operator now, on one admin page.

Sagas by status, the ``compensation_failed`` queue (each with what could not
be undone and a Retry button), stalled sagas (with Resume), recent
rollbacks with where they failed, and the panels the clients add (the
DigitalOcean budget). A fixed number of queries whatever the row counts;
each list is capped, with a link to the full list in the saga admin.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from provisioning.engine import hooks
from provisioning.engine.display.saga_page import status_pill, subject_label
from provisioning.engine.display.saga_summary import format_age, step_stories, summary_of
from provisioning.engine.models import SAGA_LIVE_STATUSES, Saga, SagaStatus, StepStatus
from provisioning.engine.selectors import with_summary_rows
from provisioning.engine.settings import engine_settings
from provisioning.engine.sweeper import stalled_sagas

LIST_LIMIT = 50
RECENT = timedelta(hours=24)


def _row(saga, now):
    stories = step_stories(saga, list(saga.steps.all()), saga.summary_events, now=now)
    summary = summary_of(
        saga, stories, saga.summary_events, now=now, stall_timeout=engine_settings().stall_timeout
    )
    current = next((s for s in stories if s.status in (StepStatus.RUNNING, StepStatus.COMPENSATING)), None)
    return {
        "saga": saga,
        "kind": saga.kind.replace("_", " "),  # spaces let it wrap
        "summary": summary,
        "stuck": [s for s in stories if s.compensation == StepStatus.COMPENSATION_FAILED],
        "current": current,
        "subject": subject_label(saga),
        "idle": format_age((now - saga.updated_at).total_seconds()),
        "age": format_age((now - saga.created_at).total_seconds()),
    }


def status_counts() -> list[tuple[str, int]]:
    """(status, count) for every status, zeros included, in lifecycle order."""
    counts = dict(Saga.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(status, counts.get(status, 0)) for status in SagaStatus.values]


def panels() -> list[tuple[str, list[tuple[str, str]]]]:
    """Each panel's title (``SAGA_ENGINE["operations_panels"]``) and its status as rows; a status that cannot
    be read (its store is down) says why instead of breaking the page."""
    shown = []
    for title, status in hooks.operations_panels():
        try:
            shown.append((title, status_rows(status())))
        except Exception as exc:
            shown.append((title, [("error", f"{type(exc).__name__}: {exc}"[:200])]))
    return shown


def status_rows(status: dict, prefix: str = "") -> list[tuple[str, str]]:
    """A nested status dict as (key, value) lines: ``minute.used  212``."""
    rows = []
    for key, value in status.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += status_rows(value, prefix=f"{name}.")
        else:
            rows.append((name, "—" if value is None else str(value)))
    return rows


def operations_context(*, now=None) -> dict:
    now = now or timezone.now()
    failed = with_summary_rows(Saga.objects.filter(status=SagaStatus.COMPENSATION_FAILED)).order_by(
        "-updated_at"
    )
    stalled = with_summary_rows(stalled_sagas())
    recent = with_summary_rows(
        Saga.objects.filter(status=SagaStatus.COMPENSATED, finished_at__gte=now - RECENT)
    ).order_by("-finished_at")
    counts = status_counts()
    return {
        "counts": [(status, status_pill(status), count) for status, count in counts],
        "total": sum(n for _, n in counts),
        "live_statuses": list(SAGA_LIVE_STATUSES),
        "compensation_failed": [_row(saga, now) for saga in failed[:LIST_LIMIT]],
        "stalled": [_row(saga, now) for saga in stalled[:LIST_LIMIT]],
        "recent_rollbacks": [_row(saga, now) for saga in recent[:LIST_LIMIT]],
        "stall_timeout": format_age(engine_settings().stall_timeout),
        "list_limit": LIST_LIMIT,
        "panels": panels(),
    }
