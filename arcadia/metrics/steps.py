"""The step series: runs by phase and outcome, retries by reason, time spent
waiting for the budget, and forward durations. Two GROUP BY queries: the
step events (append-only, so the counters never go down) and the step rows.

Retry reasons: ``transient`` is one ``step_retrying`` or
``compensation_retrying`` event per retried failure; ``not_ready`` is the
step rows' ``polls`` (a droplet still booting). A wait for the budget
(``Throttled``) is counted in neither attempts nor events, only as time:
``arcadia_step_throttled_seconds_total``.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Sum
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

from arcadia.metrics.buckets import STEP_BOUNDS, aggregates, duration, histogram_value, observed
from arcadia.metrics.definitions import Known
from provisioning.engine import SagaEvent, SagaEventName, SagaStep

E = SagaEventName

FORWARD, COMPENSATION = "forward", "compensation"
SUCCEEDED, FAILED = "succeeded", "failed"
TRANSIENT, NOT_READY = "transient", "not_ready"

# Each step event and what it counts: (series, phase, outcome or reason).
_RUNS, _RETRIES = "runs", "retries"
_STEP_EVENTS = {
    E.STEP_SUCCEEDED: (_RUNS, FORWARD, SUCCEEDED),
    E.STEP_FAILED: (_RUNS, FORWARD, FAILED),
    E.STEP_COMPENSATED: (_RUNS, COMPENSATION, SUCCEEDED),
    E.COMPENSATION_FAILED: (_RUNS, COMPENSATION, FAILED),
    E.STEP_RETRYING: (_RETRIES, FORWARD, TRANSIENT),
    E.COMPENSATION_RETRYING: (_RETRIES, COMPENSATION, TRANSIENT),
}


def step_families(known: tuple[Known, ...]) -> list:
    events = list(
        SagaEvent.objects.order_by()
        .filter(event__in=list(_STEP_EVENTS), step__isnull=False)
        .values("saga__kind", "step__name", "event")
        .annotate(n=Count("pk"))
    )
    rows = list(
        SagaStep.objects.order_by()
        .annotate(took=duration("finished_at", "started_at"))
        .values("saga__kind", "name")
        .annotate(
            polls_sum=Sum("polls"), throttled=Sum("throttled_seconds"), **aggregates("took", STEP_BOUNDS)
        )
    )
    steps = {(k.kind, name) for k in known for name in k.steps}
    steps |= {(r["saga__kind"], r["step__name"]) for r in events} | {
        (r["saga__kind"], r["name"]) for r in rows
    }
    return [*_counters(sorted(steps), events, rows), _durations(rows)]


def _counters(steps: list[tuple[str, str]], events: list[dict], rows: list[dict]) -> list:
    runs = CounterMetricFamily(
        "arcadia_step_runs",
        "Step runs that ended, by phase (forward, compensation) and outcome (succeeded, failed).",
        labels=["kind", "step", "phase", "outcome"],
    )
    retries = CounterMetricFamily(
        "arcadia_step_retries",
        "Step retries by reason: transient (an error retried with backoff), not_ready (a poll).",
        labels=["kind", "step", "phase", "reason"],
    )
    throttled = CounterMetricFamily(
        "arcadia_step_throttled_seconds",
        "Time steps waited for the DigitalOcean budget (Throttled), not held against their deadline.",
        labels=["kind", "step"],
    )
    counted = defaultdict(int)
    for row in events:
        series, phase, value = _STEP_EVENTS[row["event"]]
        counted[series, row["saga__kind"], row["step__name"], phase, value] += row["n"]
    by_step = {(r["saga__kind"], r["name"]): r for r in rows}
    for kind, step in steps:
        for phase in (FORWARD, COMPENSATION):
            for outcome in (SUCCEEDED, FAILED):
                runs.add_metric([kind, step, phase, outcome], counted[_RUNS, kind, step, phase, outcome])
            retries.add_metric(
                [kind, step, phase, TRANSIENT], counted[_RETRIES, kind, step, phase, TRANSIENT]
            )
        row = by_step.get((kind, step), {})
        retries.add_metric([kind, step, FORWARD, NOT_READY], row.get("polls_sum") or 0)
        throttled.add_metric([kind, step], row.get("throttled") or 0.0)
    return [runs, retries, throttled]


def _durations(rows: list[dict]) -> HistogramMetricFamily:
    took = HistogramMetricFamily(
        "arcadia_step_duration_seconds",
        "From a step's first claim to its forward end (retries, polls and budget waits included).",
        labels=["kind", "step", "phase"],
    )
    for row in sorted(rows, key=lambda r: (r["saga__kind"], r["name"])):
        if observed(row, "took"):
            took.add_metric(
                [row["saga__kind"], row["name"], FORWARD], *histogram_value(row, "took", STEP_BOUNDS)
            )
    return took
