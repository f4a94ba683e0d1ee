"""What the engine's clients provide, by dotted path in ``settings.SAGA_ENGINE``,
resolved here on first use (and again when the setting changes).

The one mechanism by which the project plugs into the engine, the same one
that names the saga definitions; nothing is set at ``ready()`` time:

- ``celery_app``: the project's Celery app, which every message goes
  through (another app created later in the process becomes Celery's
  "current" one, and messages must not follow it). Empty: Celery's current.
- ``subject_scope``: ``scope(user) -> Q`` on Saga, the subjects a non-staff
  user may see in the saga API. Empty: staff see all, nobody else any.
- ``operations_panels``: ``(title, status)`` pairs, ``status() -> dict``, each a
  panel of the admin's operations page (the provider budget).
- ``before_send``: callables run before a chain leaves; the default starts
  the embedded worker when the settings ask for it.
- ``saga_finished``: callables ``(saga_id, status)`` run once a saga ends
  (succeeded, compensated, compensation failed), after its last write
  committed: e.g. to give back what a budget held for it. An error in one
  is logged, never the saga's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from provisioning.engine.settings import engine_settings


@functools.cache
def celery_app():
    path = engine_settings().celery_app
    return import_string(path) if path else None


@functools.cache
def subject_scope() -> Callable | None:
    path = engine_settings().subject_scope
    return import_string(path) if path else None


@functools.cache
def operations_panels() -> tuple[tuple[str, Callable[[], dict]], ...]:
    return tuple((title, import_string(path)) for title, path in engine_settings().operations_panels)


@functools.cache
def before_send() -> tuple[Callable[[], None], ...]:
    return tuple(import_string(path) for path in engine_settings().before_send)


@functools.cache
def _saga_finished() -> tuple[Callable[[str, str], None], ...]:
    return tuple(import_string(path) for path in engine_settings().saga_finished)


def saga_finished(saga_id, status: str) -> None:
    """Tell the clients a saga ended (see the module docstring)."""
    for hook in _saga_finished():
        try:
            hook(str(saga_id), str(status))
        except Exception:
            logging.getLogger("provisioning.engine").exception(
                "saga %s: saga_finished hook %r failed", saga_id, hook
            )


@receiver(setting_changed)
def _forget(setting, **_kwargs):
    if setting == "SAGA_ENGINE":
        for hook in (celery_app, subject_scope, operations_panels, before_send, _saga_finished):
            hook.cache_clear()
