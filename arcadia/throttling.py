"""How fast a client may call Arcadia: DRF's own throttles, and a limit on log-in attempts.

Four rates, each a DRF rate string (``"600/min"``) read from settings at
every request, so an operator's value (and a test's ``override_settings``)
takes effect without a restart; an empty rate switches that throttle off:

- ``writes``: POST, PUT, PATCH and DELETE of one authenticated user;
- ``reads``: GET, HEAD and OPTIONS of one authenticated user;
- ``anon``: requests with no user (the schema and docs pages), per IP;
- ``login``: POSTs of the admin's and the browsable API's log-in forms,
  per IP and user name (:func:`login_throttled`).

The counters live in Django's default cache: Redis shared by every web
process when Arcadia runs on Redis, this process's memory in the embedded
mode (one process). A throttled request answers :func:`throttled_response`.
"""

import functools

from django.conf import settings
from django.http import JsonResponse
from rest_framework.exceptions import Throttled
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

# The setting each scope's rate is read from (one name, one place).
RATE_SETTINGS = {
    "writes": "ARCADIA_THROTTLE_WRITES",
    "reads": "ARCADIA_THROTTLE_READS",
    "anon": "ARCADIA_THROTTLE_ANON",
    "login": "ARCADIA_THROTTLE_LOGIN",
}


def throttled_response(exc: Throttled) -> JsonResponse:
    """429 with ``Retry-After`` (DRF's ``Throttled`` rounds the wait up) and
    DRF's message as ``{"detail"}``. JSON whatever the request accepted, as
    an outage's 503 is (arcadia.outages): a client polling the schema in YAML
    or a form in HTML gets an answer it can read the wait from."""
    response = JsonResponse({"detail": str(exc.detail)}, status=exc.status_code)
    if exc.wait is not None:
        response["Retry-After"] = str(exc.wait)
    return response


class SettingsRateMixin:
    # DRF reads rates from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] into a
    # class attribute when rest_framework.throttling is imported, so a changed
    # setting would need a restart (and override_settings would not reach
    # it). Read from settings at each request instead; "" means no limit.

    def get_rate(self):
        return getattr(settings, RATE_SETTINGS[self.scope]) or None


class UserWriteThrottle(SettingsRateMixin, UserRateThrottle):
    """A user's writes: what starts sagas and spends the DigitalOcean budget."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class UserReadThrottle(SettingsRateMixin, UserRateThrottle):
    """A user's reads, counted apart from writes: a client polling a
    deployment's status must not use up the writes it needs to act."""

    scope = "reads"

    def allow_request(self, request, view):
        if request.method not in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class AnonThrottle(SettingsRateMixin, AnonRateThrottle):
    """Requests without a user, per client IP (DRF's ``get_ident``: the
    address, or X-Forwarded-For under ``NUM_PROXIES``)."""


class LoginThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Log-in attempts per IP and user name: guessing one user's password
    from one address is slowed down, while that user still logs in from
    elsewhere and a shared office address still serves its other users."""

    scope = "login"

    def get_cache_key(self, request, view):
        username = request.POST.get("username", "")
        # The name is cache-key material: bounded, and case-folded as people type it.
        ident = f"{self.get_ident(request)}:{username[:150].casefold()}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def login_throttled(login_view):
    """Wrap a log-in view (Django's admin or the browsable API's): a POST past
    ``ARCADIA_THROTTLE_LOGIN`` answers 429 with ``Retry-After``, and the form
    is not even checked, so a guess costs nothing more than waiting."""

    @functools.wraps(login_view)
    def view(request, *args, **kwargs):
        if request.method == "POST":
            throttle = LoginThrottle()
            if not throttle.allow_request(request, None):
                return throttled_response(Throttled(throttle.wait()))
        return login_view(request, *args, **kwargs)

    return view
