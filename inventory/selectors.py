"""Reads of the inventory."""

from django.db.models import QuerySet

from inventory.models import CloudResource, ResourceStatus


def cloud_resource_list(*, user) -> QuerySet[CloudResource]:
    """Resources the user may see: its tenants' ones, or all for staff.

    Membership is followed through string relations: inventory sits below
    deployments and does not import it.
    """
    resources = CloudResource.objects.select_related("tenant", "deployment")
    if user.is_staff:
        return resources
    return resources.filter(tenant__memberships__user=user)


def cloud_resource_live_for_deployment(*, deployment_id: int) -> CloudResource | None:
    """The deployment's droplet that is not yet destroyed, if any."""
    return (
        CloudResource.objects.filter(deployment_id=deployment_id)
        .exclude(status=ResourceStatus.DESTROYED)
        .order_by("-created_at", "-id")
        .first()
    )


def cloud_resource_id_by_external_id(*, provider: str, external_id: str) -> int | None:
    return (
        CloudResource.objects.filter(provider=provider, external_id=str(external_id))
        .values_list("pk", flat=True)
        .first()
    )
