"""Tenants' quotas: how many live deployments a tenant may have, and which
regions, sizes and images it may buy (``Tenant``'s quota fields, edited in
the admin; empty lists allow all DigitalOcean sells).

Checked at POST and at ``provision/``, before anything is created: no row,
no saga, no provider call. The live count is checked with the tenant's row
locked (``SELECT ... FOR UPDATE``) in the transaction that inserts, so two
POSTs racing for a tenant's last slot are served one after the other and
the second sees the first's row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q

from arcadia.exceptions import QuotaExceededError
from deployments.models import QUOTA_COUNTED_STATUSES, Deployment, Tenant

# (request field, Tenant field) of each allowed-values quota.
_ALLOWED = (("region", "allowed_regions"), ("size", "allowed_sizes"), ("image", "allowed_images"))


@dataclass(frozen=True)
class TenantQuota:
    max_live_deployments: int
    allowed_regions: tuple[str, ...]  # empty: all DigitalOcean sells
    allowed_sizes: tuple[str, ...]
    allowed_images: tuple[str, ...]


def tenant_quota(tenant: Tenant) -> TenantQuota:
    """The tenant's quotas, its own or the settings' default where it has none."""
    limit = tenant.max_live_deployments
    return TenantQuota(
        max_live_deployments=settings.ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS if limit is None else limit,
        allowed_regions=tuple(tenant.allowed_regions or ()),
        allowed_sizes=tuple(tenant.allowed_sizes or ()),
        allowed_images=tuple(tenant.allowed_images or ()),
    )


def quota_check_spec(*, tenant: Tenant, region: str, size: str, image: str) -> None:
    """403 naming the allowed values when the tenant may not buy this region, size or image."""
    quota = tenant_quota(tenant)
    asked = {"region": region, "size": size, "image": image}
    for field, quota_name in _ALLOWED:
        allowed = getattr(quota, quota_name)
        if allowed and asked[field] not in allowed:
            raise QuotaExceededError(
                f"tenant {tenant.slug} may not use {field} {asked[field]}; allowed: {', '.join(allowed)}",
                quota=quota_name,
                allowed=list(allowed),
            )


def tenant_lock(tenant: Tenant) -> Tenant:
    """The tenant's row, locked until the transaction ends (call inside one):
    what serializes the live-deployment count against concurrent creates."""
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


def quota_check_live(*, tenant: Tenant) -> None:
    """403 when the tenant already has its maximum of live deployments. What
    decides is the call with the tenant locked (:func:`tenant_lock`), before
    the row that would be one more is written; unlocked, it refuses early."""
    limit = tenant_quota(tenant).max_live_deployments
    used = Deployment.objects.filter(tenant=tenant, status__in=QUOTA_COUNTED_STATUSES).count()
    if used >= limit:
        raise QuotaExceededError(
            f"tenant {tenant.slug} has {used} of {limit} live deployments",
            quota="max_live_deployments",
            limit=limit,
            used=used,
        )


def tenants_quota_use(tenants: Iterable[Tenant]) -> list[dict]:
    """Each tenant's quotas and live deployments, in one query for them all."""
    tenants = list(tenants)
    live = Count("deployments", filter=Q(deployments__status__in=QUOTA_COUNTED_STATUSES))
    used = dict(Tenant.objects.filter(pk__in=[t.pk for t in tenants]).annotate(n=live).values_list("pk", "n"))
    rows = []
    for tenant in tenants:
        quota = tenant_quota(tenant)
        rows.append(
            {
                "slug": tenant.slug,
                "live_deployments": used.get(tenant.pk, 0),
                "max_live_deployments": quota.max_live_deployments,
                "allowed_regions": list(quota.allowed_regions),
                "allowed_sizes": list(quota.allowed_sizes),
                "allowed_images": list(quota.allowed_images),
            }
        )
    return rows


def quota_status() -> dict:
    """The operations page's panel: each tenant's live deployments of its maximum."""
    rows = tenants_quota_use(Tenant.objects.all())
    return {
        row["slug"]: f"{row['live_deployments']} of {row['max_live_deployments']} live deployments"
        + "".join(
            f"; {name.removeprefix('allowed_')}: {', '.join(row[name])}"
            for name in ("allowed_regions", "allowed_sizes", "allowed_images")
            if row[name]
        )
        for row in rows
    }
