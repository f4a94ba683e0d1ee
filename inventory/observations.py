"""What a reconcile pass sees: DigitalOcean's listings against inventory and
the saga ledger, as observations (``inventory.findings`` records them).

A saga that is live, or ended after the pass's listings were taken, is "in
motion": its droplets and rows are left alone this time, so a pass never
races a saga.

- orphan: a listed droplet with no active inventory row, no saga in motion,
  and either a saga that ended without it or (no saga in the ledger) older
  than the grace period, so a droplet whose row is still to be written is
  never mistaken;
- drift: an active row whose droplet is not listed (rows younger than the
  grace period are skipped: the tag index lags), or whose size, region or
  address differ;
- DNS drift: an expected A record (given by the caller: inventory knows no
  deployment) missing or pointing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from inventory.findings import Observation
from inventory.gateway import DnsRecord, Droplet
from inventory.models import CloudResource, FindingKind, Provider, ResourceKind, ResourceStatus
from inventory.tags import ARCADIA_TAG, saga_id_from_tags
from provisioning.engine import SAGA_LIVE_STATUSES, Saga

_IN_INVENTORY = (ResourceStatus.NEW, ResourceStatus.ACTIVE)


@dataclass(frozen=True)
class DnsExpectation:
    """An A record that should exist: ``name`` (relative to the zone) → ``ipv4``."""

    name: str
    ipv4: str
    hostname: str
    deployment_id: int | None = None


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
