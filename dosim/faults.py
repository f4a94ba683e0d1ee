"""Fault injection, per API operation.

A fault spec is a dict of the parameters below, set per operation through
``POST /_dosim/faults``, ``--fault`` on the command line or
:meth:`dosim.client.DosimClient.faults`. Callers hold the state lock, so
counters ("the next N calls") are exact under concurrency.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

DROPLET_CREATE = "droplet_create"
DROPLET_GET = "droplet_get"
DROPLET_LIST = "droplet_list"
DROPLET_DELETE = "droplet_delete"
ACTION_GET = "action_get"
ACTION_LIST = "action_list"
RECORD_LIST = "record_list"
RECORD_GET = "record_get"
RECORD_CREATE = "record_create"
RECORD_UPDATE = "record_update"
RECORD_DELETE = "record_delete"
ACCOUNT_GET = "account_get"
# The catalog: what the account may buy, and where.
CATALOG_LIST = "catalog_list"
OPERATIONS = (
    DROPLET_CREATE,
    DROPLET_GET,
    DROPLET_LIST,
    DROPLET_DELETE,
    ACTION_GET,
    ACTION_LIST,
    RECORD_LIST,
    RECORD_GET,
    RECORD_CREATE,
    RECORD_UPDATE,
    RECORD_DELETE,
    ACCOUNT_GET,
    CATALOG_LIST,
)

# name -> (type, default, meaning)
PARAMS: dict[str, tuple[type, Any, str]] = {
    "fail_next": (int, 0, "fail the next N calls with `status`, without doing the work"),
    "status": (int, 500, "HTTP status of injected failures"),
    "message": (str, "", "error message of injected failures (default: a generic one)"),
    "retry_after": (float, 1.0, "retry-after seconds sent with an injected 429 or 503"),
    "failure_rate": (float, 0.0, "probability (0..1) that a call fails with `status`"),
    "latency": (float, 0.0, "seconds to wait before answering"),
    "lost_response": (int, 0, "the next N calls do the work, then lose the answer"),
    "lost_mode": (str, "error", "how an answer is lost: 'error' (answer `status`) or 'hang'"),
    "hang": (float, 30.0, "seconds a 'hang' holds the connection before closing it unanswered"),
    "stuck_new": (bool, False, "droplet_create: droplets created now never leave `new`"),
    "errored": (bool, False, "droplet_create: droplets created now go `errored` instead of `active`"),
    "not_found_for": (float, 0.0, "droplet_get: 404 for this many seconds after create"),
    "pending_event_while_new": (bool, False, "droplet_delete: 422 'pending event' while `new`"),
    "tag_lag": (float, 0.0, "droplet_list: a droplet is listed by tag only this long after create"),
}


class FaultError(ValueError):
    """A bad fault spec (unknown operation or parameter, wrong type)."""


def _coerce(name: str, value: Any) -> Any:
    kind = PARAMS[name][0]
    if kind is bool and isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise FaultError(f"{name}: expected {kind.__name__}, got {value!r}") from exc


def validate(operation: str, spec: dict[str, Any]) -> dict[str, Any]:
    if operation not in OPERATIONS:
        raise FaultError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
    unknown = set(spec) - set(PARAMS)
    if unknown:
        raise FaultError(f"unknown fault parameter(s) {sorted(unknown)}; one of {sorted(PARAMS)}")
    out = {k: _coerce(k, v) for k, v in spec.items()}
    if out.get("lost_mode", "error") not in ("error", "hang"):
        raise FaultError("lost_mode must be 'error' or 'hang'")
    return out


def parse_cli(text: str) -> tuple[str, dict[str, Any]]:
    """``droplet_create:fail_next=2,status=503`` -> (operation, spec)."""
    operation, _, rest = text.partition(":")
    spec = {}
    for part in filter(None, rest.split(",")):
        key, sep, value = part.partition("=")
        spec[key.strip()] = value.strip() if sep else "true"
    return operation.strip(), validate(operation.strip(), spec)


@dataclass
class Injected:
    status: int
    message: str
    retry_after: float | None
    hang: float = 0.0


class Faults:
    def __init__(self, seed: int | None = None):
        self._specs: dict[str, dict[str, Any]] = {}
        self._rng = random.Random(seed)

    def set(self, operation: str, spec: dict[str, Any], *, replace: bool = False) -> None:
        spec = validate(operation, spec)
        current = {} if replace else self._specs.get(operation, {})
        self._specs[operation] = {**current, **spec}

    def clear(self, operation: str | None = None) -> None:
        if operation is None:
            self._specs.clear()
        else:
            self._specs.pop(operation, None)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {op: dict(spec) for op, spec in self._specs.items()}

    def get(self, operation: str, name: str) -> Any:
        return self._specs.get(operation, {}).get(name, PARAMS[name][1])

    def _injected(self, operation: str, what: str) -> Injected:
        status = self.get(operation, "status")
        message = self.get(operation, "message") or f"dosim: injected {what} on {operation}"
        retry_after = self.get(operation, "retry_after") if status in (429, 503) else None
        return Injected(status, message, retry_after)

    def before(self, operation: str) -> Injected | None:
        """The failure to answer instead of doing the work, if any."""
        spec = self._specs.get(operation)
        if not spec:
            return None
        if spec.get("fail_next", 0) > 0:
            spec["fail_next"] -= 1
            return self._injected(operation, "failure")
        rate = spec.get("failure_rate", 0.0)
        if rate > 0 and self._rng.random() < rate:
            return self._injected(operation, "random failure")
        return None

    def lost(self, operation: str) -> tuple[str, Injected] | None:
        """After the work: ('error', failure) or ('hang', failure), if lost."""
        spec = self._specs.get(operation)
        if not spec or spec.get("lost_response", 0) <= 0:
            return None
        spec["lost_response"] -= 1
        injected = self._injected(operation, "lost response")
        injected.hang = self.get(operation, "hang")
        return self.get(operation, "lost_mode"), injected
