"""The engine's settings: one small object with defaults.

The engine reads nothing else from the project: ``settings.SAGA_ENGINE`` is
a dict whose keys are the fields below (the project builds it from its own
environment variables). Change it by assigning a new dict, which Django
announces, so the cached object is rebuilt.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields

from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class EngineSettings:
    # Saga definitions by dotted path: the one thing resolved by name.
    definitions: tuple[str, ...] = ()
    # A claimed step belongs to its runner until the lease expires; it must
    # outlive the task's hard time limit.
    lease_seconds: float = 180.0
    # Seconds without progress after which the sweeper resumes a live saga.
    stall_timeout: float = 300.0
    sweep_interval: float = 60.0
    # How long a step (and a compensation) retries an unbroken run of
    # transient errors before it fails, unless its policy says otherwise.
    transient_retry_seconds: float = 300.0
    compensation_retry_seconds: float = 1800.0
    sweep_batch: int = 200
    # Every worker process renews its heartbeat this often; a lease whose
    # holder has not beaten for runner_dead_after seconds is taken over.
    heartbeat_seconds: float = 2.0
    runner_dead_after: float = 6.0
    # A saga whose next message is this late (its due_at passed) is resumed;
    # after due_grace_after_loss while a runner has been lost lately (the
    # messages it held will not come: heartbeats.lost_lately).
    due_grace: float = 10.0
    due_grace_after_loss: float = 2.0
    # Longest countdown a retry message carries; a longer wait is left to
    # the ledger (due_at), so no broker holds a delivery for long.
    max_countdown: float = 60.0
    # (Celery task name, seconds): run from every worker, one at a time.
    periodic: tuple[tuple[str, float], ...] = ()
    # Messages stay in this process (the memory:// broker); with autostart the
    # first message sent starts an in-process worker.
    embedded: bool = False
    embedded_autostart: bool = False
    # Where the admin links a step's Celery task (empty: no link).
    flower_url: str = ""
    # What the clients provide, by dotted path (see ``hooks``).
    celery_app: str = ""
    subject_scope: str = ""
    operations_panels: tuple[tuple[str, str], ...] = ()
    before_send: tuple[str, ...] = ("provisioning.engine.embedded.autostart",)
    saga_finished: tuple[str, ...] = ()
    # Structured log fields read from the saga context: {"tenant": key,
    # "subject": key} (provisioning/engine/logs.py). The engine knows no tenant.
    log_fields: dict = field(default_factory=dict)
    # Where the admin links a saga's trace, "{trace_id}" filled in (empty: no link).
    trace_url_template: str = ""


_FIELDS = {f.name for f in fields(EngineSettings)}


@functools.cache
def engine_settings() -> EngineSettings:
    from django.conf import settings

    raw = dict(getattr(settings, "SAGA_ENGINE", {}))
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"SAGA_ENGINE has unknown keys {sorted(unknown)}; known: {sorted(_FIELDS)}")
    for key in ("definitions", "before_send", "saga_finished"):
        if key in raw:
            raw[key] = tuple(raw[key])
    if "periodic" in raw:
        raw["periodic"] = tuple((name, float(seconds)) for name, seconds in raw["periodic"])
    if "operations_panels" in raw:
        raw["operations_panels"] = tuple((title, path) for title, path in raw["operations_panels"])
    return EngineSettings(**raw)


@receiver(setting_changed)
def _forget(setting, **_kwargs):
    if setting == "SAGA_ENGINE":
        engine_settings.cache_clear()
