"""The reconcile pass: what DigitalOcean holds, against inventory and the
saga ledger.

A pass lists the droplets tagged ``arcadia`` and the zone's records (whole
listings, paged: ceil(n / 200) requests each), then reads the database, and
records findings (``inventory.findings``). The listings come first: anything
that changed after them was made by a saga, and a saga that is live, or
ended after the pass began, is "in motion" — its droplets and rows are left
alone this time, so a pass never races a saga.

- orphan: a listed droplet with no active inventory row, no saga in motion,
  and either a saga that ended without it or (no saga in the ledger) older
  than the grace period, so a droplet whose row is still to be written is
  never mistaken;
- drift: an active row whose droplet is not listed (rows younger than the
  grace period are skipped: the tag index lags), or whose size, region or
  address differ;
- DNS drift: an expected A record (given by the caller: inventory knows no
  deployment) missing or pointing elsewhere.

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
from django.db.models import Q
from django.utils import timezone

from inventory.findings import Observation, Recorded, finding_destroy_orphan, findings_record
from inventory.gateway import DnsRecord, Droplet, GatewayError, get_gateway
from inventory.models import (
    CloudResource,
    FindingKind,
    Provider,
    ReconcileFinding,
    ResourceKind,
    ResourceStatus,
)
from inventory.tags import ARCADIA_TAG, SAGA_TAG_PREFIX, saga_id_from_tags
from provisioning.engine import SAGA_LIVE_STATUSES, Saga

log = logging.getLogger("inventory.reconcile")

_IN_INVENTORY = (ResourceStatus.NEW, ResourceStatus.ACTIVE)


@dataclass(frozen=True)
class DnsExpectation:
    """An A record that should exist: ``name`` (relative to the zone) → ``ipv4``."""

    name: str
    ipv4: str
    hostname: str
    deployment_id: int | None = None


@dataclass
class PassReport:
    started_at: datetime
    droplets: int
    records: int
    requests: int
    recorded: Recorded
    destroyed: list[ReconcileFinding] = field(default_factory=list)
    open: list[ReconcileFinding] = field(default_factory=list)


@dataclass(frozen=True)
class _InMotion:
    saga_ids: set
    droplet_ids: set


def _in_motion(started: datetime) -> _InMotion:
    """Sagas live now, or ended after the listings were taken, and the
    droplets their contexts name."""
    rows = Saga.objects.filter(Q(status__in=SAGA_LIVE_STATUSES) | Q(finished_at__gte=started)).values_list(
        "id", "context__droplet_id"
    )
    saga_ids, droplet_ids = set(), set()
    for saga_id, droplet_id in rows:
        saga_ids.add(saga_id)
        if droplet_id is not None:
            droplet_ids.add(str(droplet_id))
    return _InMotion(saga_ids, droplet_ids)


def _describe(d: Droplet) -> dict:
    return {"name": d.name, "size": d.size, "region": d.region, "ipv4": d.ipv4, "tags": list(d.tags)}


def _row_image(row: CloudResource) -> dict:
    return {"size": row.size, "region": row.region, "ipv4": row.ipv4, "status": row.status}


def droplet_observations(*, droplets: list[Droplet], started: datetime, grace: float) -> list[Observation]:
    """Orphans and drift: the listed droplets against inventory and the ledger."""
    motion = _in_motion(started)
    young = started - timedelta(seconds=grace)
    listed = {str(d.id): d for d in droplets}
    rows = {
        r.external_id: r
        for r in CloudResource.objects.filter(
            provider=Provider.DIGITALOCEAN, kind=ResourceKind.DROPLET
        ).filter(Q(external_id__in=list(listed)) | Q(status__in=_IN_INVENTORY))
    }
    tagged = {saga_id_from_tags(d.tags) for d in droplets} - {None}
    sagas = {s.id: s for s in Saga.objects.filter(id__in=tagged).only("id", "status", "finished_at")}
    found: list[Observation] = []
    for key, d in listed.items():
        row = rows.get(key)
        if key in motion.droplet_ids:
            continue
        if row is not None and row.status in _IN_INVENTORY:
            if drift := _attribute_drift(row, d):
                found.append(drift)
            continue
        orphan = _orphan(d, row, sagas, motion, young)
        if orphan is not None:
            found.append(orphan)
    for key, row in rows.items():
        unlisted = row.status in _IN_INVENTORY and key not in listed and key not in motion.droplet_ids
        if unlisted and row.created_at < young:
            found.append(
                Observation(
                    kind=FindingKind.DRIFT,
                    key=key,
                    provider_id=key,
                    summary=f"droplet {key} ({row.name}) is {row.status} in inventory but not listed "
                    f"under tag {ARCADIA_TAG}: gone",
                    expected=_row_image(row),
                    found=None,
                    resource_id=row.pk,
                    deployment_id=row.deployment_id,
                )
            )
    return found


def _attribute_drift(row: CloudResource, d: Droplet) -> Observation | None:
    differ = {
        name: (want, have)
        for name, want, have in (
            ("size", row.size, d.size),
            ("region", row.region, d.region),
            ("ipv4", row.ipv4, d.ipv4),
        )
        if want != have
    }
    if not differ:
        return None
    what = ", ".join(f"{name} {want or '-'} → {have or '-'}" for name, (want, have) in differ.items())
    return Observation(
        kind=FindingKind.DRIFT,
        key=str(d.id),
        provider_id=str(d.id),
        summary=f"droplet {d.id} ({d.name}) differs from inventory: {what}",
        expected=_row_image(row),
        found=_describe(d),
        resource_id=row.pk,
        deployment_id=row.deployment_id,
        saga_id=saga_id_from_tags(d.tags),
    )


def _orphan(d: Droplet, row, sagas: dict, motion: _InMotion, young: datetime) -> Observation | None:
    saga_id = saga_id_from_tags(d.tags)
    if saga_id in motion.saga_ids:
        return None  # its saga may still adopt it, or is destroying it
    saga = sagas.get(saga_id)
    why_row = f"its inventory row {row.pk} says destroyed" if row is not None else "no inventory row"
    if saga is not None:
        why = f"{why_row}; saga {saga_id} ended {saga.status} without it"
    elif d.created_at is not None and d.created_at >= young.timestamp():
        return None  # within the grace period: its row may not be written yet
    elif saga_id is not None:
        why = f"{why_row}; its saga {saga_id} is not in the ledger"
    else:
        why = f"{why_row}; no saga tag (made by hand?)"
    return Observation(
        kind=FindingKind.ORPHAN,
        key=str(d.id),
        provider_id=str(d.id),
        summary=f"droplet {d.id} ({d.name}, {d.size} in {d.region}): {why}",
        expected=None,
        found=_describe(d),
        saga_id=saga_id,
        resource_id=row.pk if row is not None else None,
    )


def dns_observations(*, records: list[DnsRecord], expectations: list[DnsExpectation]) -> list[Observation]:
    """Each expected A record against the zone's listing."""
    a_records: dict[str, list[DnsRecord]] = {}
    for r in records:
        if r.type == "A":
            a_records.setdefault(r.name, []).append(r)
    found = []
    for want in expectations:
        have = sorted(a_records.get(want.name, []), key=lambda r: r.id)
        if [r.data for r in have] == [want.ipv4]:
            continue
        shown = ", ".join(f"{r.data} (#{r.id})" for r in have) or "no A record"
        found.append(
            Observation(
                kind=FindingKind.DNS_DRIFT,
                key=want.hostname,
                provider_id=",".join(str(r.id) for r in have),
                summary=f"{want.hostname} should point at {want.ipv4}; the zone has {shown}",
                expected={"name": want.name, "data": want.ipv4},
                found={"records": [{"id": r.id, "data": r.data, "ttl": r.ttl} for r in have]},
                deployment_id=want.deployment_id,
            )
        )
    return found


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
