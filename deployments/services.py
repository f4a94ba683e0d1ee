"""Writes for deployments: create, provision, cancel, tear down, and the
status changes the saga steps ask for.

Every status change goes through ``Deployment.transition_to`` inside a
transaction holding the row lock. Sagas are started with
``provisioning.engine.services.saga_start``, whose message leaves only after the
surrounding transaction commits. When the broker refuses that message, the
rows are committed all the same and the sweeper sends it: the request
succeeded (see :func:`_sweeper_sends_if_broker_down`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import kombu.exceptions
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from rest_framework.authtoken.models import Token

from arcadia.exceptions import ApplicationError, ConflictError
from deployments.models import Deployment, DeploymentStatus, Tenant, TenantMembership
from inventory.selectors import cloud_resource_live_for_deployment
from provisioning.engine import IllegalTransition, saga_live_for_subject, saga_request_cancel, saga_start

PROVISION_KIND = "provision_deployment"
TEARDOWN_KIND = "teardown_deployment"

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
DNS_LABEL_MAX = 63

_S = DeploymentStatus

log = logging.getLogger("deployments")


@contextmanager
def _sweeper_sends_if_broker_down(what: str) -> Iterator[None]:
    """Every saga message leaves in ``transaction.on_commit``; when the
    broker is down its send raises *after* the rows committed, out of the
    outermost atomic block. The saga then exists and is unfinished, so the
    sweeper sends it after ``ARCADIA_SAGA_STALL_TIMEOUT``: the caller gets
    its answer as if it had been sent. A broker error raised while still
    inside a transaction (nothing committed) propagates (a 503)."""
    try:
        yield
    except kombu.exceptions.OperationalError as exc:
        if connection.in_atomic_block:
            raise
        log.warning(
            "saga=- step=- %s committed; its message was not sent (broker: %s), the sweeper sends it",
            what,
            type(exc).__name__,
        )


HOSTNAME_MAX = 253


def deployment_dns_label(*, name: str, tenant_slug: str) -> str:
    """The A record's name inside ``ARCADIA_DNS_DOMAIN``: ``<name>.<tenant>``.

    Each part is one DNS label (neither may contain a dot), so the dot
    between them makes the mapping unambiguous: no name in one tenant can
    produce another tenant's hostname. (The first releases used
    ``<name>-<tenant>``, where tenant ``demo``'s ``web-x`` was tenant
    ``x-demo``'s ``web``; such rows keep their stored ``dns_name``.)"""
    return f"{name}.{tenant_slug}"


def deployment_hostname(*, name: str, tenant_slug: str) -> str:
    return f"{deployment_dns_label(name=name, tenant_slug=tenant_slug)}.{settings.ARCADIA_DNS_DOMAIN}"


def _check_label(*, name: str, tenant: Tenant) -> None:
    for part, what in ((name, "name"), (tenant.slug, "tenant slug")):
        if len(part) > DNS_LABEL_MAX or not DNS_LABEL.match(part):
            raise ApplicationError(
                f"The {what} is not a valid DNS label.",
                fields={"name": f"'{part}' is not a DNS label of at most {DNS_LABEL_MAX} characters."},
            )
    hostname = deployment_hostname(name=name, tenant_slug=tenant.slug)
    if len(hostname) > HOSTNAME_MAX:
        raise ApplicationError(
            "Name too long for a hostname.",
            fields={"name": f"'{hostname}' exceeds {HOSTNAME_MAX} characters; choose a shorter name."},
        )


@dataclass(frozen=True)
class DeploymentCreated:
    deployment: Deployment
    created: bool  # False: an Idempotency-Key replay returned an earlier one


