"""The transport under python-digitalocean: every request the library sends passes here.

The library has traps this module closes once, for every object the gateway
builds (docs/design.md, "Facts measured"; docs/decisions/0015):

- it sends no timeout unless an environment variable says so: each object
  answers ``get_timeout()`` with the gateway's timeout;
- only the ``DIGITALOCEAN_END_POINT`` variable reaches objects it builds
  itself: the gateway passes ``end_point`` to each object it builds, and this
  transport refuses any request to a host other than ``api_url`` (a
  ``links.pages.next`` pointing elsewhere would otherwise be followed);
- it maps 404 to ``NotFoundError`` and everything else to ``DataReadError``
  without the status, and crashes on error bodies lacking ``id``: the
  transport reads the HTTP answer itself, before the library does;
- it sends POST and PATCH through module-level ``requests`` functions (a new
  connection each): the transport sends those on the pooled session.

Every request takes a permit from the token's shared budget first
(``inventory.budget``); without one it raises ``GatewayThrottled`` before
anything leaves. Every answer's ``ratelimit-*`` headers correct the budget;
a 429 pauses the whole token.

All of it hangs on one private, name-mangled method of the library's
``BaseAPI`` (``__perform_request``), the one place every request passes,
pagination included. A private method can change in any release, so the
transport refuses to load on a version it was not checked against.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import digitalocean
import redis
import requests
from digitalocean.baseapi import PATCH, POST, BaseAPI

from inventory.budget import get_budget
from inventory.gateway import spans
from inventory.gateway.errors import (
    GatewayPermanentError,
    GatewayThrottled,
    GatewayTransientError,
    answer_message,
    http_error,
    retry_after,
)

if TYPE_CHECKING:
    from inventory.gateway.gateway import DigitalOceanGateway

log = logging.getLogger(__name__)

# The versions whose BaseAPI.__perform_request(url, type, params) this
# transport was read against; requirements.txt pins one of them.
CHECKED_VERSIONS = ("1.17.0",)


class LibraryVersionError(RuntimeError):
    """python-digitalocean is a version the transport was not checked against."""


def installed_version() -> str:
    # The distribution's version, not ``digitalocean.__version__``: 1.17.0
    # still says "1.16.0" there.
    return importlib.metadata.version("python-digitalocean")


def check_library(version: str | None = None, api: type = BaseAPI) -> None:
    version = version or installed_version()
    if version not in CHECKED_VERSIONS or not hasattr(api, "_BaseAPI__perform_request"):
        raise LibraryVersionError(
            f"python-digitalocean {version} is installed; Arcadia's transport overrides its private "
            f"BaseAPI.__perform_request and was checked against {', '.join(CHECKED_VERSIONS)} only: "
            "read that method in the new version, then add it to inventory/gateway/transport.py"
        )


check_library()

_SENT_WITHOUT_SESSION = (POST, PATCH)
# What the library says it is, as it says it (BaseAPI.__perform_request).
_AGENT = f"python-digitalocean/{digitalocean.__version__} requests/{requests.__version__}"


def _count_from_answer(budget, decision, caller, index: int, granted_at: float) -> None:
    """The request has arrived by now (answered, or given up on): its
    permit counts from now if it was granted long enough ago to matter."""
    try:
        budget.answered(decision, caller, index=index, age=time.monotonic() - granted_at)
    except redis.RedisError:
        log.warning("could not move a DigitalOcean permit to its answer: the budget store is unavailable")


class _Pinned:
    """Mixed into each library class the gateway uses: pins the timeout and
    the host, and maps HTTP failures before the library sees them."""

    _gateway: DigitalOceanGateway  # set by the gateway that builds it
    last_response: requests.Response | None = None

    def get_timeout(self) -> float:
        return self._gateway.timeout

    # BaseAPI's private ``__perform_request`` (name-mangled) is the one place every
    # request of the library passes through, pagination included.
    def _BaseAPI__perform_request(self, url, type="GET", params=None):  # noqa: A002 - library's name
        target = urlsplit(urljoin(self.end_point, url))
        with spans.provider_call(type, target.path, target.hostname or "") as call:
            return self._perform(url, type, params, call)

    def _perform(self, url, type, params, call):  # noqa: A002 - library's name
        gateway = self._gateway
        target = urljoin(self.end_point, url)
        where = f"{type} {urlsplit(target).path}"
        if not target.startswith(gateway.api_url):
            raise GatewayPermanentError(f"refused {where}: not under the configured API URL", status=0)
        try:
            budget = get_budget(gateway._token)
            decision, index, granted_at = gateway._permit(budget, type, urlsplit(target).path)
            call.permit(decision)
        except redis.RedisError as exc:
            # No budget store, no permit: wait for it as for any transient fault.
            raise GatewayTransientError(f"{where}: the DigitalOcean budget is unavailable: {exc}") from None
        if not decision.granted:
            raise GatewayThrottled(
                f"{where}: waiting for the DigitalOcean budget ({decision.ahead} ahead)",
                retry_after=decision.wait,
            )
        if gateway._before_send is not None:
            before_send, gateway._before_send = gateway._before_send, None
            before_send()
        try:
            response = self._send(url, type, params)
        except requests.Timeout:
            raise GatewayTransientError(f"{where}: no answer within {gateway.timeout}s") from None
        except requests.RequestException as exc:
            raise GatewayTransientError(gateway.scrub(f"{where}: {exc.__class__.__name__}: {exc}")) from None
        finally:
            _count_from_answer(budget, decision, gateway.caller, index, granted_at)
        self.last_response = response
        call.answered(response.status_code)
        try:
            paused = budget.observe(response.status_code, response.headers, decision)
        except redis.RedisError:
            log.warning("could not record DigitalOcean's rate-limit headers: the budget store is unavailable")
            paused = None
        if response.status_code == 429:
            message = gateway.scrub(f"{where} answered 429: {answer_message(response)}")
            told = retry_after(response) if response.headers.get("retry-after") else None
            raise GatewayThrottled(message, status=429, retry_after=max(paused or 0.0, told or 0.0))
        if response.status_code >= 400:
            raise http_error(where, response, gateway.scrub)
        return response

    def _send(self, url, type, params):  # noqa: A002 - library's name
        if type not in _SENT_WITHOUT_SESSION:
            return BaseAPI._BaseAPI__perform_request(self, url, type, params)
        # The library sends POST and PATCH through module-level requests
        # functions: a new connection, a TLS handshake against the real API,
        # for every droplet and record created. The same request as the
        # library builds, on the session its other methods reuse.
        headers = {
            "Content-type": "application/json",
            "Authorization": f"Bearer {self.token}",
            "User-Agent": _AGENT,
        }
        return self._session.request(
            type,
            urljoin(self.end_point, url),
            headers=headers,
            data=json.dumps(params or {}),
            timeout=self.get_timeout(),
        )


class PinnedDroplet(_Pinned, digitalocean.Droplet):
    pass


class PinnedManager(_Pinned, digitalocean.Manager):
    pass


class PinnedDomain(_Pinned, digitalocean.Domain):
    pass


class PinnedRecord(_Pinned, digitalocean.Record):
    pass


class _Counted:
    """Counts the requests a listing sends (every page passes through the
    choke point below it), so a pass can say what it cost."""

    requests = 0

    def _BaseAPI__perform_request(self, url, type="GET", params=None):  # noqa: A002 - library's name
        self.requests += 1
        return super()._BaseAPI__perform_request(url, type, params)


class CountedManager(_Counted, PinnedManager):
    pass


class CountedDomain(_Counted, PinnedDomain):
    pass
