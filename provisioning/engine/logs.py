"""Engine log lines: every one names the saga and the step."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import trace

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


# --- the fields of a step run, for structured logs ----------------------------
# Set around every step run (either direction) by ``tracing.step_running``;
# ``StepContextFilter`` copies them onto every record logged meanwhile, by
# any logger (the gateway's included), so a JSON line says which saga, step
# and attempt it belongs to without each call site passing them.
STEP_FIELDS = ("saga_id", "step", "phase", "attempt", "subject", "tenant")
_step_fields: ContextVar[dict | None] = ContextVar("arcadia_step_fields", default=None)


@contextmanager
def step_fields(claim, phase: str, keys: dict):
    """The log fields of ``claim``'s run, for as long as it runs; ``keys``
    names the context keys of ``subject`` and ``tenant`` (engine setting
    ``log_fields``)."""
    data = claim.context
    token = _step_fields.set(
        {
            "saga_id": str(claim.saga_id),
            "step": claim.name,
            "phase": phase,
            "attempt": claim.attempt,
            "subject": _text(data.get(keys.get("subject", ""))),
            "tenant": _text(data.get(keys.get("tenant", ""))),
        }
    )
    try:
        yield
    finally:
        _step_fields.reset(token)


def _text(value) -> str:
    return "" if value is None else str(value)


class StepContextFilter(logging.Filter):
    """Adds the step run's fields, and the current span's ids when a trace
    is recording, to every record (a handler's filter: it sees every
    logger's lines). Outside a step run the fields are empty strings, so a
    JSON line always has the same keys; a field a caller passed itself (the
    engine's ``saga_id`` on lines about a whole saga) is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _step_fields.get()
        for name in STEP_FIELDS:
            if fields is not None:
                setattr(record, name, fields[name])
            elif not hasattr(record, name):
                setattr(record, name, "")
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = format(span.trace_id, "032x")
            record.span_id = format(span.span_id, "016x")
        return True
