"""Saga definitions by kind and version.

Definitions are named by dotted path in the engine settings' ``definitions``
and loaded lazily, so importing the engine never imports every step (and a
definition that fails to import only breaks its own kind, loudly).

Whoever must know every definition (the Celery adapter registers two tasks
per step) subscribes with :func:`on_register`: it is called for each
definition already known and for each one registered later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.utils.module_loading import import_string

from provisioning.engine.protocol import SagaDefinition
from provisioning.engine.settings import engine_settings

log = logging.getLogger(__name__)

_definitions: dict[tuple[str, int], SagaDefinition] = {}
_latest: dict[str, int] = {}
_loaded = False
# Configured paths that did not import, with why: retried when a kind is
# missing, and named in the error.
_failed: dict[str, str] = {}
_subscribers: list[Callable[[SagaDefinition], None]] = []
_lock = threading.RLock()


class UnknownSagaKind(LookupError):
    pass


def on_register(callback: Callable[[SagaDefinition], None]) -> None:
    """Call ``callback`` for every definition, known now or registered later."""
    with _lock:
        if callback in _subscribers:
            return
        _subscribers.append(callback)
        known = list(_definitions.values())
    for definition in known:
        callback(definition)


def register(definition: SagaDefinition) -> SagaDefinition:
    """Add a definition (idempotent for the same object)."""
    with _lock:
        key = (definition.kind, definition.version)
        known = _definitions.get(key)
        if known is not None and known is not definition and known.steps != definition.steps:
            raise ValueError(f"saga {definition.kind!r} v{definition.version} is already registered")
        _definitions[key] = definition
        _latest[definition.kind] = max(_latest.get(definition.kind, 0), definition.version)
        subscribers = list(_subscribers)
    for callback in subscribers:
        callback(definition)
    return definition


def load_configured() -> None:
    """Import every configured definition once per process."""
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True
        for path in configured_paths():
            _load(path)


def _load(path: str) -> None:
    # Any error: a broken definition module must not break unrelated code
    # (the API, the admin, other kinds); using its kind raises instead.
    try:
        register(import_string(path))
    except Exception as exc:
        _failed[path] = f"{type(exc).__name__}: {exc}"
        log.warning("saga definition %s cannot be loaded (%s); its kind is unavailable", path, _failed[path])
    else:
        _failed.pop(path, None)


def configured_paths() -> list[str]:
    return list(engine_settings().definitions)


def get_definition(kind: str, version: int | None = None) -> SagaDefinition:
    """The definition of ``kind`` at ``version`` (the latest when None)."""
    load_configured()
    definition = _lookup(kind, version)
    if definition is None and _failed:
        with _lock:  # the module may import by now (it was being written)
            for path in list(_failed):
                _load(path)
        definition = _lookup(kind, version)
    if definition is None:
        broken = "; ".join(f"{path}: {why}" for path, why in _failed.items()) or "none"
        raise UnknownSagaKind(
            f"no saga definition {kind!r} v{version or 'latest'}; configured: {configured_paths()};"
            f" failed to load: {broken}"
        )
    return definition


def _lookup(kind: str, version: int | None) -> SagaDefinition | None:
    with _lock:
        version = version if version is not None else _latest.get(kind)
        return _definitions.get((kind, version))
