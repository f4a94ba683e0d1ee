"""What DigitalOcean sells: its regions, sizes and distribution images, and
which sizes each region sells (docs/decisions/0023-catalog-cached-stale-kept.md).

Read through the gateway and its budget (``GET /v2/regions``, ``/v2/sizes``,
``/v2/images?type=distribution``: three requests for a catalog under 200
items a list), kept in Django's cache (shared by every process when the
cache is Redis) and refreshed in the background by ``inventory.refresh_catalog``
(beat, ``ARCADIA_CATALOG_REFRESH_INTERVAL``). A POST reads the cache; it
asks DigitalOcean itself only when the cached catalog is older than
``ARCADIA_CATALOG_TTL`` (one process at a time), or when there is none.

The entry never expires in the cache: when DigitalOcean cannot answer, the
last catalog read keeps answering, however old; when the cache itself
cannot answer (Redis down), the last catalog this process saw does. Only
with none of those is there no answer: :class:`CatalogUnavailable` (503).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

from inventory.gateway import GatewayError, GatewayThrottled, get_gateway

log = logging.getLogger(__name__)

CACHE_KEY = "arcadia:catalog:v1"
# Held by the one process refreshing a stale catalog inline, so a stale
# catalog costs one read, not one per POST racing it.
REFRESHING_KEY = "arcadia:catalog:refreshing"
REFRESHING_SECONDS = 30
# When no catalog was ever read and DigitalOcean does not answer.
UNAVAILABLE_RETRY_AFTER = 30
# What a cache that cannot answer raises (the Redis backend).
_CACHE_DOWN = (redis.RedisError, OSError)
# The last catalog this process read or saw: the answer while the cache is down.
_seen: Catalog | None = None


class CatalogUnavailable(Exception):
    """No catalog was ever read and DigitalOcean cannot be asked now."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = max(1, round(retry_after or UNAVAILABLE_RETRY_AFTER))


@dataclass(frozen=True)
class Catalog:
    # region slug -> the sizes it sells now (available regions only)
    regions: dict[str, tuple[str, ...]]
    sizes: tuple[str, ...]  # available sizes
    # what a POST may name as its image (slug, or the id of one without a slug) -> its slug or id
    images: tuple[str, ...]
    fetched_at: float

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.fetched_at)

    def problems(self, *, region: str, size: str, image: str) -> dict[str, str]:
        """Field -> why the provider would refuse it, naming what it sells; empty when it sells all three."""
        found = {}
        if region not in self.regions:
            regions = ", ".join(sorted(self.regions))
            found["region"] = f"DigitalOcean has no region {region!r}; one of {regions}."
        elif size in self.sizes and size not in self.regions[region]:
            sold = ", ".join(self.regions[region]) or "none"
            found["size"] = f"{size!r} is not available in {region}; {region} sells {sold}."
        if size not in self.sizes:
            found["size"] = f"DigitalOcean has no size {size!r}; one of {', '.join(self.sizes)}."
        if image not in self.images:
            images = ", ".join(self.images)
            found["image"] = f"DigitalOcean has no distribution image {image!r}; one of {images}."
        return found

    def as_data(self) -> dict:
        return {
            "regions": {k: list(v) for k, v in self.regions.items()},
            "sizes": list(self.sizes),
            "images": list(self.images),
            "fetched_at": self.fetched_at,
        }

    @classmethod
    def from_data(cls, data: dict) -> Catalog:
        return cls(
            regions={k: tuple(v) for k, v in data["regions"].items()},
            sizes=tuple(data["sizes"]),
            images=tuple(data["images"]),
            fetched_at=float(data["fetched_at"]),
        )


def catalog_from_lists(*, regions: list[dict], sizes: list[dict], images: list[dict]) -> Catalog:
    """A catalog from DigitalOcean's JSON. A size is sold in a region when
    both lists say so (the region's ``sizes``, the size's ``regions``): a
    400 now is cheaper than a 422 at ``create_droplet`` after calls were spent."""
    sold_where = {s["slug"]: set(s.get("regions") or ()) for s in sizes if s.get("available", True)}
    by_region = {
        r["slug"]: tuple(z for z in (r.get("sizes") or ()) if r["slug"] in sold_where.get(z, ()))
        for r in regions
        if r.get("available", True)
    }
    names = [str(i.get("slug") or i.get("id")) for i in images if i.get("status", "available") == "available"]
    return Catalog(regions=by_region, sizes=tuple(sold_where), images=tuple(names), fetched_at=time.time())


def catalog_refresh() -> Catalog:
    """Read the catalog from DigitalOcean now and cache it; CatalogUnavailable when it cannot answer."""
    gateway = get_gateway()
    try:
        lists = {
            "regions": gateway.catalog_list("regions").items,
            "sizes": gateway.catalog_list("sizes").items,
            "images": gateway.catalog_list("images", type="distribution").items,
        }
    except GatewayError as exc:
        wait = exc.retry_after if isinstance(exc, GatewayThrottled) else None
        message = f"DigitalOcean's catalog could not be read: {exc}"
        raise CatalogUnavailable(message, retry_after=wait) from None
    catalog = _remember(catalog_from_lists(**lists))
    try:
        # No timeout: a catalog read once keeps answering through an outage.
        cache.set(CACHE_KEY, catalog.as_data(), timeout=None)
    except _CACHE_DOWN as exc:
        log.warning("catalog read but not cached (the cache is unavailable: %s)", type(exc).__name__)
    return catalog


def _remember(catalog: Catalog) -> Catalog:
    global _seen
    _seen = catalog
    return catalog


def catalog_cached() -> Catalog | None:
    """The cached catalog, however old, without asking DigitalOcean (this
    process's last one while the cache cannot answer)."""
    try:
        data = cache.get(CACHE_KEY)
    except _CACHE_DOWN as exc:
        log.warning("catalog cache unavailable (%s): this process's last catalog used", type(exc).__name__)
        return _seen
    return _remember(Catalog.from_data(data)) if data else None


def _refresh_claimed() -> bool:
    try:
        return cache.add(REFRESHING_KEY, 1, REFRESHING_SECONDS)
    except _CACHE_DOWN:
        return False


def catalog_forget() -> None:
    """Drop the cached catalog, here and in the cache (tests; an operator after a change at DigitalOcean)."""
    global _seen
    _seen = None
    cache.delete_many([CACHE_KEY, REFRESHING_KEY])


def catalog_current() -> Catalog:
    """The catalog a POST checks against: the cached one while it is younger
    than ``ARCADIA_CATALOG_TTL``; older, one process reads it again while the
    others use the old one; a failed read keeps the old one."""
    catalog = catalog_cached()
    if catalog is None:
        return catalog_refresh()
    if catalog.age < settings.ARCADIA_CATALOG_TTL or not _refresh_claimed():
        return catalog
    try:
        return catalog_refresh()
    except CatalogUnavailable as exc:
        log.warning("catalog %.0f s old kept: %s", catalog.age, exc)
        return catalog
    finally:
        with contextlib.suppress(*_CACHE_DOWN):  # it expires on its own
            cache.delete(REFRESHING_KEY)


def catalog_status() -> dict:
    """For the operations page: how old the cached catalog is and what it holds."""
    catalog = catalog_cached()
    if catalog is None:
        return {"read": "never"}
    return {
        "age_seconds": round(catalog.age),
        "ttl_seconds": settings.ARCADIA_CATALOG_TTL,
        "regions": len(catalog.regions),
        "sizes": len(catalog.sizes),
        "images": len(catalog.images),
    }
