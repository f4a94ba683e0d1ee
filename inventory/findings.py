"""Writes to reconcile findings: recording what a pass saw, and the three
operator actions (destroy orphan, adopt into inventory, mark resolved).

Every action is idempotent (a second call on a resolved finding changes
nothing but the log) and appends what it did to the finding's ``actions``.
Provider calls go through the gateway, outside any transaction: read the
finding, call, then record the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from inventory.gateway import GatewayError, GatewayNotFound, get_gateway
from inventory.models import (
    CloudResource,
    FindingKind,
    FindingResolution,
    ReconcileFinding,
    ResourceStatus,
)
from inventory.services import cloud_resource_mark_destroyed, cloud_resource_register

log = logging.getLogger("inventory.reconcile")

# What a pass rewrites on a finding it sees again.
_OBSERVED_FIELDS = ["summary", "provider_id", "expected", "found", "saga_id", "resource_id", "deployment_id"]


@dataclass(frozen=True)
class Observation:
    """One fact a pass saw; ``(kind, key)`` names it across passes."""

    kind: str
    key: str
    summary: str
    provider_id: str = ""
    expected: dict | None = None
    found: dict | None = None
    saga_id: object = None
    resource_id: int | None = None
    deployment_id: int | None = None


@dataclass
class Recorded:
    opened: list[ReconcileFinding] = field(default_factory=list)
    seen_again: list[ReconcileFinding] = field(default_factory=list)
    resolved: list[ReconcileFinding] = field(default_factory=list)


class FindingActionRefused(Exception):
    """The action does not apply to this finding (its message says why)."""


def _entry(action: str, *, by: str, result: str, at: datetime | None = None) -> dict:
    return {"at": (at or timezone.now()).isoformat(), "action": action, "by": by, "result": result}


@transaction.atomic
def findings_record(
    *, observations: Iterable[Observation], kinds: Iterable[str], seen_at: datetime
) -> Recorded:
    """Fold one pass into the findings of ``kinds`` (the kinds the pass
    checked): a fact already open moves ``last_seen``; a new one opens a row;
    an open one of those kinds the pass did not see is resolved as gone."""
    kinds = list(kinds)
    open_rows = {
        (f.kind, f.key): f
        for f in ReconcileFinding.objects.select_for_update().filter(resolved_at__isnull=True, kind__in=kinds)
    }
    recorded, fresh = Recorded(), []
    for obs in observations:
        row = open_rows.pop((obs.kind, obs.key), None)
        values = {name: getattr(obs, name) for name in _OBSERVED_FIELDS}
        values["summary"] = obs.summary[:500]
        if row is None:
            fresh.append(
                ReconcileFinding(kind=obs.kind, key=obs.key, first_seen=seen_at, last_seen=seen_at, **values)
            )
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.last_seen, row.seen_count = seen_at, row.seen_count + 1
        recorded.seen_again.append(row)
    if recorded.seen_again:
        ReconcileFinding.objects.bulk_update(
            recorded.seen_again, ["last_seen", "seen_count", *_OBSERVED_FIELDS], batch_size=500
        )
    # A concurrent pass may have opened the same fact: the partial unique
    # constraint keeps one, and this pass reports the one that exists.
    ReconcileFinding.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    keys = [(f.kind, f.key) for f in fresh]
    if keys:
        lookup = {
            (f.kind, f.key): f
            for f in ReconcileFinding.objects.filter(
                resolved_at__isnull=True, kind__in={k for k, _ in keys}, key__in={k for _, k in keys}
            )
        }
        recorded.opened = [lookup[k] for k in keys if k in lookup]
    for row in open_rows.values():
        _resolve(
            row,
            FindingResolution.GONE,
            _entry("auto_resolve", by="reconcile", result="no longer seen", at=seen_at),
        )
        recorded.resolved.append(row)
    if recorded.resolved:
        ReconcileFinding.objects.bulk_update(recorded.resolved, ["resolved_at", "resolution", "actions"])
    return recorded


def _resolve(finding: ReconcileFinding, resolution: str, entry: dict) -> None:
    finding.resolved_at = datetime.fromisoformat(entry["at"])
    finding.resolution = resolution
    finding.actions = [*finding.actions, entry]


def _log_only(finding_id: int, entry: dict) -> ReconcileFinding:
    with transaction.atomic():
        finding = ReconcileFinding.objects.select_for_update().get(pk=finding_id)
        finding.actions = [*finding.actions, entry]
        finding.save(update_fields=["actions"])
    return finding


def _settle(finding_id: int, resolution: str, entry: dict) -> ReconcileFinding:
    with transaction.atomic():
        finding = ReconcileFinding.objects.select_for_update().get(pk=finding_id)
        if finding.resolved_at is None:
            _resolve(finding, resolution, entry)
        else:
            finding.actions = [*finding.actions, {**entry, "result": f"{entry['result']} (already resolved)"}]
        finding.save(update_fields=["resolved_at", "resolution", "actions"])
    return finding


def finding_destroy_orphan(*, finding_id: int, by: str) -> ReconcileFinding:
    """Destroy the orphan droplet (404 counts as destroyed) and resolve the
    finding. Refused for other kinds and for a droplet an active inventory
    row now accounts for. A transient failure is logged on the finding and
    raised; the finding stays open."""
    finding = ReconcileFinding.objects.get(pk=finding_id)
    if finding.resolved_at is not None:
        return _log_only(finding_id, _entry("destroy_orphan", by=by, result="already resolved; nothing done"))
    if finding.kind != FindingKind.ORPHAN:
        raise FindingActionRefused(f"finding {finding.pk} is {finding.kind}, not an orphan")
    live_row = CloudResource.objects.filter(
        provider=finding.provider, external_id=finding.key, status=ResourceStatus.ACTIVE
    ).first()
    if live_row is not None:
        raise FindingActionRefused(f"droplet {finding.key} is inventory row {live_row.pk} now; not destroyed")
    try:
        get_gateway().droplet_destroy(int(finding.key))
    except GatewayError as exc:
        _log_only(finding_id, _entry("destroy_orphan", by=by, result=f"failed: {exc}"))
        raise
    row_id = (
        CloudResource.objects.filter(provider=finding.provider, external_id=finding.key)
        .values_list("pk", flat=True)
        .first()
    )
    if row_id is not None:
        cloud_resource_mark_destroyed(resource_id=row_id)
    log.warning("reconcile: droplet %s destroyed as an orphan by %s", finding.key, by)
    return _settle(
        finding_id, FindingResolution.DESTROYED, _entry("destroy_orphan", by=by, result="destroyed")
    )


def finding_adopt(*, finding_id: int, by: str) -> ReconcileFinding:
    """Take the provider's view into inventory: an orphan becomes an active
    row; a drifted row takes the droplet's size, region and address, or is
    marked destroyed when the droplet is gone. Refused for DNS drift, and
    for an orphan whose row was already marked destroyed (rows are never
    resurrected: destroy it, or mark the finding resolved)."""
    finding = ReconcileFinding.objects.get(pk=finding_id)
    if finding.resolved_at is not None:
        return _log_only(finding_id, _entry("adopt", by=by, result="already resolved; nothing done"))
    if finding.kind == FindingKind.DNS_DRIFT:
        raise FindingActionRefused("DNS drift cannot be adopted into inventory")
    existing = CloudResource.objects.filter(provider=finding.provider, external_id=finding.key).first()
    if existing is not None and existing.status == ResourceStatus.DESTROYED:
        raise FindingActionRefused(f"inventory row {existing.pk} of droplet {finding.key} is destroyed")
    try:
        droplet = get_gateway().droplet_get(int(finding.key))
    except GatewayNotFound:
        droplet = None
    except GatewayError as exc:
        _log_only(finding_id, _entry("adopt", by=by, result=f"failed: {exc}"))
        raise
    if droplet is None:
        if existing is not None:
            cloud_resource_mark_destroyed(resource_id=existing.pk)
            result = f"droplet gone: inventory row {existing.pk} marked destroyed"
        else:
            result = "droplet gone: nothing to adopt"
    else:
        row = cloud_resource_register(
            external_id=str(droplet.id),
            name=droplet.name,
            region=droplet.region,
            size=droplet.size,
            ipv4=droplet.ipv4,
            provider=finding.provider,
        )
        ReconcileFinding.objects.filter(pk=finding_id).update(resource=row)
        result = f"inventory row {row.pk}: {droplet.size} in {droplet.region} at {droplet.ipv4 or '-'}"
    log.warning("reconcile: finding %s adopted by %s: %s", finding_id, by, result)
    return _settle(finding_id, FindingResolution.ADOPTED, _entry("adopt", by=by, result=result))


def finding_mark_resolved(*, finding_id: int, by: str, note: str = "") -> ReconcileFinding:
    """An operator says the finding is dealt with. If the fact is still true
    at the next pass, a new finding opens: nothing is hidden for good."""
    return _settle(
        finding_id, FindingResolution.MARKED, _entry("mark_resolved", by=by, result=note or "marked")
    )
