"""The saga definitions this process is configured with: the kinds, versions
and step names every series is zero-filled over.

A series that exists at 0 before anything happened lets ``rate()`` and
``increase()`` see the first event, and alert rules compare against it
instead of against a missing series. Definitions are named by dotted path
in ``SAGA_ENGINE["definitions"]``; one that fails to import is left out
here (the engine reports it loudly where it runs it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("arcadia.metrics")


@dataclass(frozen=True)
class Known:
    kind: str
    version: int
    steps: tuple[str, ...]


def known_definitions() -> tuple[Known, ...]:
    return _load(tuple(settings.SAGA_ENGINE.get("definitions", ())))


@lru_cache(maxsize=4)
def _load(paths: tuple[str, ...]) -> tuple[Known, ...]:
    known = []
    for path in paths:
        try:
            definition = import_string(path)
        except Exception as exc:  # a broken definition only loses its zero-fill
            log.warning("saga=- step=- metrics: definition %s did not import: %s", path, type(exc).__name__)
            continue
        known.append(Known(definition.kind, definition.version, tuple(s.name for s in definition.steps)))
    return tuple(known)
