"""``/_dosim/droplets`` and ``/_dosim/records``: changes made behind the
client's back, as a teammate in the control panel would make them.

Not logged and not counted, like every control endpoint: a test that counts
the client's requests in the log sees only the client's. Callers hold the
state lock.

    POST   /_dosim/droplets              {name, region, size, image, tags, age, count}
    PATCH  /_dosim/droplets/<id>         {size, region, ipv4}
    DELETE /_dosim/droplets/<id>
    POST   /_dosim/records/<domain>      {type, name, data, ttl}
    PATCH  /_dosim/records/<domain>/<id> {data, ttl, name, type}
    DELETE /_dosim/records/<domain>/<id>
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from dosim import render
from dosim.state import State

Response = tuple[int, Any]

_DEFAULTS = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def _bad(message: str) -> Response:
    return 400, {"id": "bad_request", "message": message}


def _missing(what: str) -> Response:
    return 404, {"id": "not_found", "message": f"no {what}"}


def _droplets_create(state: State, body: dict[str, Any], now: float) -> Response:
    spec = {**_DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    if spec["region"] not in render.REGIONS or spec["size"] not in render.SIZES:
        return _bad(f"unknown region {spec['region']!r} or size {spec['size']!r}")
    try:
        # ``age`` back-dates the droplet (it is then already active): a test
        # can make one older than a client's grace period without waiting.
        age, count = float(spec.get("age", 0)), int(spec.get("count", 1))
    except (TypeError, ValueError):
        return _bad("age and count must be numbers")
    name = str(spec.get("name") or "by-hand")
    made = []
    for i in range(count):
        d = {
            "id": state._next("droplet"),
            "name": name if count == 1 else f"{name}-{i}",
            "region": spec["region"],
            "size": spec["size"],
            "image": str(spec["image"]),
            "tags": list(spec.get("tags") or []),
            "user_data": None,
            "created": now - age,
            "boot_delay": state.config.boot_delay,
            "stuck": False,
            "errored": False,
        }
        state.droplets[d["id"]] = d
        made.append(state._droplet_json(d, now))
    return 201, {"droplets": made}


def _droplet_change(state: State, d: dict[str, Any], body: dict[str, Any], now: float) -> Response:
    if body.get("region") is not None and body["region"] not in render.REGIONS:
        return _bad(f"unknown region {body['region']!r}")
    if body.get("size") is not None and body["size"] not in render.SIZES:
        return _bad(f"unknown size {body['size']!r}")
    if body.get("ipv4") is not None:
        try:
            ipaddress.IPv4Address(body["ipv4"])
        except ValueError:
            return _bad(f"not an IPv4 address: {body['ipv4']!r}")
    for key in ("size", "region", "ipv4"):
        if body.get(key) is not None:
            d[key] = body[key]
    return 200, {"droplet": state._droplet_json(d, now)}


def _droplets(state: State, method: str, rest: str, body: Any) -> Response:
    now = time.time()
    if not rest:
        if method != "POST":
            return 405, {"id": "method_not_allowed", "message": "POST /_dosim/droplets"}
        return _droplets_create(state, body or {}, now)
    try:
        d = state.droplets.get(int(rest))
    except ValueError:
        return _bad(f"not a droplet id: {rest!r}")
    if d is None:
        return _missing(f"droplet {rest}")
    if method == "DELETE":
        del state.droplets[d["id"]]
        return 204, None
    if method == "PATCH":
        return _droplet_change(state, d, body or {}, now)
    return 405, {"id": "method_not_allowed", "message": "PATCH or DELETE /_dosim/droplets/<id>"}


def _records(state: State, method: str, rest: str, body: Any) -> Response:
    domain, _, record_id = rest.partition("/")
    zone = state._zone(domain)
    if zone is None:
        return _missing(f"zone {domain!r}")
    body = body or {}
    if not record_id:
        if method != "POST":
            return 405, {"id": "method_not_allowed", "message": "POST /_dosim/records/<domain>"}
        if not body.get("name") or not body.get("data"):
            return _bad("name and data are required")
        record = state._put_record(
            zone,
            str(body.get("type", "A")).upper(),
            str(body["name"]),
            str(body["data"]),
            int(body.get("ttl", 1800)),
        )
        return 201, {"domain_record": render.record_body(record)}
    try:
        record = zone.get(int(record_id))
    except ValueError:
        return _bad(f"not a record id: {record_id!r}")
    if record is None:
        return _missing(f"record {record_id} in {domain}")
    if method == "DELETE":
        del zone[record["id"]]
        return 204, None
    if method == "PATCH":
        for key in ("type", "name", "data", "ttl"):
            if body.get(key) is not None:
                record[key] = int(body[key]) if key == "ttl" else str(body[key])
        return 200, {"domain_record": render.record_body(record)}
    return 405, {"id": "method_not_allowed", "message": "PATCH or DELETE /_dosim/records/<domain>/<id>"}


def backdoor(state: State, method: str, name: str, body: Any) -> Response | None:
    """The answer for a ``droplets…`` or ``records…`` control path, else None."""
    if body is not None and not isinstance(body, dict):
        return _bad("expected a JSON object")
    kind, _, rest = name.partition("/")
    if kind == "droplets":
        return _droplets(state, method, rest, body)
    if kind == "records":
        return _records(state, method, rest, body)
    return None
