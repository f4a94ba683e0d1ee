"""The DigitalOcean gateway: the operations the sagas need, over python-digitalocean.

Every call goes through python-digitalocean objects (``Droplet``, ``Manager``,
``Domain``, ``Record``) and returns plain frozen dataclasses, never library
objects. The library has traps this module closes once, for every object the
gateway builds (see DESIGN.md, "Facts measured"):

- it sends no timeout unless an environment variable says so: each object here
  answers ``get_timeout()`` with the gateway's timeout;
- only the ``DIGITALOCEAN_END_POINT`` variable reaches objects it builds itself:
  the gateway passes ``end_point`` to each object it builds, never calls a
  network method on an object the library built (those are read and dropped),
  and refuses to send any request to a host other than ``api_url`` (a
  ``links.pages.next`` pointing elsewhere would otherwise be followed);
- it maps 404 to ``NotFoundError`` and everything else to ``DataReadError``
  without the status, and crashes on error bodies lacking ``id``: the gateway
  looks at the HTTP answer itself, before the library does.

Every request takes a permit from the token's shared budget first
(``inventory.budget``), in the lane of its caller (``for_caller``); without
one it raises ``GatewayThrottled`` before anything leaves, with the seconds
until this caller's turn. Every answer's ``ratelimit-*`` headers correct the
budget; a 429 pauses the whole token and raises ``GatewayThrottled`` too.
Every request reuses one ``requests.Session`` per process and thread (the
library's ``_session``): the library sends GET, PUT and DELETE through it,
and POST and PATCH through module-level ``requests`` functions (a new
connection each), so the gateway sends those two on the session itself.

Errors: 5xx, timeouts and connection errors raise ``GatewayTransientError``
(with ``retry_after`` from ``retry-after``); 429 and a refused permit raise
its subclass ``GatewayThrottled``; 404 raises
``GatewayNotFound`` (swallowed where "gone" means "done"); other 4xx raise
``GatewayPermanentError`` with DigitalOcean's message. No message, log line or
repr contains the token.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import digitalocean
import redis
import requests
from digitalocean.baseapi import PATCH, POST, PUT, BaseAPI

from inventory.budget import ANONYMOUS, Caller, get_budget

log = logging.getLogger(__name__)

_SENT_WITHOUT_SESSION = (POST, PATCH)
# What the library says it is, as it says it (BaseAPI.__perform_request).
_AGENT = f"python-digitalocean/{digitalocean.__version__} requests/{requests.__version__}"


@dataclass(frozen=True)
class Droplet:
    id: int
    name: str
    status: str  # "new", "active", "off", "archive" or "errored"
    ipv4: str | None  # the public address; DigitalOcean assigns it once the droplet is active
    region: str
    size: str
    image: str
    tags: tuple[str, ...]
    created_at: float | None = None  # epoch seconds, as DigitalOcean reports it


@dataclass(frozen=True)
class DnsRecord:
    id: int
    type: str
    name: str  # relative to the zone, as DigitalOcean stores it ("web-acme", or "@" for the apex)
    data: str
    ttl: int


class GatewayError(Exception):
    """Base of every gateway failure; the message never contains the token."""

    status: int | None = None


class GatewayTransientError(GatewayError):
    """Worth retrying: 429, 5xx, timeouts, connection errors (and destroy's 'pending event')."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class GatewayThrottled(GatewayTransientError):
    """No permit from the shared budget (nothing was sent), or a 429 (the
    whole token is paused). ``retry_after``: seconds until a permit is
    expected for this caller. Waiting for it is not a failure."""


class GatewayNotFound(GatewayError):
    """DigitalOcean answered 404."""

    status = 404


class GatewayPermanentError(GatewayError):
    """Any other 4xx: retrying the same request cannot succeed."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


class _Pinned:
    """Mixed into each library class the gateway uses: pins the timeout and
    the host, and maps HTTP failures before the library sees them."""

    _gateway: DigitalOceanGateway
    last_response: requests.Response | None = None

    def get_timeout(self) -> float:
        return self._gateway.timeout

    # BaseAPI's private ``__perform_request`` (name-mangled) is the one place every
    # request of the library passes through, pagination included.
    def _BaseAPI__perform_request(self, url, type="GET", params=None):  # noqa: A002 - library's name
        gateway = self._gateway
        target = urljoin(self.end_point, url)
        where = f"{type} {urlsplit(target).path}"
        if not target.startswith(gateway.api_url):
            raise GatewayPermanentError(f"refused {where}: not under the configured API URL", status=0)
        try:
            budget = get_budget(gateway._token)
            decision = gateway._permit(budget, type, urlsplit(target).path)
        except redis.RedisError as exc:
            # No budget store, no permit: wait for it as for any transient fault.
            raise GatewayTransientError(f"{where}: the DigitalOcean budget is unavailable: {exc}") from None
        if not decision.granted:
            raise GatewayThrottled(
                f"{where}: waiting for the DigitalOcean budget ({decision.ahead} ahead)",
                retry_after=decision.wait,
            )
        try:
            response = self._send(url, type, params)
        except requests.Timeout:
            raise GatewayTransientError(f"{where}: no answer within {gateway.timeout}s") from None
        except requests.RequestException as exc:
            raise GatewayTransientError(gateway.scrub(f"{where}: {exc.__class__.__name__}: {exc}")) from None
        self.last_response = response
        try:
            paused = budget.observe(response.status_code, response.headers, decision)
        except redis.RedisError:
            log.warning("could not record DigitalOcean's rate-limit headers: the budget store is unavailable")
            paused = None
        if response.status_code == 429:
            message = gateway.scrub(f"{where} answered 429: {_message(response)}")
            told = _retry_after(response) if response.headers.get("retry-after") else None
            raise GatewayThrottled(message, status=429, retry_after=max(paused or 0.0, told or 0.0))
        if response.status_code >= 400:
            raise _http_error(where, response, gateway.scrub)
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


class _Droplet(_Pinned, digitalocean.Droplet):
    pass


class _Manager(_Pinned, digitalocean.Manager):
    pass


class _Domain(_Pinned, digitalocean.Domain):
    pass


class _Record(_Pinned, digitalocean.Record):
    pass


def _http_error(where: str, response: requests.Response, scrub) -> GatewayError:
    status = response.status_code
    message = scrub(f"{where} answered {status}: {_message(response)}")
    if status == 429 or status >= 500:
        return GatewayTransientError(message, status=status, retry_after=_retry_after(response))
    if status == 404:
        return GatewayNotFound(message)
    return GatewayPermanentError(message, status=status)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason or "no message"
    if isinstance(body, dict):
        return str(body.get("message") or body.get("id") or body)[:500]
    return str(body)[:200]


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: ``retry-after``, else until ``ratelimit-reset`` (epoch seconds)."""
    headers = response.headers
    try:
        if headers.get("retry-after"):
            return max(float(headers["retry-after"]), 0.0)
        if response.status_code == 429 and headers.get("ratelimit-reset"):
            return max(float(headers["ratelimit-reset"]) - time.time(), 0.0)
    except ValueError:
        return None
    return None


def _normalise_api_url(api_url: str) -> str:
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("DIGITALOCEAN_API_URL must be an http(s) URL ending in /v2/")
    # python-digitalocean joins relative paths onto it: without the trailing slash "/v2"
    # would be dropped; a bare host gets the version path.
    base = api_url.rstrip("/")
    return (base if base.endswith("/v2") else base + "/v2") + "/"


class DigitalOceanGateway:
    """The DigitalOcean operations the sagas need; see the module docstring."""

    page_size = 200  # DigitalOcean's maximum; tests lower it to exercise pagination
    caller: Caller = ANONYMOUS  # who is asking, for the budget's lanes (see for_caller)

    def __init__(self, *, token: str | None = None, api_url: str | None = None, timeout: float | None = None):
        from django.conf import settings

        self._token = token if token is not None else settings.DIGITALOCEAN_TOKEN
        self.api_url = _normalise_api_url(api_url or settings.DIGITALOCEAN_API_URL)
        self.timeout = float(timeout if timeout is not None else settings.DIGITALOCEAN_REQUEST_TIMEOUT)
        if not self._token:
            raise ValueError("DIGITALOCEAN_TOKEN is empty")
        if self.timeout <= 0:
            raise ValueError("the request timeout must be positive")
        self._sessions = threading.local()

    def __repr__(self) -> str:
        return f"DigitalOceanGateway(api_url={self.api_url!r}, timeout={self.timeout})"

    def for_caller(self, caller: Caller, *, calls: int = 1) -> DigitalOceanGateway:
        """This gateway, asking the budget on behalf of ``caller`` (same
        sessions and settings; a shallow copy, cheap). ``calls``: how many
        requests the caller is about to make in a row; the first takes
        permits for all of them at once, the rest spend them."""
        bound = copy.copy(self)
        bound.caller, bound._batch, bound._credit = caller, max(1, calls), []
        return bound

    _batch = 1
    _credit: list = []  # permits taken ahead by this bound gateway (as granted decisions)

    def _permit(self, budget, method: str, path: str):
        if self._credit:
            return self._credit.pop()
        decision = budget.acquire(self.caller, method, path, cost=self._batch)
        if decision.granted and self._batch > 1:
            self._credit.extend([decision] * (self._batch - 1))
            self._batch = 1  # later calls (a retry's) take their own
        return decision

    def session(self) -> requests.Session:
        """One session per process and thread: its pooled connections are
        reused, and never shared across a fork or between threads."""
        held = getattr(self._sessions, "held", None)
        if held is None or held[0] != os.getpid():
            held = self._sessions.held = (os.getpid(), requests.Session())
        return held[1]

    def scrub(self, text: str) -> str:
        return text.replace(self._token, "[token]")

    def _build(self, cls, **fields):
        obj = cls(token=self._token, end_point=self.api_url, _session=self.session(), **fields)
        obj._gateway = self
        return obj

    def _run(self, method, *args, **kwargs):
        """Call a library method; turn what the library itself raises into gateway errors."""
        try:
            return method(*args, **kwargs)
        except GatewayError:
            raise
        except digitalocean.JSONReadError:
            raise GatewayTransientError("DigitalOcean answered with a body that is not JSON") from None
        except digitalocean.TokenError:
            raise GatewayPermanentError("no DigitalOcean token configured", status=401) from None

    # --- droplets ----------------------------------------------------------------------
    def droplet_create(
        self, *, name: str, region: str, size: str, image: str, tags: list[str], user_data: str | None = None
    ) -> Droplet:
        """Create one droplet (202). DigitalOcean has no idempotency key: callers
        tag the droplet so that a lost answer can be recovered with droplets_by_tag."""
        droplet = self._build(
            _Droplet,
            name=name,
            region=region,
            size_slug=size,
            image=image,
            tags=list(tags),
            user_data=user_data,
        )
        self._run(droplet.create)
        return _droplet(droplet.last_response.json()["droplet"])

    def droplet_get(self, droplet_id: int) -> Droplet:
        droplet = self._build(_Droplet, id=int(droplet_id))
        self._run(droplet.load)
        return _droplet(droplet.last_response.json()["droplet"])

    def droplets_by_tag(self, tag: str) -> list[Droplet]:
        """Every droplet carrying ``tag``, all pages. DigitalOcean's tag index
        lags a few seconds behind a create."""
        manager = self._build(_Manager)
        found = self._run(manager.get_all_droplets, params={"per_page": self.page_size}, tag_name=tag)
        return [_droplet({key: getattr(d, key) for key in _DROPLET_KEYS}) for d in found]

    def droplet_destroy(self, droplet_id: int) -> None:
        """Destroy a droplet; one already gone counts as destroyed. A droplet with a
        pending event (e.g. still being created) answers 422 until the event ends,
        so that answer is raised as transient."""
        droplet = self._build(_Droplet, id=int(droplet_id))
        try:
            self._run(droplet.destroy)
        except GatewayNotFound:
            log.info("droplet %s already gone", droplet_id)
        except GatewayPermanentError as exc:
            if exc.status == 422 and "pending" in str(exc).lower():
                raise GatewayTransientError(str(exc), status=422) from None
            raise

    # --- DNS records ---------------------------------------------------------------------
    def record_find(self, domain: str, name: str, type: str = "A") -> DnsRecord | None:  # noqa: A002
        """The record ``name`` (relative to ``domain``) of ``type``, or None."""
        relative = _relative(name, domain)
        fqdn = domain if relative == "@" else f"{relative}.{domain}"
        zone = self._build(_Domain, name=domain)
        records = self._run(zone.get_records, params={"type": type, "name": fqdn, "per_page": self.page_size})
        matches = sorted((r for r in records if r.name == relative and r.type == type), key=lambda r: r.id)
        return _record(vars(matches[0])) if matches else None

    def record_create(
        self,
        domain: str,
        *,
        type: str,  # noqa: A002 - the interface's name
        name: str,
        data: str,
        ttl: int = 300,
    ) -> DnsRecord:
        name = _relative(name, domain)
        record = self._build(_Record, domain_name=domain, type=type, name=name, data=data, ttl=ttl)
        self._run(record.create)
        return _record(record.last_response.json()["domain_record"])

    def record_update(
        self,
        domain: str,
        record_id: int,
        *,
        data: str,
        ttl: int | None = None,
        type: str = "A",  # noqa: A002
    ) -> DnsRecord:
        # The description requires ``type`` in an update body; unchanged fields are kept.
        body = {"type": type, "data": data} | ({"ttl": ttl} if ttl is not None else {})
        record = self._build(_Record, domain_name=domain, id=int(record_id))
        answer = self._run(
            record.get_data, f"domains/{domain}/records/{int(record_id)}", type=PUT, params=body
        )
        return _record(answer["domain_record"])

    def record_delete(self, domain: str, record_id: int) -> None:
        """Delete a record; one already gone counts as deleted."""
        record = self._build(_Record, domain_name=domain, id=int(record_id))
        try:
            self._run(record.destroy)
        except GatewayNotFound:
            log.info("record %s in %s already gone", record_id, domain)

    # --- preflight (manage.py check_digitalocean): reads only, creates nothing -----------
    def account_get(self) -> tuple[dict, dict[str, str]]:
        """The token's account, and the ``ratelimit-*`` headers of that answer."""
        manager = self._build(_Manager)
        body = self._run(manager.get_data, "account/")
        headers = manager.last_response.headers
        limits = {
            key.lower(): value for key, value in headers.items() if key.lower().startswith("ratelimit-")
        }
        return (body or {}).get("account", {}), limits

    # --- whole-account listings (reconciliation) -----------------------------------------
    def droplets_listed(self, tag: str) -> Listing:
        """Every droplet carrying ``tag`` with its creation time, all pages of
        ``page_size``: ceil(n / page_size) requests (one when there is none)."""
        manager = self._build(_CountedManager)
        found = self._run(manager.get_all_droplets, params={"per_page": self.page_size}, tag_name=tag)
        droplets = [_droplet({key: getattr(d, key, None) for key in _DROPLET_KEYS}) for d in found]
        return Listing(items=droplets, requests=manager.requests)

    def records_list(self, domain: str) -> Listing:
        """Every record of the zone, all pages: one listing, never a look-up per name."""
        zone = self._build(_CountedDomain, name=domain)
        records = self._run(zone.get_records, params={"per_page": self.page_size})
        return Listing(items=[_record(vars(r)) for r in records], requests=zone.requests)

    def zone_record_count(self, domain: str) -> int:
        """How many records the zone holds; GatewayNotFound when there is no such zone."""
        zone = self._build(_Domain, name=domain)
        return len(self._run(zone.get_records, params={"per_page": self.page_size}))


_DROPLET_KEYS = ("id", "name", "status", "networks", "region", "size_slug", "image", "tags", "created_at")


class _Counted:
    """Counts the requests a listing sends (every page passes through the
    choke point below it), so a pass can say what it cost."""

    requests = 0

    def _BaseAPI__perform_request(self, url, type="GET", params=None):  # noqa: A002 - library's name
        self.requests += 1
        return super()._BaseAPI__perform_request(url, type, params)


class _CountedManager(_Counted, _Manager):
    pass


class _CountedDomain(_Counted, _Domain):
    pass


@dataclass(frozen=True)
class Listing:
    items: list
    requests: int


def _droplet(data: dict) -> Droplet:
    networks = data.get("networks") or {}
    public = [n["ip_address"] for n in networks.get("v4", []) if n.get("type") == "public"]
    return Droplet(
        id=int(data["id"]),
        name=data["name"],
        status=data["status"],
        ipv4=public[0] if public else None,
        region=_slug(data.get("region")),
        size=data.get("size_slug") or "",
        image=_slug(data.get("image")),
        tags=tuple(data.get("tags") or ()),
        created_at=_epoch(data.get("created_at")),
    )


def _epoch(value) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


def _slug(value) -> str:
    """Regions and images come as objects; an image without a slug is known by id."""
    if isinstance(value, dict):
        return value.get("slug") or str(value.get("id", ""))
    return str(value or "")


def _record(data: dict) -> DnsRecord:
    return DnsRecord(
        id=int(data["id"]),
        type=data["type"],
        name=data["name"],
        data=str(data["data"]),
        ttl=int(data["ttl"] or 0),
    )


def _relative(name: str, domain: str) -> str:
    """Accept "web-acme", "web-acme.arcadia.test" or "web-acme.arcadia.test."."""
    name = name.rstrip(".")
    if name in ("", "@", domain):
        return "@"
    return name.removesuffix("." + domain)


_cached: tuple[tuple, DigitalOceanGateway] | None = None


def get_gateway() -> DigitalOceanGateway:
    """The gateway configured from settings, reused while the settings stay the same.

    Also exports ``DIGITALOCEAN_END_POINT`` (unless already set) so that any
    object python-digitalocean builds by itself defaults to the same API.
    """
    global _cached
    from django.conf import settings

    key = (settings.DIGITALOCEAN_TOKEN, settings.DIGITALOCEAN_API_URL, settings.DIGITALOCEAN_REQUEST_TIMEOUT)
    if _cached is None or _cached[0] != key:
        _cached = (key, DigitalOceanGateway())
    os.environ.setdefault("DIGITALOCEAN_END_POINT", _cached[1].api_url)
    return _cached[1]
