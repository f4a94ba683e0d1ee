"""JSON bodies shaped like DigitalOcean's (see the official OpenAPI description).

Only the fields clients read vary; the rest is fixed but present, because the
description marks them required and the conformance tests validate every
answer against it.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

REGIONS = ("ams3", "blr1", "fra1", "lon1", "nyc1", "nyc3", "sfo3", "sgp1", "syd1", "tor1")
SIZES = {  # slug -> (memory MiB, vcpus, disk GiB, price_monthly)
    "s-1vcpu-512mb-10gb": (512, 1, 10, 4),
    "s-1vcpu-1gb": (1024, 1, 25, 6),
    "s-1vcpu-2gb": (2048, 1, 50, 12),
    "s-2vcpu-2gb": (2048, 2, 60, 18),
    "s-2vcpu-4gb": (4096, 2, 80, 24),
    "s-4vcpu-8gb": (8192, 4, 160, 48),
}


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def public_ipv4(n: int) -> str:
    """A distinct address per droplet (104.236.0.0/14 is one of DigitalOcean's
    ranges): distinct so a DNS record names exactly one droplet."""
    n %= 4 * 256 * 254  # the last octet skips 0 and 255
    return f"104.{236 + n // (256 * 254)}.{n // 254 % 256}.{n % 254 + 1}"


def private_ipv4(n: int) -> str:
    n %= 1 << 16
    return f"10.108.{n >> 8}.{(n & 255) or 1}"


def region_body(slug: str, sizes: list[str] | None = None) -> dict[str, Any]:
    """``sizes``: what the region sells (the catalog's answer); every size otherwise."""
    return {
        "name": slug.upper(),
        "slug": slug,
        "features": ["backups", "ipv6", "metadata", "install_agent", "storage"],
        "available": True,
        "sizes": list(SIZES) if sizes is None else sizes,
    }


def size_body(slug: str, regions: list[str] | None = None) -> dict[str, Any]:
    """``regions``: where the size is sold (the catalog's answer); every region otherwise."""
    memory, vcpus, disk, price = SIZES.get(slug, (1024, 1, 25, 6))
    return {
        "slug": slug,
        "memory": memory,
        "vcpus": vcpus,
        "disk": disk,
        "transfer": 1.0,
        "price_monthly": price,
        "price_hourly": round(price / 672, 5),
        "regions": list(REGIONS) if regions is None else regions,
        "available": True,
        "description": "Basic",
    }


_DISTRIBUTIONS = {"ubuntu": "Ubuntu", "debian": "Debian", "fedora": "Fedora", "rockylinux": "Rocky Linux"}


def image_body(slug: str, created: float, regions: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": 100000000 + zlib.crc32(slug.encode()) % 10000000,
        "name": slug,
        "distribution": _DISTRIBUTIONS.get(slug.split("-")[0], "Unknown"),
        "slug": slug,
        "public": True,
        "regions": list(REGIONS) if regions is None else regions,
        "created_at": iso(created),
        "type": "base",
        "min_disk_size": 10,
        "size_gigabytes": 2.36,
        "description": "",
        "tags": [],
        "status": "available",
        "error_message": "",
    }


def networks(droplet_id: int, active: bool, public: str | None = None) -> dict[str, Any]:
    """Public IPv4 only once active, as at DigitalOcean (a new droplet has
    only its private address); ``public`` is one changed by the control API."""
    v4 = [
        {
            "ip_address": private_ipv4(droplet_id),
            "netmask": "255.255.0.0",
            "gateway": "nil",
            "type": "private",
        }
    ]
    if active:
        ip = public or public_ipv4(droplet_id)
        gw = ip.rsplit(".", 1)[0] + ".1"
        v4.append({"ip_address": ip, "netmask": "255.255.240.0", "gateway": gw, "type": "public"})
    return {"v4": v4, "v6": []}


def droplet_body(d: dict[str, Any], status: str) -> dict[str, Any]:
    memory, vcpus, disk, _ = SIZES.get(d["size"], (1024, 1, 25, 6))
    return {
        "id": d["id"],
        "name": d["name"],
        "memory": memory,
        "vcpus": vcpus,
        "disk": disk,
        "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
        "locked": False,
        "status": status,
        "kernel": None,
        "created_at": iso(d["created"]),
        "features": ["droplet_agent", "private_networking"],
        "backup_ids": [],
        "next_backup_window": None,
        "snapshot_ids": [],
        "image": image_body(d["image"], d["created"]),
        "volume_ids": [],
        "size": size_body(d["size"]),
        "size_slug": d["size"],
        "networks": networks(d["id"], status == "active", d.get("ipv4")),
        "region": region_body(d["region"]),
        "tags": list(d["tags"]),
        "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
    }


def action_body(a: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "id": a["id"],
        "status": a["status"],
        "type": a["type"],
        "started_at": iso(a["started"]),
        "completed_at": iso(a["completed"]) if a.get("completed") else None,
        "resource_id": a["resource_id"],
        "resource_type": "droplet",
        "region": region_body(a["region"]),
        "region_slug": a["region"],
    }


def record_body(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "type": r["type"],
        "name": r["name"],
        "data": r["data"],
        "priority": r.get("priority"),
        "port": r.get("port"),
        "ttl": r["ttl"],
        "weight": r.get("weight"),
        "flags": r.get("flags"),
        "tag": r.get("tag"),
    }


def error_body(status: int, message: str) -> dict[str, str]:
    return {"id": ERROR_IDS.get(status, "error"), "message": message}


ERROR_IDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
