"""The ``/_dosim/*`` control endpoints: state, reset, config, faults.

Unauthenticated and unlogged on purpose: they are the test harness's side
door, not part of the simulated API (the simulator listens on loopback).
"""

from __future__ import annotations

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


def control(state: State, method: str, path: str, body: Any) -> tuple[int, Any]:
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
        if name == "config" and method in ("GET", "POST"):
            return _config(state, method, body)
        if name == "faults" and method in ("GET", "POST", "DELETE"):
            return _faults(state, method, body)
        # Changes behind the client's back (dosim/control_backdoor.py).
        if (answer := backdoor(state, method, name, body)) is not None:
            return answer
    return 404, {"id": "not_found", "message": f"no control endpoint {method} {path}"}
