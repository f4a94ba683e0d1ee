"""Shared status reads: while many droplets boot, one listing answers them all.

Every saga waiting for its droplet asks :func:`droplet_status_read`. At most
once per poll interval, for every process (a lock and a snapshot in the
budget's Redis, or this process's memory in the embedded mode), one caller
lists the droplets carrying Arcadia's tag (all pages) and stores each one's
status; the others read their droplet from that snapshot. A droplet missing
from a listing made after its create (the tag index lags; a droplet may
briefly 404) is read by id.

The tag also lists every droplet already active, so the listing costs
``ceil(listed / page_size)`` calls however few droplets boot. Each read
therefore compares that page count (from the last listing) with the number
of droplets waiting: when the pages cost as much as reading each waiting
droplet by id, it reads by id instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from dataclasses import dataclass

import redis

from inventory.budget.config import token_key
from inventory.gateway import DigitalOceanGateway, Droplet, GatewayNotFound

_PREFIX = "arcadia:droplet-status:"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusRead:
    droplet: Droplet | None  # None: DigitalOcean does not know it (yet)
    known: bool = True  # False: no fresh listing covers it; ask again after `again`
    source: str = "get"  # "list", "get" or "none"
    again: float = 0.5  # seconds until the next listing is expected (when not known)


class _MemoryCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        self.meta: dict | None = None
        self.droplets: dict[str, str] = {}
        self.waiting: dict[str, float] = {}
        self.lock_until = 0.0

    def note_waiting(self, droplet_id: int, now: float, horizon: float) -> int:
        with self.lock:
            self.waiting[str(droplet_id)] = now
            for key in [k for k, at in self.waiting.items() if at < now - horizon]:
                del self.waiting[key]
            return len(self.waiting)

    def done_waiting(self, droplet_id: int) -> None:
        with self.lock:
            self.waiting.pop(str(droplet_id), None)

    def read(self, droplet_id: int) -> tuple[dict | None, str | None]:
        with self.lock:
            return self.meta, self.droplets.get(str(droplet_id))

    def take_refresh(self, now: float, seconds: float) -> bool:
        with self.lock:
            if self.lock_until > now:
                return False
            self.lock_until = now + seconds
            return True

    def release_refresh(self) -> None:
        with self.lock:
            self.lock_until = 0.0

    def store(self, meta: dict, droplets: dict[str, str]) -> None:
        with self.lock:
            self.meta, self.droplets, self.lock_until = meta, droplets, 0.0


class _RedisCache:
    def __init__(self, url: str, token: str):
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        prefix = f"{_PREFIX}{token}:"
        self.keys = {name: prefix + name for name in ("meta", "droplets", "waiting", "lock")}

    def clear(self):
        self.client.delete(*self.keys.values())

    def note_waiting(self, droplet_id: int, now: float, horizon: float) -> int:
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(self.keys["waiting"], {str(droplet_id): now})
        pipe.zremrangebyscore(self.keys["waiting"], "-inf", now - horizon)
        pipe.zcard(self.keys["waiting"])
        pipe.expire(self.keys["waiting"], 3600)
        return pipe.execute()[2]

    def done_waiting(self, droplet_id: int) -> None:
        self.client.zrem(self.keys["waiting"], str(droplet_id))

    def read(self, droplet_id: int) -> tuple[dict | None, str | None]:
        pipe = self.client.pipeline(transaction=False)
        pipe.get(self.keys["meta"])
        pipe.hget(self.keys["droplets"], str(droplet_id))
        meta, row = pipe.execute()
        return (json.loads(meta) if meta else None), (row.decode() if row else None)

    def take_refresh(self, now: float, seconds: float) -> bool:
        return bool(self.client.set(self.keys["lock"], "1", nx=True, px=max(1, int(seconds * 1000))))

    def release_refresh(self) -> None:
        self.client.delete(self.keys["lock"])

    def store(self, meta: dict, droplets: dict[str, str]) -> None:
        pipe = self.client.pipeline(transaction=True)  # readers see the old or the new snapshot
        pipe.delete(self.keys["droplets"])
        if droplets:
            pipe.hset(self.keys["droplets"], mapping=droplets)
        pipe.set(self.keys["meta"], json.dumps(meta))
        pipe.expire(self.keys["droplets"], 3600)
        pipe.expire(self.keys["meta"], 3600)
        pipe.delete(self.keys["lock"])
        pipe.execute()


_caches: dict[tuple[str, str], object] = {}


def _cache(token: str | None = None):
    """Per token (by its hash) in the budget's store."""
    from django.conf import settings

    url, key = settings.ARCADIA_RATE_LIMIT_URL, token_key(token or settings.DIGITALOCEAN_TOKEN)
    if (url, key) not in _caches:
        _caches[(url, key)] = _MemoryCache() if url.startswith("memory://") else _RedisCache(url, key)
    return _caches[(url, key)]


def status_reads_reset(token: str | None = None) -> None:
    """Forget the snapshot and the waiting droplets (tests, benchmarks)."""
    _cache(token).clear()


