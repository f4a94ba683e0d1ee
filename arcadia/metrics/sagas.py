"""The saga series: started, finished by outcome, live, stalled and waiting
for an operator, and how long sagas and their rollbacks took. Four GROUP BY
queries over the ledger, none with a per-row subquery.

``finished`` counts the settle events (append-only, so the counter never goes
down); a saga an operator retried after ``compensation_failed`` settles
again and is counted once more under its new outcome. ``cancelled`` is a
saga that compensated after a cancel was requested (``cancel_requested``,
which never goes back), ``compensated`` one that compensated without.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
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

SUCCEEDED, COMPENSATED, CANCELLED = "succeeded", "compensated", "cancelled"
COMPENSATION_FAILED = "compensation_failed"
OUTCOMES = (SUCCEEDED, COMPENSATED, CANCELLED, COMPENSATION_FAILED)

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
# Where a rollback starts: the step failure or the cancel that turned the
# saga around (one conditional UPDATE does it, so a saga has one of them).
_TURNAROUND_EVENTS = (E.SAGA_COMPENSATING, E.SAGA_CANCELLED)
_ROLLED_BACK = (SagaStatus.COMPENSATED, SagaStatus.COMPENSATION_FAILED)


def _outcome(base: str, cancel_requested: bool) -> str:
    return CANCELLED if cancel_requested and base == COMPENSATED else base


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
        .values("saga__kind", "event", "saga__cancel_requested")
        .annotate(n=Count("pk"))
    )
    kinds = set(kinds) | {r["kind"] for r in by_status} | {r["saga__kind"] for r in settled}
    return [*_counts(sorted(kinds), by_status, settled), _durations(), _rollbacks()]


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
        outcome = _outcome(_SETTLE_EVENTS[row["event"]], row["saga__cancel_requested"])
        n_finished[row["saga__kind"], outcome] += row["n"]
    for kind in kinds:
        started.add_metric([kind], n_started[kind])
        stalled.add_metric([kind], n_stalled[kind])
        awaiting.add_metric([kind], n_awaiting[kind])
        for outcome in OUTCOMES:
            finished.add_metric([kind, outcome], n_finished[kind, outcome])
        for status in SAGA_LIVE_STATUSES:
            live.add_metric([kind, status], n_live[kind, status])
    return [started, finished, live, stalled, awaiting]


def _durations() -> HistogramMetricFamily:
    """From a saga's start (for a provision: the POST, in the same
    transaction) to its end, over every finished saga."""
    rows = (
        Saga.objects.order_by()
        .filter(status__in=SAGA_TERMINAL_STATUSES, finished_at__isnull=False)
        .annotate(took=duration("finished_at", "created_at"))
        .values("kind", "status", "cancel_requested")
        .annotate(**aggregates("took", SAGA_BOUNDS))
    )
    family = HistogramMetricFamily(
        "arcadia_saga_duration_seconds",
        "From a saga's start (for provision_deployment: the POST) to its end, every finished saga.",
        labels=["kind", "outcome"],
    )
    return _fill(family, rows, "took", status_key="status", kind_key="kind", cancel_key="cancel_requested")


def _rollbacks() -> HistogramMetricFamily:
    """From the turnaround event (the failure or the cancel) to the saga's
    end, over every rolled-back saga: joined from the event, not looked up
    per saga."""
    rows = (
        SagaEvent.objects.order_by()
        .filter(event__in=_TURNAROUND_EVENTS, saga__status__in=_ROLLED_BACK, saga__finished_at__isnull=False)
        .annotate(rollback=duration("saga__finished_at", "at"))
        .values("saga__kind", "saga__status", "saga__cancel_requested")
        .annotate(**aggregates("rollback", SAGA_BOUNDS))
    )
    family = HistogramMetricFamily(
        "arcadia_saga_rollback_seconds",
        "From the failure or cancel that turned a saga around to its end (compensated or not).",
        labels=["kind", "outcome"],
    )
    return _fill(
        family,
        rows,
        "rollback",
        status_key="saga__status",
        kind_key="saga__kind",
        cancel_key="saga__cancel_requested",
    )


def _fill(family, rows, field: str, *, status_key: str, kind_key: str, cancel_key: str):
    merged: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        merged[row[kind_key], _outcome(_BY_STATUS[row[status_key]], row[cancel_key])].append(row)
    for (kind, outcome), group in sorted(merged.items()):
        row = _sum_rows(group, field)
        if observed(row, field):
            family.add_metric([kind, outcome], *histogram_value(row, field, SAGA_BOUNDS))
    return family


def _sum_rows(rows: list[dict], field: str) -> dict:
    """One row of counts from several (a compensation_failed saga is grouped
    by whether a cancel was requested, but told as one outcome)."""
    if len(rows) == 1:
        return rows[0]
    total = {f"{field}_sum": timedelta()}
    for row in rows:
        total[f"{field}_sum"] += row[f"{field}_sum"] or timedelta()
        for key, value in row.items():
            if key == f"{field}_count" or key.startswith(f"{field}_le_"):
                total[key] = total.get(key, 0) + value
    return total
