"""Engine log lines: every one names the saga and the step."""

from __future__ import annotations

import logging

from provisioning.engine.errors import StepError

log = logging.getLogger("provisioning.engine")


def step_log(saga_id, index: int | str, name: str) -> logging.LoggerAdapter:
    """A logger whose every line names the saga and the step."""
    return _Adapter(log, {"saga_id": str(saga_id), "step": f"{index}:{name}"})


def saga_log(saga_id) -> logging.LoggerAdapter:
    return _Adapter(log, {"saga_id": str(saga_id), "step": "-"})


class _Adapter(logging.LoggerAdapter):
    def process(self, msg, kwargs):
        kwargs.setdefault("extra", {}).update(self.extra)
        return f"saga={self.extra['saga_id']} step={self.extra['step']} {msg}", kwargs


def stored_error(exc: BaseException) -> str:
    """The error as the ledger stores it (a step's ``last_error``, an
    event's detail): its message, its type's name for an undeclared one."""
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, StepError):
        # An undeclared exception is a bug somewhere: name its type.
        text = f"{type(exc).__name__}: {text}"
    return text[:2000]
