"""What the gateway returns: plain frozen dataclasses, never python-digitalocean objects,
and the functions that read them out of DigitalOcean's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True)
class Listing:
    items: list
    requests: int


def droplet_from(data: dict) -> Droplet:
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


def record_from(data: dict) -> DnsRecord:
    return DnsRecord(
        id=int(data["id"]),
        type=data["type"],
        name=data["name"],
        data=str(data["data"]),
        ttl=int(data["ttl"] or 0),
    )
