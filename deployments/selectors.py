"""Reads for deployments and their sagas, always scoped to what a user may
see: its tenants' objects, or everything for staff. Querysets prefetch what
the API serializes, so a page costs the same number of queries whatever
its size or the number of steps."""

from django.db.models import Prefetch, QuerySet

from arcadia.exceptions import ApplicationError
from deployments.models import Deployment, Tenant
from provisioning.models import Saga, SagaEvent, SagaStep
from provisioning.saga_summary import SUMMARY_EVENTS


def tenant_list(*, user) -> QuerySet[Tenant]:
    if user.is_staff:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user)


def tenant_for_request(*, user, slug: str | None) -> Tenant:
    """The tenant a request acts for: the one named, or the user's only one.

    A user in several tenants (or staff) must name it; naming a tenant the
    user does not belong to reads as unknown, like any other.
    """
    tenants = tenant_list(user=user)
    if slug:
        tenant = tenants.filter(slug=slug).first()
        if tenant is None:
            raise ApplicationError("Unknown tenant.", fields={"tenant": f"No tenant '{slug}' for you."})
        return tenant
    mine = list(Tenant.objects.filter(memberships__user=user)[:2])
    if len(mine) == 1:
        return mine[0]
    reason = "You belong to several tenants; name one." if mine else "You belong to no tenant; name one."
    raise ApplicationError(reason, fields={"tenant": reason})


def _sagas_with_steps() -> Prefetch:
    # Newest first: the first one is the deployment's current saga. The few
    # events a summary reads (failed step, rollback) come along for the list.
    summary_events = SagaEvent.objects.filter(event__in=SUMMARY_EVENTS).order_by("at", "id")
    return Prefetch(
        "sagas",
        queryset=Saga.objects.order_by("-created_at").prefetch_related(
            Prefetch("steps", queryset=SagaStep.objects.order_by("index")),
            Prefetch("events", queryset=summary_events, to_attr="summary_events"),
        ),
    )


def deployment_list(*, user) -> QuerySet[Deployment]:
    deployments = Deployment.objects.select_related("tenant").prefetch_related(_sagas_with_steps())
    if user.is_staff:
        return deployments
    return deployments.filter(tenant__memberships__user=user)


def deployment_current_saga(deployment: Deployment) -> Saga | None:
    """The newest saga, from the prefetched list (no query)."""
    sagas = list(deployment.sagas.all())
    return sagas[0] if sagas else None


def saga_list(*, user) -> QuerySet[Saga]:
    sagas = Saga.objects.select_related("deployment__tenant").prefetch_related(
        Prefetch("steps", queryset=SagaStep.objects.order_by("index"))
    )
    if user.is_staff:
        return sagas
    return sagas.filter(deployment__tenant__memberships__user=user)


def saga_detail_list(*, user) -> QuerySet[Saga]:
    """As :func:`saga_list`, plus the timeline of events."""
    events = SagaEvent.objects.select_related("step").order_by("at", "id")
    return saga_list(user=user).prefetch_related(Prefetch("events", queryset=events))
