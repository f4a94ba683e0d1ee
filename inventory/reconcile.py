"""The reconcile pass: list what DigitalOcean holds, compare it
(``inventory.observations``), record the findings (``inventory.findings``)
and, when asked, destroy the orphans it may.

A pass lists the droplets tagged ``arcadia`` and the zone's records (whole
listings, paged: ceil(n / 200) requests each), then reads the database: the
listings come first, so anything that changed after them was made by a saga
the comparison sees in motion.

Orphans are destroyed only with ``destroy_orphans``, and then only those
tagged ``arcadia-saga-<id>`` naming a saga of the ledger that ended more
than the grace period ago.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from inventory.findings import Recorded, finding_destroy_orphan, findings_record
from inventory.gateway import GatewayError, get_gateway
from inventory.models import FindingKind, ReconcileFinding
from inventory.observations import DnsExpectation, dns_observations, droplet_observations
from inventory.tags import ARCADIA_TAG, SAGA_TAG_PREFIX
from provisioning.engine import SAGA_LIVE_STATUSES, Saga

log = logging.getLogger("inventory.reconcile")


@dataclass
class PassReport:
    started_at: datetime
    droplets: int
    records: int
    requests: int
    recorded: Recorded
    destroyed: list[ReconcileFinding] = field(default_factory=list)
    open: list[ReconcileFinding] = field(default_factory=list)


def _may_auto_destroy(finding: ReconcileFinding, sagas: dict, cutoff: datetime) -> bool:
    """Only a droplet tagged ``arcadia`` and ``arcadia-saga-<id>`` whose saga
    is in the ledger and ended before the cutoff, itself older than it."""
    tags = (finding.found or {}).get("tags") or []
    saga = sagas.get(finding.saga_id)
    return (
        ARCADIA_TAG in tags
        and any(t.startswith(SAGA_TAG_PREFIX) for t in tags)
        and saga is not None
        and saga.status not in SAGA_LIVE_STATUSES
        and saga.finished_at is not None
        and saga.finished_at < cutoff
    )


def _auto_destroy(
    orphans: list[ReconcileFinding], droplets: dict, cutoff: datetime
) -> list[ReconcileFinding]:
    sagas = {s.id: s for s in Saga.objects.filter(id__in={f.saga_id for f in orphans if f.saga_id})}
    destroyed = []
    for finding in orphans:
        d = droplets.get(finding.key)
        old_enough = d is not None and d.created_at is not None and d.created_at < cutoff.timestamp()
        if not (old_enough and _may_auto_destroy(finding, sagas, cutoff)):
            continue
        try:
            destroyed.append(finding_destroy_orphan(finding_id=finding.pk, by="reconcile (auto)"))
        except GatewayError as exc:
            log.warning("reconcile: could not destroy orphan droplet %s: %s", finding.key, exc)
    return destroyed


def reconcile_run(
    *,
    dns_expectations: Callable[[datetime], list[DnsExpectation]] | None = None,
    grace: float | None = None,
    destroy_orphans: bool | None = None,
) -> PassReport:
    """One pass. ``dns_expectations(started)`` gives the A records that
    should exist (skipping anything in motion since ``started``); without it
    DNS is not checked and DNS findings are left as they are."""
    grace = settings.ARCADIA_RECONCILE_GRACE if grace is None else grace
    destroy = settings.ARCADIA_RECONCILE_DESTROY_ORPHANS if destroy_orphans is None else destroy_orphans
    gateway, started = get_gateway(), timezone.now()
    droplets = gateway.droplets_listed(ARCADIA_TAG)
    records = gateway.records_list(settings.ARCADIA_DNS_DOMAIN) if dns_expectations else None
    observations = droplet_observations(droplets=droplets.items, started=started, grace=grace)
    kinds = [FindingKind.ORPHAN, FindingKind.DRIFT]
    if records is not None:
        observations += dns_observations(records=records.items, expectations=dns_expectations(started))
        kinds.append(FindingKind.DNS_DRIFT)
    recorded = findings_record(observations=observations, kinds=kinds, seen_at=started)
    report = PassReport(
        started_at=started,
        droplets=len(droplets.items),
        records=len(records.items) if records is not None else 0,
        requests=droplets.requests + (records.requests if records is not None else 0),
        recorded=recorded,
    )
    if destroy:
        orphans = [
            f
            for f in recorded.opened + recorded.seen_again
            if f.kind == FindingKind.ORPHAN and f.resolved_at is None
        ]
        by_id = {str(d.id): d for d in droplets.items}
        report.destroyed = _auto_destroy(orphans, by_id, started - timedelta(seconds=grace))
    report.open = list(
        ReconcileFinding.objects.filter(resolved_at__isnull=True, kind__in=kinds).order_by("kind", "id")
    )
    log.info(
        "reconcile: %d droplets, %d records, %d requests; %d new, %d seen again, %d resolved, %d destroyed",
        report.droplets,
        report.records,
        report.requests,
        len(recorded.opened),
        len(recorded.seen_again),
        len(recorded.resolved),
        len(report.destroyed),
    )
    return report
