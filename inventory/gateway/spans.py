"""A client span for every DigitalOcean request (method, route template,
status), and the budget's permit on it: granted, or the wait it asked for.

Only inside a recording span (a step run, a request): a call made outside
any trace starts none, and with tracing off the check is one context-var
read. The tracer comes from the global provider, whoever set it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from opentelemetry import trace

_tracer = trace.get_tracer("arcadia.gateway")  # a proxy until a provider is set
_IDS = re.compile(r"/\d+(?=/|$)")
_DOMAIN = re.compile(r"^(/v2/domains/)[^/]+")


def route_template(path: str) -> str:
    """``/v2/domains/arcadia.test/records/12`` -> ``/v2/domains/{domain_name}/records/{id}``:
    a bounded span name, as OpenTelemetry's HTTP conventions ask."""
    return _IDS.sub("/{id}", _DOMAIN.sub(r"\1{domain_name}", path.rstrip("/") or "/"))


class _NoCall:
    def permit(self, decision) -> None:
        pass

    def answered(self, status: int) -> None:
        pass


_NO_CALL = _NoCall()


class _Call:
    def __init__(self, span):
        self.span = span

    def permit(self, decision) -> None:
        if decision.granted:
            self.span.add_event("budget permit granted")
        else:
            attributes = {"wait_seconds": float(decision.wait or 0.0), "ahead": int(decision.ahead or 0)}
            self.span.add_event("budget permit wait", attributes)

    def answered(self, status: int) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 400:
            self.span.set_status(trace.StatusCode.ERROR, f"HTTP {status}")


@contextmanager
def provider_call(method: str, path: str, host: str):
    """The span of one request; ``call.permit(decision)`` and
    ``call.answered(status)`` fill it in."""
    if not trace.get_current_span().is_recording():
        yield _NO_CALL
        return
    template = route_template(path)
    attributes = {"http.request.method": method, "url.template": template, "server.address": host}
    with _tracer.start_as_current_span(
        f"{method} {template}", kind=trace.SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield _Call(span)
