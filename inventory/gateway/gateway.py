"""The DigitalOcean operations the sagas need, over python-digitalocean.

Every call goes through python-digitalocean objects (``Droplet``, ``Manager``,
``Domain``, ``Record``), built by the gateway on its own transport
(``transport.py``: timeouts, host pinning, permits, error mapping) and
returns plain dataclasses (``results.py``), never library objects.

Each request takes a permit from the token's shared budget in the lane of its
caller (``for_caller``). Every request reuses one ``requests.Session`` per
process and thread. Errors: ``errors.py``. No message, log line or repr
contains the token.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import digitalocean
import requests
from digitalocean.baseapi import PUT

from inventory.budget import ANONYMOUS, Caller
from inventory.gateway.errors import (
    GatewayError,
    GatewayNotFound,
    GatewayPermanentError,
    GatewayTransientError,
)
from inventory.gateway.results import DnsRecord, Droplet, Listing, droplet_from, record_from
from inventory.gateway.transport import (
    CountedDomain,
    CountedManager,
    PinnedDomain,
    PinnedDroplet,
    PinnedManager,
    PinnedRecord,
)

log = logging.getLogger(__name__)


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
        bound.caller, bound._batch, bound._ahead = caller, max(1, calls), []
        return bound

    _batch = 1
    # Run once, after the next call's permit and before it is sent (droplet_create).
    _before_send: Callable[[], None] | None = None
    # Permits taken ahead by this bound gateway: (the grant, which of its
    # permits, when it was granted), the next one last.
    _ahead: list = []

    def _permit(self, budget, method: str, path: str) -> tuple:
        """A permit for one call: (the budget's decision, which permit of the
        grant it is, when it was granted: ``time.monotonic()``)."""
        if self._ahead:
            return self._ahead.pop()
        decision = budget.acquire(self.caller, method, path, cost=self._batch)
        granted_at = time.monotonic()
        if decision.granted and self._batch > 1:
            self._ahead = [(decision, i, granted_at) for i in range(self._batch - 1, 0, -1)]
            self._batch = 1  # later calls (a retry's) take their own
        return decision, 0, granted_at

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
        self,
        *,
        name: str,
        region: str,
        size: str,
        image: str,
        tags: list[str],
        user_data: str | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Droplet:
        """Create one droplet (202). DigitalOcean has no idempotency key: callers
        tag the droplet so that a lost answer can be recovered with droplets_by_tag.
        ``before_send`` runs once the call has its permit, just before the
        request leaves (nothing is sent if it raises): a caller notes there
        that a create may have left."""
        droplet = self._build(
            PinnedDroplet,
            name=name,
            region=region,
            size_slug=size,
            image=image,
            tags=list(tags),
            user_data=user_data,
        )
        self._before_send = before_send
        try:
            self._run(droplet.create)
        finally:
            self._before_send = None
        return droplet_from(droplet.last_response.json()["droplet"])

    def droplet_get(self, droplet_id: int) -> Droplet:
        droplet = self._build(PinnedDroplet, id=int(droplet_id))
        self._run(droplet.load)
        return droplet_from(droplet.last_response.json()["droplet"])

    def droplets_by_tag(self, tag: str) -> list[Droplet]:
        """Every droplet carrying ``tag``, all pages. DigitalOcean's tag index
        lags a few seconds behind a create."""
        manager = self._build(PinnedManager)
        found = self._run(manager.get_all_droplets, params={"per_page": self.page_size}, tag_name=tag)
        return [droplet_from({key: getattr(d, key) for key in _DROPLET_KEYS}) for d in found]

    def droplet_destroy(self, droplet_id: int) -> None:
        """Destroy a droplet; one already gone counts as destroyed. DigitalOcean
        answers 422 while an event is pending on the droplet (it is still being
        created): the only decision of "not destroyable yet", raised as transient,
        so that a droplet that cannot be destroyed yet is never abandoned."""
        droplet = self._build(PinnedDroplet, id=int(droplet_id))
        try:
            self._run(droplet.destroy)
        except GatewayNotFound:
            log.info("droplet %s already gone", droplet_id)
        except GatewayPermanentError as exc:
            if exc.status == 422:
                raise GatewayTransientError(
                    f"droplet {droplet_id} not destroyable yet: {exc}", status=422, retry_after=2
                ) from None
            raise

    # --- DNS records ---------------------------------------------------------------------
    def record_find(self, domain: str, name: str, type: str = "A") -> DnsRecord | None:  # noqa: A002
        """The record ``name`` (relative to ``domain``) of ``type``, or None."""
        relative = _relative(name, domain)
        fqdn = domain if relative == "@" else f"{relative}.{domain}"
        zone = self._build(PinnedDomain, name=domain)
        records = self._run(zone.get_records, params={"type": type, "name": fqdn, "per_page": self.page_size})
        matches = sorted((r for r in records if r.name == relative and r.type == type), key=lambda r: r.id)
        return record_from(vars(matches[0])) if matches else None

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
        record = self._build(PinnedRecord, domain_name=domain, type=type, name=name, data=data, ttl=ttl)
        self._run(record.create)
        return record_from(record.last_response.json()["domain_record"])

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
        record = self._build(PinnedRecord, domain_name=domain, id=int(record_id))
        answer = self._run(
            record.get_data, f"domains/{domain}/records/{int(record_id)}", type=PUT, params=body
        )
        return record_from(answer["domain_record"])

    def record_delete(self, domain: str, record_id: int) -> None:
        """Delete a record; one already gone counts as deleted."""
        record = self._build(PinnedRecord, domain_name=domain, id=int(record_id))
        try:
            self._run(record.destroy)
        except GatewayNotFound:
            log.info("record %s in %s already gone", record_id, domain)

    # --- preflight (manage.py check_digitalocean): reads only, creates nothing -----------
    def account_get(self) -> tuple[dict, dict[str, str]]:
        """The token's account, and the ``ratelimit-*`` headers of that answer."""
        manager = self._build(PinnedManager)
        body = self._run(manager.get_data, "account/")
        headers = manager.last_response.headers
        limits = {
            key.lower(): value for key, value in headers.items() if key.lower().startswith("ratelimit-")
        }
        return (body or {}).get("account", {}), limits

    # --- the catalog (inventory.catalog): what the account may buy, and where ------------
    def catalog_list(self, what: str, **params) -> Listing:
        """Every item of ``regions``, ``sizes`` or ``images`` (DigitalOcean's
        JSON objects, all pages): ceil(n / page_size) requests each."""
        if what not in ("regions", "sizes", "images"):
            raise ValueError(f"not a catalog list: {what!r}")
        manager = self._build(CountedManager)
        body = self._run(manager.get_data, f"{what}/", params={"per_page": self.page_size, **params})
        return Listing(items=list((body or {}).get(what) or []), requests=manager.requests)

    # --- whole-account listings (reconciliation) -----------------------------------------
    def droplets_listed(self, tag: str) -> Listing:
        """Every droplet carrying ``tag`` with its creation time, all pages of
        ``page_size``: ceil(n / page_size) requests (one when there is none)."""
        manager = self._build(CountedManager)
        found = self._run(manager.get_all_droplets, params={"per_page": self.page_size}, tag_name=tag)
        droplets = [droplet_from({key: getattr(d, key, None) for key in _DROPLET_KEYS}) for d in found]
        return Listing(items=droplets, requests=manager.requests)

    def records_list(self, domain: str, type: str | None = None) -> Listing:  # noqa: A002
        """Every record of the zone (of ``type``), all pages: one listing,
        never a look-up per name."""
        zone = self._build(CountedDomain, name=domain)
        params = {"per_page": self.page_size, **({"type": type} if type else {})}
        records = self._run(zone.get_records, params=params)
        return Listing(items=[record_from(vars(r)) for r in records], requests=zone.requests)

    def zone_record_count(self, domain: str) -> int:
        """How many records the zone holds; GatewayNotFound when there is no such zone."""
        zone = self._build(PinnedDomain, name=domain)
        return len(self._run(zone.get_records, params={"per_page": self.page_size}))


_DROPLET_KEYS = ("id", "name", "status", "networks", "region", "size_slug", "image", "tags", "created_at")


def _relative(name: str, domain: str) -> str:
    """Accept "web-acme", "web-acme.arcadia.test" or "web-acme.arcadia.test."."""
    name = name.rstrip(".")
    if name in ("", "@", domain):
        return "@"
    return name.removesuffix("." + domain)