def deployment_create(
    *,
    tenant: Tenant,
    name: str,
    region: str,
    size: str,
    image: str,
    provision: bool = True,
    idempotency_key: str = "",
) -> DeploymentCreated:
    """Create a deployment, in ``pending``, or in ``provisioning`` with its
    saga started (sent after commit) when ``provision`` is true.

    With an ``idempotency_key``, a second call for the same tenant returns
    the first deployment and starts nothing; reusing the key for a different
    request is an error.
    """
    _check_label(name=name, tenant=tenant)
    request = {"name": name, "region": region, "size": size, "image": image}
    if idempotency_key and (earlier := _by_idempotency_key(tenant, idempotency_key)):
        return _replay(earlier, request)
    try:
        with _sweeper_sends_if_broker_down(f"deployment {name!r} of {tenant.slug}"), transaction.atomic():
            deployment = Deployment(
                tenant=tenant,
                hostname=deployment_hostname(name=name, tenant_slug=tenant.slug),
                dns_name=deployment_dns_label(name=name, tenant_slug=tenant.slug),
                idempotency_key=idempotency_key,
                **request,
            )
            if provision:
                # Born provisioning (the transition checked first): one INSERT,
                # not an INSERT and an UPDATE.
                deployment.transition_to(_S.PROVISIONING)
            deployment.save(force_insert=True)
            if provision:
                _start_saga(deployment)
    except IntegrityError:
        # A concurrent twin with the same key won the race, or the hostname
        # belongs to a live deployment.
        if idempotency_key and (earlier := _by_idempotency_key(tenant, idempotency_key)):
            return _replay(earlier, request)
        raise ConflictError(
            "Hostname taken.",
            fields={
                "name": "A live deployment already uses "
                f"{deployment_hostname(name=name, tenant_slug=tenant.slug)}."
            },
        ) from None
    return DeploymentCreated(deployment=deployment, created=True)


def _by_idempotency_key(tenant: Tenant, key: str) -> Deployment | None:
    return Deployment.objects.filter(tenant=tenant, idempotency_key=key).first()


def _replay(earlier: Deployment, request: dict) -> DeploymentCreated:
    if any(getattr(earlier, field) != value for field, value in request.items()):
        raise ConflictError("This Idempotency-Key was already used for a different request.")
    return DeploymentCreated(deployment=earlier, created=False)


def _start_provisioning(deployment: Deployment):
    _set_status(deployment, _S.PROVISIONING)
    return _start_saga(deployment)


def _start_saga(deployment: Deployment):
    return saga_start(
        kind=PROVISION_KIND,
        subject=deployment,
        context=deployment_provision_context(deployment=deployment),
    )


def deployment_provision_context(*, deployment: Deployment) -> dict:
    """Everything the provisioning steps need, frozen at start so a saga
    finishes on the inputs it began with."""
    label = _dns_name_of(deployment)
    return {
        "deployment_id": deployment.pk,
        "tenant_id": deployment.tenant_id,
        "droplet_name": label,
        "region": deployment.region,
        "size": deployment.size,
        "image": deployment.image,
        "hostname": deployment.hostname,
        "dns_domain": settings.ARCADIA_DNS_DOMAIN,
        "dns_name": label,
    }


def _dns_name_of(deployment: Deployment) -> str:
    """The record name stored with the deployment (older rows: their legacy
    ``<name>-<tenant>``, set by migration 0002), so a deployment keeps the
    record it was given whatever the current mapping is."""
    return deployment.dns_name or deployment_dns_label(
        name=deployment.name, tenant_slug=deployment.tenant.slug
    )


def _locked(deployment_id: int) -> Deployment:
    return Deployment.objects.select_for_update().select_related("tenant").get(pk=deployment_id)


def deployment_provision(*, deployment: Deployment):
    """Start provisioning a ``pending`` deployment; returns the saga."""
    with _sweeper_sends_if_broker_down(f"provisioning of deployment {deployment.pk}"), transaction.atomic():
        deployment = _locked(deployment.pk)
        if deployment.status != _S.PENDING:
            raise ConflictError(
                f"Only a pending deployment can be provisioned; this one is {deployment.status}."
            )
        saga = _start_provisioning(deployment)
    return saga


def deployment_cancel(*, deployment: Deployment) -> Deployment:
    """Cancel a pending deployment at once, or ask a provisioning one's saga
    to stop: it compensates at its next step boundary."""
    with transaction.atomic():
        deployment = _locked(deployment.pk)
        if deployment.status == _S.PENDING:
            _set_status(deployment, _S.CANCELLED)
            return deployment
        saga = _live_saga(deployment, PROVISION_KIND)
        if deployment.status != _S.PROVISIONING or saga is None:
            raise ConflictError(
                "Only a pending or provisioning deployment can be cancelled; "
                f"this one is {deployment.status}."
            )
    with _sweeper_sends_if_broker_down(f"cancel of deployment {deployment.pk}"):
        saga_request_cancel(saga=saga)
    return deployment


def _live_saga(deployment: Deployment, kind: str):
    return saga_live_for_subject(deployment, kind=kind)