WAITING_HORIZON = 60.0  # seconds a droplet counts as waiting after its saga last asked


def droplet_booting(gw: DigitalOceanGateway, droplet_id: int, *, interval: float) -> None:
    """Count a droplet just created as waiting, before its first read: creates
    a window paces apart would otherwise each find itself the only waiter
    at its first poll and read by id, where one listing serves them all."""
    if interval <= 0:
        return
    try:
        _cache(gw._token).note_waiting(droplet_id, time.time(), horizon=max(3 * interval, WAITING_HORIZON))
    except redis.RedisError as exc:  # only a saving lost: its first read asks by id
        log.info("droplet status snapshot unavailable, droplet %s not counted: %s", droplet_id, exc)


def droplet_status_read(
    gw: DigitalOceanGateway, droplet_id: int, *, tag: str, interval: float, since: float | None
) -> StatusRead:
    """The status of ``droplet_id`` as of at most ``interval`` seconds ago.

    ``since``: epoch seconds when the droplet was (about to be) created; a
    listing older than that cannot show it. Gateway errors propagate
    (``GatewayThrottled`` included); a 404 by id is ``StatusRead(None)``.
    """
    if interval <= 0:
        return _get(gw, droplet_id)
    try:
        return _shared_read(gw, droplet_id, tag=tag, interval=interval, since=since)
    except redis.RedisError as exc:
        # The snapshot only saves calls: without its store, read by id and
        # let the gateway's budget (in the same store) judge; it makes a
        # Redis outage a transient fault, which the step waits out, not a
        # crash that rolls the deployment back.
        log.warning("droplet status snapshot unavailable, reading droplet %s by id: %s", droplet_id, exc)
        return _get(gw, droplet_id)


def _shared_read(gw: DigitalOceanGateway, droplet_id: int, *, tag: str, interval: float, since: float | None):
    cache, now = _cache(gw._token), time.time()
    # A waiter counts for a while after it last asked: a budget running low
    # spreads the waiters' returns far apart, and one listing still serves
    # every one of them where each would otherwise read its droplet by id.
    waiting = cache.note_waiting(droplet_id, now, horizon=max(3 * interval, WAITING_HORIZON))
    meta, row = cache.read(droplet_id)
    fresh = meta is not None and now - meta["at"] < interval
    pages = meta["pages"] if meta else 1
    listing_elsewhere = False
    if not fresh and pages < waiting:
        # The lock lasts one interval, not the gateway's timeout: a lister
        # whose host died holding it stops the others' reads no longer than
        # that (a slow listing past it costs a second listing, no more).
        if cache.take_refresh(now, seconds=interval):
            try:
                meta, row = _refresh(cache, gw, tag, droplet_id)
            except Exception:
                with contextlib.suppress(redis.RedisError):
                    cache.release_refresh()  # the next caller lists instead
                raise
            fresh = True
        elif meta is None or now - meta["at"] >= 2 * interval:
            return StatusRead(None, known=False, source="none")  # another caller is listing
        else:
            listing_elsewhere = True
    # A stale listing's row stands in only while another caller lists. With
    # no listing coming (too few waiting for one to pay), it is not read: it
    # showed the fleet drill's last droplet booting up to two intervals
    # after it was active, where a read by id costs one call.
    if row is not None and (fresh or listing_elsewhere):
        return _finish(cache, droplet_id, StatusRead(_from_row(droplet_id, row), source="list"))
    listed_after_create = meta is not None and since is not None and meta["at"] > since + 1.0
    if fresh and not listed_after_create:
        # The next listing will show it: come back when this one goes stale.
        return StatusRead(
            None, known=False, source="none", again=max(0.1, meta["at"] + interval - now + 0.05)
        )
    return _finish(cache, droplet_id, _get(gw, droplet_id))


def _get(gw: DigitalOceanGateway, droplet_id: int) -> StatusRead:
    try:
        return StatusRead(gw.droplet_get(droplet_id), source="get")
    except GatewayNotFound:
        return StatusRead(None, source="get")


def _finish(cache, droplet_id: int, read: StatusRead) -> StatusRead:
    if read.droplet is not None and read.droplet.status != "new":
        cache.done_waiting(droplet_id)
    return read


def _refresh(cache, gw: DigitalOceanGateway, tag: str, droplet_id: int) -> tuple[dict, str | None]:
    listed = gw.droplets_by_tag(tag)
    rows = {str(d.id): _to_row(d) for d in listed}
    meta = {"at": time.time(), "listed": len(listed), "pages": max(1, math.ceil(len(listed) / gw.page_size))}
    cache.store(meta, rows)
    return meta, rows.get(str(droplet_id))


def _to_row(d: Droplet) -> str:
    return json.dumps([d.status, d.ipv4, d.created_at, d.name])


def _from_row(droplet_id: int, row: str) -> Droplet:
    status, ipv4, created_at, name = json.loads(row)
    return Droplet(
        id=int(droplet_id),
        name=name,
        status=status,
        ipv4=ipv4,
        region="",
        size="",
        image="",
        tags=(),
        created_at=created_at,
    )
