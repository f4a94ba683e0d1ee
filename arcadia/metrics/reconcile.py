"""The reconcile series: open findings by kind, findings ever opened, and
orphans destroyed. One GROUP BY over the findings.

Passes leave no row of their own, so a pass counter needs a process-side
count (phase 2); ``arcadia_reconcile_findings_total`` moves only when a
pass finds something new.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from inventory.models import FindingKind, FindingResolution, ReconcileFinding


def reconcile_families() -> list:
    rows = list(
        ReconcileFinding.objects.order_by()
        .values("kind", "resolution")
        .annotate(n=Count("pk"), open=Count("pk", filter=Q(resolved_at__isnull=True)))
    )
    opened = CounterMetricFamily("arcadia_reconcile_findings", "Findings reconcile opened.", labels=["kind"])
    open_now = GaugeMetricFamily(
        "arcadia_reconcile_findings_open", "Findings not resolved yet.", labels=["kind"]
    )
    n_total, n_open, destroyed = defaultdict(int), defaultdict(int), 0
    for row in rows:
        n_total[row["kind"]] += row["n"]
        n_open[row["kind"]] += row["open"]
        if row["resolution"] == FindingResolution.DESTROYED:
            destroyed += row["n"]
    for kind in sorted(set(FindingKind.values) | set(n_total)):
        opened.add_metric([kind], n_total[kind])
        open_now.add_metric([kind], n_open[kind])
    orphans = CounterMetricFamily(
        "arcadia_reconcile_orphans_destroyed",
        "Orphan droplets destroyed (by an operator or the pass).",
        value=destroyed,
    )
    return [opened, open_now, orphans]
