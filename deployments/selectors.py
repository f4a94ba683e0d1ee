"""Reads for deployments and their sagas, always scoped to what a user may
see: its tenants' objects, or everything for staff. Querysets prefetch what
the API serializes, so a page costs the same number of queries whatever
its size or the number of steps."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from arcadia.exceptions import ApplicationError, NotFoundError
from deployments.models import Deployment, Tenant
from provisioning.engine import Saga, as_subject_id, saga_newest_of, sagas_newest_by_subject

# How the engine names a deployment as a saga's subject.
DEPLOYMENT_SUBJECT = Deployment._meta.label_lower


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
            raise NotFoundError("Unknown tenant.", fields={"tenant": f"No tenant '{slug}' for you."})
        return tenant
    mine = list(Tenant.objects.filter(memberships__user=user)[:2])
    if len(mine) == 1:
        return mine[0]
    reason = "You belong to several tenants; name one." if mine else "You belong to no tenant; name one."
    raise ApplicationError(reason, fields={"tenant": reason})


def deployment_list(*, user) -> QuerySet[Deployment]:
    deployments = Deployment.objects.select_related("tenant")
    if user.is_staff:
        return deployments
    return deployments.filter(tenant__memberships__user=user)


def deployments_with_current_saga(deployments: Iterable[Deployment]) -> list[Deployment]:
    """Attach each deployment's newest saga, with its steps and the events a
    list's summary reads, as ``current_saga``: three queries for a whole page."""
    deployments = list(deployments)
    newest = sagas_newest_by_subject(subject_type=DEPLOYMENT_SUBJECT, subject_ids=[d.pk for d in deployments])
    for deployment in deployments:
        deployment.current_saga = newest.get(str(deployment.pk))
    return deployments


def deployment_current_saga(deployment: Deployment, *, summary_events: bool = False) -> Saga | None:
    """The newest saga, as attached by :func:`deployments_with_current_saga`
    (the detail shows every step and needs no summary events)."""
    if not hasattr(deployment, "current_saga"):
        deployment.current_saga = saga_newest_of(deployment, summary_events=summary_events)
    return deployment.current_saga


def saga_subjects_visible_to(user) -> Q:
    """The engine's saga scope: a user sees the sagas of its tenants' deployments."""
    mine = Deployment.objects.filter(tenant__memberships__user=user).values(sid=as_subject_id("pk"))
    return Q(subject_type=DEPLOYMENT_SUBJECT, subject_id__in=mine)
