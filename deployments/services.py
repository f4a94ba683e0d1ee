"""The deployments API's writes: create, provision, cancel, tear down.

Every status change goes through ``Deployment.transition_to`` inside a
transaction holding the row lock. Sagas are started with the engine's
``saga_start``, whose message leaves only after the surrounding transaction
commits; when the broker refuses it then, the engine logs it and leaves the
saga to the sweeper: the rows are committed and the request succeeded.
The status changes steps ask for are in ``status_moves``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from arcadia.exceptions import ApplicationError, ConflictError, UnavailableError
from deployments.idempotency import check_same_request, deployment_by_idempotency_key, idempotency_request
from deployments.models import RELEASED_STATUSES, Deployment, DeploymentStatus, Tenant
from deployments.naming import (
    check_deployment_name,
    deployment_dns_label,
    deployment_dns_name,
    deployment_hostname,
)
from deployments.quotas import quota_check_live, quota_check_spec, tenant_lock
from inventory.catalog import CatalogUnavailable, catalog_current
from inventory.dns_records import dns_record_standing
from inventory.selectors import cloud_resource_live_for_deployment
from provisioning.engine import SagaStatus, saga_live_for_subject, saga_request_cancel, saga_start, sagas_of

PROVISION_KIND = "provision_deployment"
TEARDOWN_KIND = "teardown_deployment"

_S = DeploymentStatus

log = logging.getLogger("deployments")


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

    Refused before anything is created: a region, size or image the
    tenant's quota does not allow (403) or DigitalOcean does not sell there
    (400), and, when provisioning, a tenant with all its live deployments
    used (403, counted with the tenant's row locked).
    """
    check_deployment_name(name=name, tenant_slug=tenant.slug)
    spec = {"name": name, "region": region, "size": size, "image": image}
    request = idempotency_request(**spec, provision=provision)
    if idempotency_key and (earlier := deployment_by_idempotency_key(tenant, idempotency_key)):
        return _replay(earlier, request)
    quota_check_spec(tenant=tenant, region=region, size=size, image=image)
    if provision:
        # A full tenant is refused before any provider call; the count that
        # decides a race is the one under the tenant's lock, below.
        quota_check_live(tenant=tenant)
    _refuse_unsold(region=region, size=size, image=image)
    dns_name = deployment_dns_label(name=name, tenant_slug=tenant.slug)
    hostname = deployment_hostname(name=name, tenant_slug=tenant.slug)
    if provision:
        # Before any droplet is bought, and outside the transaction (a network call).
        _refuse_foreign_record(dns_name=dns_name, hostname=hostname)
    try:
        with transaction.atomic():
            deployment = Deployment(
                tenant=tenant,
                hostname=hostname,
                dns_name=dns_name,
                idempotency_key=idempotency_key,
                idempotency_request=request if idempotency_key else {},
                **spec,
            )
            if provision:
                quota_check_live(tenant=tenant_lock(tenant))
                # Born provisioning (the transition checked first): one INSERT,
                # not an INSERT and an UPDATE.
                deployment.transition_to(_S.PROVISIONING)
            deployment.save(force_insert=True)
            if provision:
                _start_saga(deployment)
    except IntegrityError:
        # A concurrent twin with the same key won the race, or the hostname
        # belongs to a live deployment.
        if idempotency_key and (earlier := deployment_by_idempotency_key(tenant, idempotency_key)):
            return _replay(earlier, request)
        raise _taken(hostname) from None
    return DeploymentCreated(deployment=deployment, created=True)


def _refuse_unsold(*, region: str, size: str, image: str) -> None:
    """400 naming what DigitalOcean sells when it does not sell this region,
    size or image, or not this size in this region (inventory.catalog: cached;
    a network call only when the cache is stale or empty, so outside any
    transaction). 503 when no catalog was ever read and DigitalOcean cannot
    be asked now."""
    if not settings.ARCADIA_CATALOG_CHECK:
        return
    try:
        catalog = catalog_current()
    except CatalogUnavailable as exc:
        raise UnavailableError(
            "DigitalOcean's catalog (regions, sizes, images) cannot be read now; nothing was created. "
            "Retry shortly.",
            service="digitalocean",
            retry_after=exc.retry_after,
        ) from None
    if problems := catalog.problems(region=region, size=size, image=image):
        raise ApplicationError("Not sold by DigitalOcean.", fields=problems)


def _taken(hostname: str) -> ConflictError:
    return ConflictError("Hostname taken.", fields={"name": f"A live deployment already uses {hostname}."})


