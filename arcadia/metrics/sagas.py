"""The saga series: started, finished by outcome, live and stalled, and how
long sagas and their rollbacks took. Three GROUP BY queries over the ledger.

``finished`` counts the settle events (append-only, so the counter never goes
down); a saga an operator retried after ``compensation_failed`` settles
again and is counted once more under its new outcome. ``cancelled`` is a
saga that a cancel turned around and that then compensated.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from arcadia.metrics.buckets import SAGA_BOUNDS, aggregates, duration, histogram_value, observed
from provisioning.engine import (
    SAGA_LIVE_STATUSES,
    SAGA_TERMINAL_STATUSES,
    Saga,
    SagaEvent,
    SagaEventName,
    SagaStatus,
)

E = SagaEventName

SUCCEEDED, COMPENSATED, CANCELLED, COMPENSATION_FAILED = (
    "succeeded",
    "compensated",
    "cancelled",
    "compensation_failed",
)
OUTCOMES = (SUCCEEDED, COMPENSATED, CANCELLED, COMPENSATION_FAILED)
ROLLBACK_OUTCOMES = (COMPENSATED, CANCELLED, COMPENSATION_FAILED)

# The events that settle a saga, and the outcome each tells.
_SETTLE_EVENTS = {
    E.SAGA_SUCCEEDED: SUCCEEDED,
    E.SAGA_COMPENSATED: COMPENSATED,
    E.SAGA_COMPENSATION_FAILED: COMPENSATION_FAILED,
}
_BY_STATUS = {
    SagaStatus.SUCCEEDED: SUCCEEDED,
    SagaStatus.COMPENSATED: COMPENSATED,
    SagaStatus.COMPENSATION_FAILED: COMPENSATION_FAILED,
}
# Where a rollback starts: the step failure or the cancel that turned the saga around.
_TURNAROUND_EVENTS = (E.SAGA_COMPENSATING, E.SAGA_CANCELLED)


def _outcome(base: str, cancelled: bool) -> str:
    return CANCELLED if cancelled and base == COMPENSATED else base


def _was_cancelled(saga_ref: str) -> Exists:
    return Exists(SagaEvent.objects.filter(saga=OuterRef(saga_ref), event=E.SAGA_CANCELLED))


def saga_families(kinds: set[str]) -> list:
    """Every saga series; ``kinds`` are zero-filled (the configured ones)."""
    by_status = list(
        Saga.objects.order_by()
        .values("kind", "status")
        .annotate(n=Count("pk"), stalled=Count("pk", filter=Q(updated_at__lt=_stall_cutoff())))
    )
    settled = list(
        SagaEvent.objects.order_by()
        .filter(event__in=list(_SETTLE_EVENTS))
        .annotate(cancelled=_was_cancelled("saga"))
        .values("saga__kind", "event", "cancelled")
        .annotate(n=Count("pk"))
    )
    timings = list(_timings())
    kinds = set(kinds) | {r["kind"] for r in by_status} | {r["saga__kind"] for r in settled}
    return [
        *_counts(sorted(kinds), by_status, settled),
        *_histograms(timings),
    ]


def _stall_cutoff():
    # The sweeper's own measure: a live saga whose row has not moved for this long.
    return timezone.now() - timedelta(seconds=float(settings.SAGA_ENGINE.get("stall_timeout", 300.0)))


def _counts(kinds: list[str], by_status: list[dict], settled: list[dict]) -> list:
    started = CounterMetricFamily(
        "arcadia_sagas_started", "Sagas started (rows in the ledger).", labels=["kind"]
    )
    finished = CounterMetricFamily(
        "arcadia_sagas_finished",
        "Sagas settled, by outcome (settle events; a retried compensation settles again).",
        labels=["kind", "outcome"],
    )
    live = GaugeMetricFamily(
        "arcadia_sagas_live", "Sagas pending, running or compensating.", labels=["kind", "status"]
    )
    stalled = GaugeMetricFamily(
        "arcadia_sagas_stalled",
        "Live sagas whose row has not moved for the stall timeout (what the sweeper resumes).",
        labels=["kind"],
    )
    awaiting = GaugeMetricFamily(
        "arcadia_sagas_compensation_failed",
        "Sagas now in compensation_failed: what could not be undone, waiting for an operator.",
        labels=["kind"],
    )
    n_started, n_live, n_stalled, n_awaiting = (defaultdict(int) for _ in range(4))
    for row in by_status:
        n_started[row["kind"]] += row["n"]
        if row["status"] in SAGA_LIVE_STATUSES:
            n_live[row["kind"], row["status"]] += row["n"]
            n_stalled[row["kind"]] += row["stalled"]
        elif row["status"] == SagaStatus.COMPENSATION_FAILED:
            n_awaiting[row["kind"]] += row["n"]
    n_finished = defaultdict(int)
    for row in settled:
        n_finished[row["saga__kind"], _outcome(_SETTLE_EVENTS[row["event"]], row["cancelled"])] += row["n"]
    for kind in kinds:
        started.add_metric([kind], n_started[kind])
        stalled.add_metric([kind], n_stalled[kind])
        awaiting.add_metric([kind], n_awaiting[kind])
        for outcome in OUTCOMES:
            finished.add_metric([kind, outcome], n_finished[kind, outcome])
        for status in SAGA_LIVE_STATUSES:
            live.add_metric([kind, status], n_live[kind, status])
    return [started, finished, live, stalled, awaiting]


def _timings():
    """Per kind and outcome, two histograms over every finished saga: from
    its start (the POST, for a provision) to its end, and from its turnaround
    to its end (rollbacks only)."""
    turned_at = (
        SagaEvent.objects.filter(saga=OuterRef("pk"), event__in=_TURNAROUND_EVENTS)
        .order_by("at")
        .values("at")[:1]
    )
    return (
        Saga.objects.order_by()
        .filter(status__in=SAGA_TERMINAL_STATUSES, finished_at__isnull=False)
        .annotate(
            cancelled=_was_cancelled("pk"),
            turned_at=Subquery(turned_at),
            took=duration("finished_at", "created_at"),
            rollback=duration("finished_at", "turned_at"),
        )
        .values("kind", "status", "cancelled")
        .annotate(**aggregates("took", SAGA_BOUNDS), **aggregates("rollback", SAGA_BOUNDS))
    )


def _histograms(timings: list[dict]) -> list:
    took = HistogramMetricFamily(
        "arcadia_saga_duration_seconds",
        "From a saga's start (for provision_deployment: the POST) to its end, every finished saga.",
        labels=["kind", "outcome"],
    )
    rollback = HistogramMetricFamily(
        "arcadia_saga_rollback_seconds",
        "From the failure or cancel that turned a saga around to its end (compensated or not).",
        labels=["kind", "outcome"],
    )
    merged: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in timings:
        merged[row["kind"], _outcome(_BY_STATUS[row["status"]], row["cancelled"])].append(row)
    for (kind, outcome), rows in sorted(merged.items()):
        row = _sum_rows(rows)
        took.add_metric([kind, outcome], *histogram_value(row, "took", SAGA_BOUNDS))
        if outcome in ROLLBACK_OUTCOMES and observed(row, "rollback"):
            rollback.add_metric([kind, outcome], *histogram_value(row, "rollback", SAGA_BOUNDS))
    return [took, rollback]


def _sum_rows(rows: list[dict]) -> dict:
    """One row of counts from several (a cancelled saga that failed to
    compensate is grouped apart but told as compensation_failed)."""
    if len(rows) == 1:
        return rows[0]
    total = {}
    for row in rows:
        for key, value in row.items():
            if key.endswith("_sum"):
                total[key] = (total.get(key) or timedelta()) + (value or timedelta())
            elif key.endswith("_count") or "_le_" in key:
                total[key] = total.get(key, 0) + value
    return total
