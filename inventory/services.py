"""Writes to the inventory. Every function is atomic and idempotent, so a
saga step may call it again after a crash or a redelivery."""

import uuid

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from inventory.models import CloudResource, Provider, ResourceKind, ResourceStatus


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
    On PostgreSQL this is one ``INSERT ... ON CONFLICT`` statement.
    """
    fields = {"name": name, "region": region, "size": size, "ipv4": ipv4}
    key = {"provider": provider, "external_id": str(external_id)}
    if connection.vendor == "postgresql":
        resource = _upsert_active(key=key, kind=kind, fields=fields)
        if resource is not None:
            return resource
        return CloudResource.objects.get(**key)  # destroyed: left as it is
    return _register_portable(key=key, kind=kind, fields=fields)


_COLUMNS = [f.column for f in CloudResource._meta.concrete_fields]
_UPSERT_SQL = f"""
INSERT INTO {CloudResource._meta.db_table} AS cr
       (public_id, provider, external_id, kind, name, region, size, ipv4, status, created_at, updated_at)
VALUES (%(public_id)s, %(provider)s, %(external_id)s, %(kind)s, %(name)s, %(region)s, %(size)s, %(ipv4)s,
        %(active)s, %(at)s, %(at)s)
ON CONFLICT (provider, external_id) DO UPDATE
   SET name = EXCLUDED.name, region = EXCLUDED.region, size = EXCLUDED.size, ipv4 = EXCLUDED.ipv4,
       status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
 WHERE cr.status = ANY(%(may_become_active)s)
RETURNING {", ".join(f"cr.{column}" for column in _COLUMNS)}
"""


def _upsert_active(*, key: dict, kind: str, fields: dict) -> CloudResource | None:
    # Only a row the transition table lets become (or stay) active is
    # updated; a destroyed one is never resurrected.
    may_become_active = [ResourceStatus.ACTIVE, *CloudResource.TRANSITIONS.sources_of(ResourceStatus.ACTIVE)]
    params = {**key, **fields, "kind": kind, "active": ResourceStatus.ACTIVE, "at": timezone.now()}
    # SQL skips the model's default: the public id is drawn here (a row that
    # already exists keeps its own, the UPDATE leaves it).
    params["public_id"] = uuid.uuid4()
    params["may_become_active"] = [str(status) for status in may_become_active]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    names = [f.attname for f in CloudResource._meta.concrete_fields]
    return CloudResource.from_db(connection.alias, names, row)


@transaction.atomic
def _register_portable(*, key: dict, kind: str, fields: dict) -> CloudResource:
    resource, _ = CloudResource.objects.select_for_update().get_or_create(
        **key, defaults={"kind": kind, **fields}
    )
    if resource.status == ResourceStatus.DESTROYED:
        return resource
    for name, value in fields.items():
        setattr(resource, name, value)
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
