"""Writes to the inventory. Every function is atomic and idempotent, so a
saga step may call it again after a crash or a redelivery."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inventory.models import CloudResource, Provider, ResourceKind, ResourceStatus


@transaction.atomic
def cloud_resource_register(
    *,
    external_id: str,
    name: str,
    region: str,
    size: str,
    ipv4: str | None,
    provider: str = Provider.DIGITALOCEAN,
    kind: str = ResourceKind.DROPLET,
) -> CloudResource:
    """Upsert the row for a provider resource and mark it active.

    Keyed by (provider, external_id): a second call updates the same row.
    A row already ``destroyed`` is returned as it is (never resurrected).
    """
    resource, _ = CloudResource.objects.select_for_update().get_or_create(
        provider=provider,
        external_id=str(external_id),
        defaults={"kind": kind, "name": name, "region": region, "size": size, "ipv4": ipv4},
    )
    if resource.status == ResourceStatus.DESTROYED:
        return resource
    resource.name, resource.region, resource.size, resource.ipv4 = name, region, size, ipv4
    if resource.status != ResourceStatus.ACTIVE:
        resource.transition_to(ResourceStatus.ACTIVE)
    resource.save()
    return resource


@transaction.atomic
def cloud_resource_mark_destroyed(*, resource_id: int, saga_id=None) -> None:
    """Record that the provider resource is gone, when, and by which saga;
    the row stays for audit, with its tenant and deployment."""
    resource = CloudResource.objects.select_for_update().filter(pk=resource_id).first()
    if resource is None or resource.status == ResourceStatus.DESTROYED:
        return
    resource.transition_to(ResourceStatus.DESTROYED)
    resource.destroyed_at = timezone.now()
    resource.destroyed_by_saga_id = saga_id
    resource.save(update_fields=["status", "destroyed_at", "destroyed_by_saga_id", "updated_at"])


def cloud_resource_link(*, resource_id: int, deployment_id: int, tenant_id: int) -> None:
    """Stamp the deployment and tenant on a row (and clear any unlink).

    A single UPDATE: re-running it writes the same columns again.
    """
    CloudResource.objects.filter(pk=resource_id).update(
        deployment_id=deployment_id, tenant_id=tenant_id, unlinked_at=None, updated_at=timezone.now()
    )


def cloud_resource_unlink(*, resource_id: int) -> None:
    """Record that the deployment no longer uses the row: a timestamp, while
    tenant and deployment stay for audit and billing.

    A single conditional UPDATE: re-running it keeps the first timestamp.
    """
    at = timezone.now()
    CloudResource.objects.filter(Q(pk=resource_id) & Q(unlinked_at__isnull=True)).update(
        unlinked_at=at, updated_at=at
    )
