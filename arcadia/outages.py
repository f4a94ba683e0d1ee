"""A database or broker that does not answer is an outage, not a bug: the
request gets a ``503`` with a JSON body saying which service is down and to
retry, never a ``500`` (nor, with ``DEBUG`` on, Django's debug page, which
would show settings and SQL to whoever asked).

The DRF exception handler (``arcadia.exceptions``) uses :func:`outage_response`
for API views; :class:`OutageMiddleware` does the same for every other view
(admin, health, docs).
"""

from __future__ import annotations

import logging

import kombu.exceptions
from django import db
from django.http import JsonResponse

log = logging.getLogger(__name__)

# Seconds a client should wait before trying again (Retry-After).
RETRY_AFTER_SECONDS = 5

# kombu raises its OperationalError for any broker it cannot reach (Redis
# and AMQP alike); Django's for any database it cannot reach or lost.
_BY_SERVICE = (
    ("database", (db.OperationalError, db.InterfaceError)),
    ("broker", (kombu.exceptions.OperationalError,)),
)


def outage_service(exc: BaseException) -> str | None:
    """``"database"`` or ``"broker"`` when ``exc`` says that service is out."""
    for service, types in _BY_SERVICE:
        if isinstance(exc, types):
            return service
    return None


def _outage_body(service: str) -> dict:
    return {
        "detail": f"The {service} is unavailable; nothing was changed unless a 2xx said so. Retry shortly.",
        "unavailable": service,
    }


def outage_response(exc: BaseException, request=None):
    """A 503 ``JsonResponse`` for an outage, or ``None`` for anything else."""
    service = outage_service(exc)
    if service is None:
        return None
    path = getattr(request, "path", "-")
    # The class only: a message may carry a URL with a password.
    log.warning("saga=- step=- %s unavailable during %s: %s", service, path, type(exc).__name__)
    response = JsonResponse(_outage_body(service), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    """503 for an outage escaping any non-DRF view (DRF views answer through
    their exception handler before this sees anything)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except Exception as exc:  # only outages are answered; the rest re-raised
            response = outage_response(exc, request)
            if response is None:
                raise
            return response

    def process_exception(self, request, exc):
        return outage_response(exc, request)
