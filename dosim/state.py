"""The simulated account: droplets, actions, domain records and the request
log, behind one lock. Every API operation is a method returning
``(status, body)``; the HTTP layer (``server.py``) adds auth, rate limits and
fault injection around them.

Droplet status is computed from the clock when read (no background thread):
``new`` until ``boot_delay`` seconds after create, then ``active``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from dosim import render
from dosim.config import Config
from dosim.faults import DROPLET_CREATE, DROPLET_DELETE, DROPLET_GET, DROPLET_LIST, Faults
from dosim.ratelimit import RateLimit

Response = tuple[int, Any]


def _error(status: int, message: str) -> Response:
    return status, render.error_body(status, message)


def _not_found() -> Response:
    # DigitalOcean's words for every unknown id, droplet, action, zone or record alike.
    return _error(404, "The resource you were accessing could not be found.")


@dataclass
class State:
    config: Config = field(default_factory=Config)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        # Set on reset/stop so hanging and slow answers end at once.
        self.wake = threading.Event()
        self._clear()

    def _clear(self) -> None:
        self.droplets: dict[int, dict[str, Any]] = {}
        self.actions: dict[int, dict[str, Any]] = {}
        self.records: dict[str, dict[int, dict[str, Any]]] = {d: {} for d in self.config.domains}
        self.log: deque[dict[str, Any]] = deque(maxlen=self.config.log_size)
        self.exchanges: deque[dict[str, Any]] = deque(maxlen=self.config.log_size)
        self.rate_limit = RateLimit()
        self.counts: dict[str, int] = {}
        self.faults = Faults(self.config.seed)
        self._ids = {"droplet": 3164444, "action": 36804636, "record": 28448429}
        for domain in self.config.domains:
            self._seed_zone(domain)

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _seed_zone(self, domain: str) -> None:
        """A new zone at DigitalOcean already holds its NS and SOA records."""
        zone = self.records.setdefault(domain, {})
        for i in (1, 2, 3):
            self._put_record(zone, "NS", "@", f"ns{i}.digitalocean.com", 1800)
        self._put_record(zone, "SOA", "@", "1800", 1800)

    def _put_record(self, zone: dict, type_: str, name: str, data: str, ttl: int) -> dict:
        record = {"id": self._next("record"), "type": type_, "name": name, "data": data, "ttl": ttl}
        zone[record["id"]] = record
        return record

    def reset(self, config: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.wake.set()
            self.wake = threading.Event()
            if config:
                self.config.update(config)
            self._clear()

    # --- the catalog (GET /v2/regions, /v2/sizes, /v2/images) ---------------------
    def region_list(self, query: dict[str, str], base_url: str) -> Response:
        c = self.config
        regions = [render.region_body(r, [z for z in c.sizes if c.sells(r, z)]) for r in c.regions]
        return self._page("regions", regions, query, base_url)

    def size_list(self, query: dict[str, str], base_url: str) -> Response:
        c = self.config
        sizes = [render.size_body(z, [r for r in c.regions if c.sells(r, z)]) for z in c.sizes]
        return self._page("sizes", sizes, query, base_url)

    def image_list(self, query: dict[str, str], base_url: str) -> Response:
        """Public distribution images only: the catalog has no snapshots."""
        if query.get("type") not in (None, "distribution"):
            return self._page("images", [], query, base_url)
        images = [render.image_body(i, 1700000000.0, list(self.config.regions)) for i in self.config.images]
        return self._page("images", images, query, base_url)

    # --- droplets -----------------------------------------------------------------
    def droplet_status(self, d: dict[str, Any], now: float) -> str:
        if d["stuck"] or now < d["created"] + d["boot_delay"]:
            return "new"
        return "errored" if d["errored"] else "active"

    def _droplet_json(self, d: dict[str, Any], now: float) -> dict[str, Any]:
        return render.droplet_body(d, self.droplet_status(d, now))

    def droplet_create(self, body: dict[str, Any], now: float) -> Response:
        missing = [k for k in ("name", "region", "size", "image") if not body.get(k)]
        if missing:
            return _error(422, f"{', '.join(missing)} is required")
        if body["region"] not in self.config.regions:
            return _error(422, f"{body['region']} is not a valid region")
        if body["size"] not in self.config.sizes:
            return _error(422, f"{body['size']} is not a valid size")
        if not self.config.sells(body["region"], body["size"]):
            return _error(422, f"{body['size']} is not available in {body['region']}")
        d = {
            "id": self._next("droplet"),
            "name": str(body["name"]),
            "region": body["region"],
            "size": body["size"],
            "image": str(body["image"]),
            "tags": list(body.get("tags") or []),
            "user_data": body.get("user_data"),
            "created": now,
            "boot_delay": self.config.boot_delay,
            "stuck": self.faults.get(DROPLET_CREATE, "stuck_new"),
            "errored": self.faults.get(DROPLET_CREATE, "errored"),
        }
        self.droplets[d["id"]] = d
        action = self._action(d, "create", now)
        link = {"id": action["id"], "rel": "create", "href": f"/v2/actions/{action['id']}"}
        # The 202 always shows `new`, whatever the boot delay, as at DigitalOcean.
        return 202, {"droplet": render.droplet_body(d, "new"), "links": {"actions": [link]}}

    def _action(self, d: dict[str, Any], type_: str, now: float) -> dict[str, Any]:
        action = {"id": self._next("action"), "type": type_, "resource_id": d["id"], "region": d["region"]}
        action.update(started=now, droplet=d, status="in-progress")
        self.actions[action["id"]] = action
        return action

    def _visible(self, droplet_id: int, now: float) -> dict[str, Any] | None:
        d = self.droplets.get(droplet_id)
        if d is None:
            return None
        if now < d["created"] + self.faults.get(DROPLET_GET, "not_found_for"):
            return None
        return d

    def droplet_get(self, droplet_id: int, now: float) -> Response:
        d = self._visible(droplet_id, now)
        if d is None:
            return _not_found()
        return 200, {"droplet": self._droplet_json(d, now)}

    def droplet_delete(self, droplet_id: int, now: float) -> Response:
        d = self.droplets.get(droplet_id)
        if d is None:
            return _not_found()
        if (
            self.faults.get(DROPLET_DELETE, "pending_event_while_new")
            and self.droplet_status(d, now) == "new"
        ):
            return _error(422, "Droplet already has a pending event.")
        del self.droplets[droplet_id]
        return 204, None

    def droplet_list(self, query: dict[str, str], base_url: str, now: float) -> Response:
        tag = query.get("tag_name")
        lag = self.faults.get(DROPLET_LIST, "tag_lag") if tag else 0.0
        found = [
            d
            for d in sorted(self.droplets.values(), key=lambda d: d["id"])
            if (tag is None or tag in d["tags"]) and now >= d["created"] + lag
        ]
        return self._page("droplets", [self._droplet_json(d, now) for d in found], query, base_url)

    def _page(self, key: str, items: list[Any], query: dict[str, str], base_url: str) -> Response:
        try:
            page = max(1, int(query.get("page", 1)))
            per_page = int(query.get("per_page", self.config.default_per_page))
        except ValueError:
            return _error(400, "page and per_page must be integers")
        per_page = min(max(1, per_page), self.config.max_per_page)
        last = max(1, -(-len(items) // per_page))
        body: dict[str, Any] = {key: items[(page - 1) * per_page : page * per_page]}

        def link(n: int) -> str:
            params = {**query, "page": str(n), "per_page": str(per_page)}
            return base_url + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))

        pages: dict[str, str] = {}
        if page > 1:
            pages.update(first=link(1), prev=link(min(page - 1, last)))
        if page < last:
            pages.update(next=link(page + 1), last=link(last))
        body["links"] = {"pages": pages}
        body["meta"] = {"total": len(items)}
        return 200, body

    def _settle(self, a: dict[str, Any], now: float) -> dict[str, Any]:
        """An action completes (or errors) when its droplet leaves `new`."""
        status = self.droplet_status(a["droplet"], now)
        if a["status"] == "in-progress" and status != "new":
            a["status"] = "errored" if status == "errored" else "completed"
            a["completed"] = now
        return render.action_body(a, now)

    def action_get(self, action_id: int, droplet_id: int | None, now: float) -> Response:
        a = self.actions.get(action_id)
        if a is None or (droplet_id is not None and a["resource_id"] != droplet_id):
            return _not_found()
        return 200, {"action": self._settle(a, now)}

    def action_list(self, droplet_id: int, query: dict[str, str], base_url: str, now: float) -> Response:
        if droplet_id not in self.droplets:
            return _not_found()
        found = [self._settle(a, now) for a in self.actions.values() if a["resource_id"] == droplet_id]
        return self._page("actions", found, query, base_url)

    # --- domain records -------------------------------------------------------------
    def _zone(self, domain: str) -> dict[int, dict[str, Any]] | None:
        return self.records.get(domain.lower().rstrip("."))

    def record_list(self, domain: str, query: dict[str, str], base_url: str) -> Response:
        zone = self._zone(domain)
        if zone is None:
            return _not_found()
        name, type_ = query.get("name"), query.get("type")
        found = [
            render.record_body(r)
            for r in sorted(zone.values(), key=lambda r: r["id"])
            if (type_ is None or r["type"] == type_)
            and (name is None or _fqdn(r["name"], domain) == name.rstrip("."))
        ]
        return self._page("domain_records", found, query, base_url)

    def record_get(self, domain: str, record_id: int) -> Response:
        zone = self._zone(domain)
        if zone is None or record_id not in zone:
            return _not_found()
        return 200, {"domain_record": render.record_body(zone[record_id])}

    def record_create(self, domain: str, body: dict[str, Any]) -> Response:
        zone = self._zone(domain)
        if zone is None:
            return _not_found()
        if not body.get("type") or not body.get("name") or body.get("data") in (None, ""):
            return _error(422, "type, name and data are required")
        ttl = body.get("ttl") or 1800
        if not isinstance(ttl, int) or ttl < 30:
            return _error(422, "TTL must be an integer of at least 30")
        name = _relative(str(body["name"]), domain)
        record = self._put_record(zone, str(body["type"]).upper(), name, str(body["data"]), ttl)
        return 201, {"domain_record": render.record_body(record)}

    def record_update(self, domain: str, record_id: int, body: dict[str, Any]) -> Response:
        zone = self._zone(domain)
        if zone is None or record_id not in zone:
            return _not_found()
        record = zone[record_id]
        if (
            "ttl" in body
            and body["ttl"] is not None
            and (not isinstance(body["ttl"], int) or body["ttl"] < 30)
        ):
            return _error(422, "TTL must be an integer of at least 30")
        for key in ("type", "data", "ttl", "priority", "port", "weight", "flags", "tag"):
            if body.get(key) is not None:
                record[key] = body[key]
        if body.get("name"):
            record["name"] = _relative(str(body["name"]), domain)
        return 200, {"domain_record": render.record_body(record)}

    def record_delete(self, domain: str, record_id: int) -> Response:
        zone = self._zone(domain)
        if zone is None or record_id not in zone:
            return _not_found()
        del zone[record_id]
        return 204, None

    # --- inspection -------------------------------------------------------------------
    def snapshot(self, now: float) -> dict[str, Any]:
        with self.lock:
            droplets = [
                self._droplet_json(d, now) for d in sorted(self.droplets.values(), key=lambda d: d["id"])
            ]
            records = [
                {"domain": domain, **render.record_body(r)}
                for domain, zone in sorted(self.records.items())
                for r in sorted(zone.values(), key=lambda r: r["id"])
            ]
            # The token is the simulator's, but secrets never go into output.
            config = {k: v for k, v in asdict(self.config).items() if k != "token"}
            return {
                "droplets": droplets,
                "records": records,
                "requests": list(self.log),
                "counts": dict(self.counts),
                "faults": self.faults.snapshot(),
                "config": config,
                "windows": self.rate_limit.snapshot(now),
                "time": time.time(),
            }


def _fqdn(name: str, domain: str) -> str:
    return domain if name == "@" else f"{name}.{domain}"


def _relative(name: str, domain: str) -> str:
    """DigitalOcean stores names relative to the zone; it accepts an FQDN too."""
    name = name.rstrip(".")
    if name == domain:
        return "@"
    suffix = "." + domain
    return name[: -len(suffix)] if name.endswith(suffix) else name
