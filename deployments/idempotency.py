"""Idempotency-Key for deployment creates: a key names one request of one
tenant; the same key again returns the first answer, and a key reused for a
different request is a conflict."""

from __future__ import annotations

from arcadia.exceptions import ConflictError
from deployments.models import Deployment, Tenant


def deployment_by_idempotency_key(tenant: Tenant, key: str) -> Deployment | None:
    return Deployment.objects.filter(tenant=tenant, idempotency_key=key).first()


def idempotency_request(**fields) -> dict:
    """The request as compared: every field of the validated body, defaults
    filled in (``provision`` left out is ``provision: true``), the tenant
    left out (the key's scope already), as JSON stores it."""
    return {name: fields[name] for name in sorted(fields)}


def check_same_request(earlier: Deployment, request: dict) -> None:
    """The deployment created under this key must be the one now asked for,
    in every field (``provision: true`` after ``provision: false`` is another
    request). Rows from before the stored body compare their model fields."""
    if earlier.idempotency_request:
        same = earlier.idempotency_request == request
    else:
        same = all(getattr(earlier, f) == v for f, v in request.items() if hasattr(earlier, f))
    if not same:
        raise ConflictError("This Idempotency-Key was already used for a different request.")