def deployment_teardown(*, deployment: Deployment):
    """DELETE: a pending deployment is deleted at once (returns ``None``);
    an active one (or a failed teardown, retried) starts the teardown saga
    (returned, sent after commit)."""
    with _sweeper_sends_if_broker_down(f"teardown of deployment {deployment.pk}"), transaction.atomic():
        deployment = _locked(deployment.pk)
        if deployment.status == _S.PENDING:
            _set_status(deployment, _S.DELETED)
            return None
        if deployment.status not in (_S.ACTIVE, _S.FAILED):
            raise ConflictError(
                "Only a pending, active or failed deployment can be deleted; "
                f"this one is {deployment.status}."
            )
        _set_status(deployment, _S.DEPROVISIONING)
        saga = saga_start(kind=TEARDOWN_KIND, subject=deployment, context=_teardown_context(deployment))
    return saga


def _teardown_context(deployment: Deployment) -> dict:
    resource = cloud_resource_live_for_deployment(deployment_id=deployment.pk)
    label = _dns_name_of(deployment)
    return {
        "deployment_id": deployment.pk,
        "tenant_id": deployment.tenant_id,
        "cloud_resource_id": resource.pk if resource else None,
        "droplet_id": int(resource.external_id) if resource else None,
        "ipv4": resource.ipv4 if resource else None,
        "hostname": deployment.hostname,
        "dns_domain": settings.ARCADIA_DNS_DOMAIN,
        "dns_name": label,
    }


def _set_status(deployment: Deployment, target: str) -> None:
    """The one way a service changes a deployment's status: the declared
    transition is checked, then only the status (and its timestamp) saved."""
    deployment.transition_to(target)
    deployment.save(update_fields=["status", "updated_at"])


# --- status changes asked for by saga steps ---------------------------------
# Each is idempotent: a deployment already in the target status is left
# alone, so a retried or redelivered step is harmless. An illegal change
# raises IllegalTransition, which the step reports as a permanent failure.


def _deployment_move(*, deployment_id: int, target: str) -> None:
    """Move a deployment to ``target`` with one conditional UPDATE whose
    WHERE lists the statuses the transition table allows to reach it, and
    the target itself. Only when it matches no row is the row read, to tell
    a missing deployment from an illegal change."""
    allowed = Deployment.TRANSITIONS.sources_of(target)
    # A deployment already there matches too, and keeps its timestamp: a
    # retried step (or provisioning's first step, after the service made the
    # deployment provisioning) costs this one statement, not a second read.
    moved = Deployment.objects.filter(pk=deployment_id, status__in=[*allowed, target]).update(
        status=target,
        updated_at=Case(When(status=target, then=F("updated_at")), default=Value(timezone.now())),
    )
    if moved:
        return
    current = Deployment.objects.values_list("status", flat=True).get(pk=deployment_id)
    if current != target:
        raise IllegalTransition("Deployment", current, target)


def deployment_mark_provisioning(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.PROVISIONING)


def deployment_mark_cancelled(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.CANCELLED)


def deployment_activate(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.ACTIVE)


def deployment_deactivate(*, deployment_id: int) -> None:
    """Undo :func:`deployment_activate` (back to ``provisioning``); a
    deployment that is not active (never activated, or cancelled since)
    stays as it is."""
    Deployment.objects.filter(pk=deployment_id, status=_S.ACTIVE).update(
        status=_S.PROVISIONING, updated_at=timezone.now()
    )


def deployment_mark_deprovisioning(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.DEPROVISIONING)


def deployment_end_teardown(*, deployment_id: int, droplet_destroyed: bool) -> None:
    """A teardown that compensated: back to ``active`` while the droplet
    still exists, ``failed`` once it is gone (an operator must finish)."""
    target = _S.FAILED if droplet_destroyed else _S.ACTIVE
    _deployment_move(deployment_id=deployment_id, target=target)


def deployment_mark_deleted(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.DELETED)


# --- tenants and users ------------------------------------------------------


@transaction.atomic
def tenant_user_create(
    *, tenant_slug: str, username: str, tenant_name: str = ""
) -> tuple[Tenant, object, str]:
    """Create (or reuse) the tenant, the user and its membership; return the
    user's API token. Safe to run twice."""
    if not DNS_LABEL.match(tenant_slug) or len(tenant_slug) > 20:
        raise ApplicationError(
            "Bad tenant slug.",
            fields={"tenant": "lowercase letters, digits and inner hyphens, at most 20 characters"},
        )
    tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_name or tenant_slug})
    user, _ = get_user_model().objects.get_or_create(username=username)
    TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    token, _ = Token.objects.get_or_create(user=user)
    return tenant, user, token.key
