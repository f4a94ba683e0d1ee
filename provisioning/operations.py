"""The operations page: what needs an operator now, on one admin page.

Sagas by status, the ``compensation_failed`` queue (each with what could not
be undone and a Retry button), stalled sagas (with Resume), recent
rollbacks with where they failed, and the DigitalOcean budget once the
budget module exists. A fixed number of queries whatever the row counts;
each list is capped, with a link to the full list in the saga admin.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.module_loading import import_string

from provisioning.models import SAGA_LIVE_STATUSES, Saga, SagaEvent, SagaStatus, StepStatus
from provisioning.saga_page import status_pill
from provisioning.saga_summary import SUMMARY_EVENTS, format_age, step_stories, summary_of
from provisioning.sweeper import stalled_sagas

LIST_LIMIT = 50
RECENT = timedelta(hours=24)
# The provider budget (another module, not in every build yet): its
# ``budget_status() -> dict`` says what is used and left per window, whether
# the token is paused and until when, who waits, and the last 429. This is
# the only place that names it; without it the page says so.
BUDGET_STATUS = "inventory.budget.budget_status"


def _with_summary_rows(sagas):
    summary_events = SagaEvent.objects.filter(event__in=SUMMARY_EVENTS).order_by("at", "id")
    return sagas.select_related("deployment").prefetch_related(
        "steps", Prefetch("events", queryset=summary_events, to_attr="summary_events")
    )


def _row(saga, now):
    stories = step_stories(saga, list(saga.steps.all()), saga.summary_events, now=now)
    summary = summary_of(
        saga, stories, saga.summary_events, now=now, stall_timeout=settings.ARCADIA_SAGA_STALL_TIMEOUT
    )
    current = next((s for s in stories if s.status in (StepStatus.RUNNING, StepStatus.COMPENSATING)), None)
    return {
        "saga": saga,
        "kind": saga.kind.replace("_", " "),  # spaces let it wrap
        "summary": summary,
        "stuck": [s for s in stories if s.compensation == StepStatus.COMPENSATION_FAILED],
        "current": current,
        "idle": format_age((now - saga.updated_at).total_seconds()),
        "age": format_age((now - saga.created_at).total_seconds()),
    }


def status_counts() -> list[tuple[str, int]]:
    """(status, count) for every status, zeros included, in lifecycle order."""
    counts = dict(Saga.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(status, counts.get(status, 0)) for status in SagaStatus.values]


def budget() -> dict | None:
    """The provider budget's status, or None while the budget module is absent."""
    try:
        status = import_string(BUDGET_STATUS)
    except ImportError:
        return None
    return status()


def budget_rows(status: dict, prefix: str = "") -> list[tuple[str, str]]:
    """A nested status dict as (key, value) lines: ``minute.used  212``."""
    rows = []
    for key, value in status.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += budget_rows(value, prefix=f"{name}.")
        else:
            rows.append((name, "—" if value is None else str(value)))
    return rows


def operations_context(*, now=None) -> dict:
    now = now or timezone.now()
    failed = _with_summary_rows(Saga.objects.filter(status=SagaStatus.COMPENSATION_FAILED)).order_by(
        "-updated_at"
    )
    stalled = _with_summary_rows(stalled_sagas())
    recent = _with_summary_rows(
        Saga.objects.filter(status=SagaStatus.COMPENSATED, finished_at__gte=now - RECENT)
    ).order_by("-finished_at")
    status = budget()
    counts = status_counts()
    return {
        "counts": [(status, status_pill(status), count) for status, count in counts],
        "total": sum(n for _, n in counts),
        "live_statuses": list(SAGA_LIVE_STATUSES),
        "compensation_failed": [_row(saga, now) for saga in failed[:LIST_LIMIT]],
        "stalled": [_row(saga, now) for saga in stalled[:LIST_LIMIT]],
        "recent_rollbacks": [_row(saga, now) for saga in recent[:LIST_LIMIT]],
        "stall_timeout": format_age(settings.ARCADIA_SAGA_STALL_TIMEOUT),
        "list_limit": LIST_LIMIT,
        "budget": None if status is None else budget_rows(status),
    }
