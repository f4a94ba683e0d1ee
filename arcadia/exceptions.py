"""One error type for business rules, and the API's mapping of errors.

Services raise :class:`ApplicationError` when a request breaks a rule
(a name already taken, a deployment in the wrong state); the API turns it
into a 400 with the same ``{"field": ["message"]}`` shape DRF uses for
serializer errors, so clients parse one format. Anything a view lets escape
becomes a 400/404/409 here rather than a 500, and a database or broker
outage a 503 (``arcadia.outages``).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from arcadia.outages import outage_response
from arcadia.throttling import throttled_response
from provisioning.engine import IllegalTransition, SagaOperationRefused

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A request that breaks a business rule. ``fields`` maps field names to
    messages when the rule concerns particular input fields."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_data(self) -> dict:
        if self.fields:
            return {name: [text] for name, text in self.fields.items()}
        return {"detail": self.message}


class ConflictError(ApplicationError):
    """A well-formed request the current state refuses (a hostname a live
    deployment holds, a deployment whose status forbids the change, an
    Idempotency-Key already used for another request): 409, so a client
    tells "fix your input" (400) from "the world is not as you thought"."""

    status_code = status.HTTP_409_CONFLICT


class NotFoundError(ApplicationError):
    """A request naming an object the caller cannot see (a tenant it does
    not belong to): 404, like any other object it may not see."""

    status_code = status.HTTP_404_NOT_FOUND


class QuotaExceededError(ApplicationError):
    """A well-formed request the tenant's quota forbids (its live deployments
    all used, a size it may not buy): 403, so a client tells it from a typo
    (400) and from a race on one object (409): retrying changes nothing until
    the quota does or the tenant frees a deployment. ``extra`` is added to the
    body (the quota's name, its limit and use, or the values allowed)."""

    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.extra = extra

    def as_data(self) -> dict:
        return {"detail": self.message, **self.extra}


class UnavailableError(ApplicationError):
    """A service the request needs cannot answer now (DigitalOcean's catalog
    never read and the provider unreachable): 503 with ``Retry-After``, in the
    shape of the database and broker outages (arcadia.outages)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, service: str, retry_after: int):
        super().__init__(message)
        self.service, self.retry_after = service, retry_after

    def as_data(self) -> dict:
        return {"detail": self.message, "unavailable": self.service}


def exception_handler(exc, context):
    """DRF exception handler: business errors → 400 (409 for a conflict
    with the current state, 404 for an object the caller cannot see), illegal
    status changes → 409, Django's validation errors → 400, outages → 503, throttled
    requests → 429 JSON with Retry-After; DRF's own errors unchanged."""
    if (outage := outage_response(exc, context.get("request"))) is not None:
        return outage
    if isinstance(exc, exceptions.Throttled):
        return throttled_response(exc)
    if isinstance(exc, UnavailableError):
        return Response(exc.as_data(), status=exc.status_code, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, ApplicationError):
        return Response(exc.as_data(), status=exc.status_code)
    if isinstance(exc, SagaOperationRefused):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IllegalTransition):
        detail = f"The deployment is {exc.current}; it cannot become {exc.target}."
        return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


class ApiErrorsMixin:
    # Uses exception_handler for this view whatever the global
    # REST_FRAMEWORK["EXCEPTION_HANDLER"] says (the API owns its errors).
    # A comment, not a docstring: drf-spectacular would print a docstring as
    # the description of every operation of every view using the mixin.

    def get_exception_handler(self):
        return exception_handler
