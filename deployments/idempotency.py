"""Idempotency-Key for deployment creates: a key names one request of one
tenant; the same key again returns the first answer, and a key reused for a
different request is a conflict."""

from __future__ import annotations

from arcadia.exceptions import ConflictError
from deployments.models import Deployment, Tenant


def deployment_by_idempotency_key(tenant: Tenant, key: str) -> Deployment | None:
    return Deployment.objects.filter(tenant=tenant, idempotency_key=key).first()


def check_same_request(earlier: Deployment, request: dict) -> None:
    """The deployment created under this key must be the one now asked for."""
    if any(getattr(earlier, field) != value for field, value in request.items()):
        raise ConflictError("This Idempotency-Key was already used for a different request.")
