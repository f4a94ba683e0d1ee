"""The simulated API's routes: each method and path, the fault-injection
operation it counts as (``dosim.faults``), and the :class:`dosim.state.State`
call that answers it. The HTTP front (``server.py``) finds a route with
:func:`match` and serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dosim import faults as F
from dosim.state import Response, State

Work = Callable[[State, re.Match, dict[str, str], dict[str, Any], str, float], Response]
ROUTES: list[tuple[str, re.Pattern, str, Work]] = []


def route(method: str, pattern: str, operation: str):
    def register(fn: Work) -> Work:
        ROUTES.append((method, re.compile(f"^{pattern}$"), operation, fn))
        return fn

    return register


@route("GET", r"/v2/account", F.ACCOUNT_GET)
def _account(s, m, q, b, base, now):
    account = {"droplet_limit": 25, "floating_ip_limit": 3, "email": "dosim@example.test"}
    account.update(uuid="b6fr89dbf6d9156cace5f3c78dc9851d957381ef", email_verified=True, status="active")
    return 200, {"account": {**account, "volume_limit": 100, "status_message": ""}}


@route("GET", r"/v2/regions", F.CATALOG_LIST)
def _region_list(s, m, q, b, base, now):
    return s.region_list(q, base)


@route("GET", r"/v2/sizes", F.CATALOG_LIST)
def _size_list(s, m, q, b, base, now):
    return s.size_list(q, base)


@route("GET", r"/v2/images", F.CATALOG_LIST)
def _image_list(s, m, q, b, base, now):
    return s.image_list(q, base)


@route("GET", r"/v2/droplets", F.DROPLET_LIST)
def _droplet_list(s, m, q, b, base, now):
    return s.droplet_list(q, base, now)


@route("POST", r"/v2/droplets", F.DROPLET_CREATE)
def _droplet_create(s, m, q, b, base, now):
    return s.droplet_create(b, now)


@route("GET", r"/v2/droplets/(\d+)", F.DROPLET_GET)
def _droplet_get(s, m, q, b, base, now):
    return s.droplet_get(int(m[1]), now)


@route("DELETE", r"/v2/droplets/(\d+)", F.DROPLET_DELETE)
def _droplet_delete(s, m, q, b, base, now):
    return s.droplet_delete(int(m[1]), now)


@route("GET", r"/v2/droplets/(\d+)/actions/(\d+)", F.ACTION_GET)
def _droplet_action_get(s, m, q, b, base, now):
    return s.action_get(int(m[2]), int(m[1]), now)


@route("GET", r"/v2/droplets/(\d+)/actions", F.ACTION_LIST)
def _droplet_action_list(s, m, q, b, base, now):
    return s.action_list(int(m[1]), q, base, now)


@route("GET", r"/v2/actions/(\d+)", F.ACTION_GET)
def _action_get(s, m, q, b, base, now):
    return s.action_get(int(m[1]), None, now)


DOMAIN = r"/v2/domains/([A-Za-z0-9.-]+)/records"


@route("GET", DOMAIN, F.RECORD_LIST)
def _record_list(s, m, q, b, base, now):
    return s.record_list(m[1], q, base)


@route("POST", DOMAIN, F.RECORD_CREATE)
def _record_create(s, m, q, b, base, now):
    return s.record_create(m[1], b)


@route("GET", DOMAIN + r"/(\d+)", F.RECORD_GET)
def _record_get(s, m, q, b, base, now):
    return s.record_get(m[1], int(m[2]))


@route("PUT", DOMAIN + r"/(\d+)", F.RECORD_UPDATE)
@route("PATCH", DOMAIN + r"/(\d+)", F.RECORD_UPDATE)
def _record_update(s, m, q, b, base, now):
    return s.record_update(m[1], int(m[2]), b)


@route("DELETE", DOMAIN + r"/(\d+)", F.RECORD_DELETE)
def _record_delete(s, m, q, b, base, now):
    return s.record_delete(m[1], int(m[2]))


def match(method: str, path: str) -> tuple[str, re.Match, Work] | None | bool:
    """(operation, match, work); False when the path exists for another method."""
    other_method = False
    for verb, pattern, operation, work in ROUTES:
        m = pattern.match(path)
        if m:
            if verb == method:
                return operation, m, work
            other_method = True
    return False if other_method else None