def _refuse_foreign_record(*, dns_name: str, hostname: str | None = None) -> None:
    """409 when an A record already stands at the deployment's name: Arcadia
    did not create it (no live deployment holds the name), and overwriting,
    then deleting it would destroy someone else's DNS. An operator may allow
    adopting such records (``ARCADIA_DNS_ADOPT_EXISTING``). Best effort: when
    DigitalOcean cannot answer now, the DNS step refuses it instead (see
    docs/design.md, "DNS records Arcadia did not create").

    ``hostname``, for a deployment not yet created: a live deployment that
    already holds it owns the record found, so the answer is "taken". Asked
    only when a record stands: without one, the unique index answers
    "taken" as it always did, and decides a race."""
    if settings.ARCADIA_DNS_ADOPT_EXISTING or not settings.ARCADIA_DNS_CHECK_AT_POST:
        return
    domain = settings.ARCADIA_DNS_DOMAIN
    record = dns_record_standing(domain=domain, name=dns_name)
    if record is not None:
        live = Deployment.objects.filter(hostname=hostname).exclude(status__in=RELEASED_STATUSES)
        if hostname is not None and live.exists():
            raise _taken(hostname)
        raise ConflictError(
            "DNS record not Arcadia's.",
            fields={
                "name": f"An A record {dns_name}.{domain} → {record.data} (id {record.id}) already exists "
                "and Arcadia did not create it, so it will not overwrite it. Remove the record or choose "
                "another name; an operator can allow Arcadia to adopt such records."
            },
        )


def _replay(earlier: Deployment, request: dict) -> DeploymentCreated:
    check_same_request(earlier, request)
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
    label = deployment_dns_name(deployment)
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
        # The budget's fair share goes by tenant (provisioning.steps._gateway).
        "fairness_key": deployment.tenant.slug,
        "fairness_weight": deployment.tenant.budget_weight,
        # Frozen too: a setting changed mid-saga does not change what this
        # saga may do to a record it did not create.
        "dns_adopt": settings.ARCADIA_DNS_ADOPT_EXISTING,
        # No create has left yet: the create step marks each one before it
        # is sent (provisioning/steps/create_droplet.py, CREATE_SENT).
        "droplet_create_sent_at": None,
    }


def _locked(deployment_id: int) -> Deployment:
    return Deployment.objects.select_for_update().select_related("tenant").get(pk=deployment_id)


def deployment_provision(*, deployment: Deployment):
    """Start provisioning a ``pending`` deployment; returns the saga. A DNS
    record Arcadia did not create at its name is refused first (409), as
    are the tenant's quotas (403: checked again, they may have changed since
    the POST) and a region, size or image DigitalOcean no longer sells (400)."""
    if deployment.status == _S.PENDING:
        spec = {"region": deployment.region, "size": deployment.size, "image": deployment.image}
        quota_check_spec(tenant=deployment.tenant, **spec)
        quota_check_live(tenant=deployment.tenant)
        _refuse_unsold(**spec)
        _refuse_foreign_record(dns_name=deployment_dns_name(deployment))
    with transaction.atomic():
        # The tenant before the deployment, as at POST: one lock order.
        tenant = tenant_lock(deployment.tenant)
        deployment = _locked(deployment.pk)
        if deployment.status != _S.PENDING:
            raise ConflictError(
                f"Only a pending deployment can be provisioned; this one is {deployment.status}."
            )
        quota_check_live(tenant=tenant)
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
    saga_request_cancel(saga=saga)
    return deployment


def _live_saga(deployment: Deployment, kind: str):
    return saga_live_for_subject(deployment, kind=kind)


def deployment_teardown(*, deployment: Deployment):
    """DELETE: a pending deployment is deleted at once (returns ``None``);
    an active one (or a failed teardown, retried) starts the teardown saga
    (returned, sent after commit)."""
    with transaction.atomic():
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
    label = deployment_dns_name(deployment)
    return {
        "deployment_id": deployment.pk,
        "tenant_id": deployment.tenant_id,
        "cloud_resource_id": resource.pk if resource else None,
        "droplet_id": int(resource.external_id) if resource else None,
        "ipv4": resource.ipv4 if resource else None,
        "hostname": deployment.hostname,
        "dns_domain": settings.ARCADIA_DNS_DOMAIN,
        "dns_name": label,
        "fairness_key": deployment.tenant.slug,
        "fairness_weight": deployment.tenant.budget_weight,
        **_dns_found_at_provisioning(deployment),
    }


def _dns_found_at_provisioning(deployment: Deployment) -> dict:
    """What the provisioning saga recorded of the deployment's A record: its
    id and, when it adopted a record that stood before, that record's
    before-image (``dns_previous``), which teardown puts back instead of
    deleting the record. Empty for sagas older than these outputs."""
    saga = sagas_of(deployment).filter(kind=PROVISION_KIND, status=SagaStatus.SUCCEEDED).first()
    context = saga.context if saga is not None else {}
    return {key: context[key] for key in ("dns_record_id", "dns_previous") if key in context}


def _set_status(deployment: Deployment, target: str) -> None:
    """The one way a service changes a deployment's status: the declared
    transition is checked, then only the status (and its timestamp) saved."""
    deployment.transition_to(target)
    deployment.save(update_fields=["status", "updated_at"])
