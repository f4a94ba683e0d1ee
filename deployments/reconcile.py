"""One reconcile pass with DNS checked: what the Celery beat task and
``manage.py reconcile`` run. The pass lives in ``inventory.reconcile``;
this module adds what only deployments know (the A records they expect)."""

from __future__ import annotations

from deployments.reconcile_dns import dns_expectations
from inventory.models import ReconcileFinding
from inventory.reconcile import PassReport, reconcile_run


def reconcile_pass(*, grace: float | None = None, destroy_orphans: bool | None = None) -> PassReport:
    return reconcile_run(dns_expectations=dns_expectations, grace=grace, destroy_orphans=destroy_orphans)


def finding_line(finding: ReconcileFinding) -> str:
    """One line per finding, for the command and the demo."""
    state = f"resolved ({finding.resolution})" if finding.resolved_at else f"seen {finding.seen_count}x"
    seen = f"first seen {finding.first_seen:%H:%M:%S}"
    return f"#{finding.pk} {finding.kind:<9} {finding.summary} [{seen}, {state}]"


def report_lines(report: PassReport) -> list[str]:
    recorded = report.recorded
    lines = [
        f"reconcile: {report.droplets} droplet(s) tagged arcadia, {report.records} record(s) in the zone, "
        f"{report.requests} DigitalOcean request(s)",
        f"findings: {len(recorded.opened)} new, {len(recorded.seen_again)} seen again, "
        f"{len(recorded.resolved)} resolved, {len(report.destroyed)} orphan(s) destroyed",
    ]
    lines += [f"  destroyed: {finding_line(f)}" for f in report.destroyed]
    lines += [f"  {finding_line(f)}" for f in report.open] or ["  no open findings"]
    return lines
