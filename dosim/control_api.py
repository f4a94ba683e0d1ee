"""The ``/_dosim/*`` control endpoints: state, reset, config, faults, ratelimit.

Unauthenticated and unlogged on purpose: they are the test harness's side
door, not part of the simulated API. So they answer loopback clients only,
even when the simulator listens on every interface (a container reached by
name); ``--control-from-anywhere`` opens them to all.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from dosim.control_backdoor import backdoor
from dosim.faults import FaultError
from dosim.state import State


def _faults(state: State, method: str, body: Any) -> tuple[int, Any]:
    if method == "DELETE":
        state.faults.clear()
    elif method == "POST":
        if not isinstance(body, dict):
            return 400, {"id": "bad_request", "message": "expected {operation: {parameter: value}}"}
        body = dict(body)
        replace = bool(body.pop("replace", False))
        if body.pop("clear", False):
            state.faults.clear()
        try:
            for operation, spec in body.items():
                if spec is None:
                    state.faults.clear(operation)
                else:
                    state.faults.set(operation, spec, replace=replace)
        except FaultError as exc:
            return 400, {"id": "bad_request", "message": str(exc)}
    return 200, {"faults": state.faults.snapshot()}


def _config(state: State, method: str, body: Any) -> tuple[int, Any]:
    if method == "POST":
        try:
            state.config.update(body or {})
        except (ValueError, TypeError) as exc:
            return 400, {"id": "bad_request", "message": str(exc)}
        for domain in state.config.domains:
            if domain not in state.records:
                state._seed_zone(domain)
    return 200, {"config": state.snapshot(time.time())["config"]}


def _loopback(peer: str | None) -> bool:
    try:
        return peer is None or ipaddress.ip_address(peer.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


def control(
    state: State, method: str, path: str, body: Any, *, peer: str | None = None, open_to_all: bool = False
) -> tuple[int, Any]:
    if not (open_to_all or _loopback(peer)):
        return 403, {"id": "forbidden", "message": "the control API answers loopback clients only"}
    name = path.removeprefix("/_dosim/")
    if name == "state" and method == "GET":
        return 200, state.snapshot(time.time())
    if name == "exchanges" and method == "GET":
        with state.lock:
            return 200, {"exchanges": list(state.exchanges)}
    if name == "reset" and method == "POST":
        try:
            state.reset(body or None)
        except (ValueError, TypeError) as exc:
            return 400, {"id": "bad_request", "message": str(exc)}
        return 200, {"reset": True}
    with state.lock:
        if name == "ratelimit" and method in ("GET", "DELETE"):
            # DELETE empties both windows (a benchmark phase starts fresh)
            # without forgetting droplets, records or the request log.
            if method == "DELETE":
                state.rate_limit.clear()
            return 200, {"windows": state.rate_limit.snapshot(time.time())}
        if name == "config" and method in ("GET", "POST"):
            return _config(state, method, body)
        if name == "faults" and method in ("GET", "POST", "DELETE"):
            return _faults(state, method, body)
        # Changes behind the client's back (dosim/control_backdoor.py).
        if (answer := backdoor(state, method, name, body)) is not None:
            return answer
    return 404, {"id": "not_found", "message": f"no control endpoint {method} {path}"}
