"""One OpenTelemetry trace per saga (docs/decisions/0028-trace-context-on-the-saga.md).

The span that starts a saga (a child of the POST's request span) is stored
on the saga row as a W3C ``traceparent`` (``Saga.context["_trace"]``), so
every step run, whichever worker, host or sweeper resumes it, is a child of
it: the trace context lives on the row, not on a Celery message.

Off unless configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_TRACES_EXPORTER`` set, ``OTEL_SDK_DISABLED`` not true). Set up
lazily, at the first step run or saga start of a process, so always after a
prefork or gunicorn fork; a tracer provider the host application already
set is used, never replaced. Off, every hook costs one ``is None`` check.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from provisioning.engine.errors import NotReady, Throttled
from provisioning.engine.logs import step_fields
from provisioning.engine.outcome import Next, Outcome
from provisioning.engine.settings import engine_settings

_UNSET = object()
_tracer = _UNSET
_lock = threading.Lock()
_propagator = TraceContextTextMapPropagator()
TRACE_KEY = "_trace"


def configured() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    if exporter == "none":
        return False
    return bool(exporter or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def tracer():
    """This process's tracer, or None when tracing is off."""
    found = _tracer
    if found is _UNSET:
        with _lock:
            if _tracer is _UNSET:
                _set(_build())
            found = _tracer
    return found


def _set(value) -> None:
    global _tracer
    _tracer = value


def reset() -> None:
    """Decide again at the next use (tests; a changed environment)."""
    _set(_UNSET)


def _build():
    if not configured():
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):  # nobody set one: ours
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        name = os.environ.get("OTEL_SERVICE_NAME") or "arcadia"
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        if os.environ.get("OTEL_TRACES_EXPORTER", "otlp") == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        # Batched (OTEL_BSP_* tune it): a step run never waits on a collector.
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
    return provider.get_tracer("arcadia.saga")


def flush() -> None:
    """Send what is batched (a pool process about to exit)."""
    provider = trace.get_tracer_provider()
    if _tracer not in (None, _UNSET) and hasattr(provider, "force_flush"):
        provider.force_flush(timeout_millis=2000)


def instrument_django() -> None:
    """Request spans (the POST's is the saga's parent), when configured.
    Before the WSGI handler loads its middleware: ``arcadia/wsgi.py``."""
    if configured():
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        DjangoInstrumentor().instrument()


# --- the saga ------------------------------------------------------------------


class _NoStamp:
    def context(self, context: dict) -> dict:
        return context

    def created(self, saga_id) -> None:
        pass


_NO_STAMP = _NoStamp()


class _Stamp:
    def __init__(self, span):
        self.span = span

    def context(self, context: dict) -> dict:
        carrier: dict = {}
        _propagator.inject(carrier)
        return {**context, TRACE_KEY: carrier}

    def created(self, saga_id) -> None:
        self.span.set_attribute("arcadia.saga.id", str(saga_id))


@contextmanager
def saga_starting(kind: str):
    """The saga's span, around its creation: ``stamp.context(ctx)`` adds
    the traceparent its steps will join."""
    found = tracer()
    if found is None:
        yield _NO_STAMP
        return
    with found.start_as_current_span(f"saga {kind}", attributes={"arcadia.saga.kind": kind}) as span:
        yield _Stamp(span)


def trace_id_of(context: dict) -> str:
    """The saga's trace id (32 hex digits), or '' when it was not traced."""
    parent = (context or {}).get(TRACE_KEY, {}).get("traceparent", "")
    parts = parent.split("-")
    return parts[1] if len(parts) == 4 else ""


# --- a step run ----------------------------------------------------------------


class _NoRun:
    def ended(self, outcome: Outcome) -> Outcome:
        return outcome


_NO_RUN = _NoRun()

_OUTCOMES = {
    Next.CONTINUE: "succeeded",
    Next.RETRY: "retry",
    Next.FAIL: "failed",
    Next.STOP: "stopped",
    Next.COMPENSATE: "cancelled",
}


class _Run:
    def __init__(self, span, phase: str):
        self.span, self.phase = span, phase

    def ended(self, outcome: Outcome) -> Outcome:
        name = _OUTCOMES[outcome.next]
        if name == "succeeded" and self.phase == "compensation":
            name = "compensated"
        self.span.set_attribute("arcadia.step.outcome", name)
        if outcome.next is Next.FAIL:
            self.span.set_status(trace.StatusCode.ERROR, outcome.error[:200])
        return outcome


@contextmanager
def step_running(claim, *, phase: str):
    """A step run (``phase``: forward or compensation): its log fields and,
    with tracing on, its span under the saga's, ``run.ended(outcome)``
    saying how it ended."""
    with step_fields(claim, phase, engine_settings().log_fields):
        found = tracer()
        if found is None:
            yield _NO_RUN
            return
        parent = _propagator.extract(claim.context.get(TRACE_KEY) or {})
        attributes = {
            "arcadia.saga.id": str(claim.saga_id),
            "arcadia.saga.kind": claim.kind,
            "arcadia.step.name": claim.name,
            "arcadia.step.index": claim.index,
            "arcadia.step.phase": phase,
            "arcadia.step.attempt": claim.attempt,
        }
        name = f"{phase} {claim.name}"
        with found.start_as_current_span(name, context=parent, attributes=attributes) as span:
            yield _Run(span, phase)


def step_error(exc: BaseException) -> None:
    """The step's error as an event of its span (a wait is not an error)."""
    if _tracer is None or _tracer is _UNSET:
        return
    span = trace.get_current_span()
    if isinstance(exc, Throttled):
        span.add_event("budget wait", {"retry_after": exc.retry_after or 0.0, "message": str(exc)[:500]})
    elif isinstance(exc, NotReady):
        span.add_event("not ready", {"message": str(exc)[:500]})
    else:
        span.record_exception(exc)


# The facade's names (provisioning.engine): what the project's process set-up calls.
tracing_flush = flush
tracing_instrument_django = instrument_django
