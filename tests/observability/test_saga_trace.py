"""A rolled-back saga on a real prefork worker is one trace: the POST's
request span (this process, the SDK's in-memory exporter), the saga's span
under it, then each step and compensation run and their DigitalOcean calls
(the worker, exported over OTLP/HTTP to a receiver in this test). The
worker's JSON log lines carry the step run's fields and the trace ids. A
saga whose worker died mid-step, resumed by the sweeper on another worker,
stays in its trace: the context is on the saga's row, not in a message."""

import json
import time

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from provisioning.engine import SagaStatus, saga_start, sweep_stalled_sagas, tracing
from tests.engine.conftest import wait_for, wait_terminal
from tests.observability.otlp_receiver import otlp_receiver
from tests.provisioning import helpers as h
from tests.support import worker as worker_support

pytestmark = pytest.mark.integration

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def traced_web(monkeypatch):
    """This process as a host application that set its own provider."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    tracing.reset()
    DjangoInstrumentor().instrument()
    yield _EXPORTER
    DjangoInstrumentor().uninstrument()
    monkeypatch.delenv("OTEL_TRACES_EXPORTER")
    tracing.reset()


def test_a_rolled_back_saga_is_one_trace(
    dosim_process, celery_worker_process, alice_client, settings, traced_web
):
    settings.ARCADIA_RATE_LIMIT_URL = worker_support.redis_url_for_tests()
    with otlp_receiver() as (endpoint, worker_spans):
        worker = celery_worker_process(
            env={
                "ARCADIA_DROPLET_POLL_INTERVAL": "0.1",
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
                "LOG_FORMAT": "json",
            }
        )
        h.fault_permanent_at(dosim_process, "point_deployment_dns")
        response = alice_client.post("/api/deployments/", {**h.BODY, "name": "shop"}, format="json")
        assert response.status_code == 202, response.content
        saga = h.wait_saga(response.json()["saga"]["id"], timeout=90)
        assert saga.status == SagaStatus.COMPENSATED
        trace_id = tracing.trace_id_of(saga.context)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            s.name == "compensation mark_deployment_provisioning" for s in worker_spans
        ):
            time.sleep(0.2)

    web = traced_web.get_finished_spans()
    [request] = [s for s in web if s.kind is trace.SpanKind.SERVER]
    [saga_span] = [s for s in web if s.name == "saga provision_deployment"]
    assert saga_span.parent.span_id == request.context.span_id
    assert format(request.context.trace_id, "032x") == trace_id

    assert {s.trace_id.hex() for s in worker_spans} == {trace_id}
    runs = sorted(
        (s for s in worker_spans if s.name.split()[0] in ("forward", "compensation")),
        key=lambda s: s.start_time_unix_nano,
    )
    assert all(s.parent_span_id == saga_span.context.span_id.to_bytes(8, "big") for s in runs)
    order = []
    for s in runs:
        if not order or order[-1] != s.name:
            order.append(s.name)
    assert order[0] == "forward mark_deployment_provisioning"
    assert order[-1] == "compensation mark_deployment_provisioning"
    assert "forward point_deployment_dns" in order
    assert order.index("compensation create_droplet") > order.index("forward point_deployment_dns")
    calls = [s for s in worker_spans if s.kind == 3]  # SPAN_KIND_CLIENT
    assert any(s.name == "POST /v2/droplets" for s in calls), sorted({(s.name, s.kind) for s in worker_spans})
    assert any(s.name == "DELETE /v2/droplets/{id}" for s in calls)

    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    engine = [line for line in lines if line["name"] == "provisioning.engine" and line["phase"]]
    assert engine, worker.log()[-3000:]
    for line in engine:
        assert line["saga_id"] == str(saga.id)
        assert {"phase", "attempt", "subject", "tenant"} <= set(line)
        assert line["trace_id"] == trace_id
        assert line["tenant"] and line["subject"]
    # A line outside any step run has the same keys, empty.
    assert all({"saga_id", "step", "phase", "attempt", "subject", "tenant"} <= set(line) for line in lines)


def test_a_saga_resumed_by_the_sweeper_on_another_worker_stays_in_its_trace(
    celery_worker_process, settings, traced_web
):
    settings.ARCADIA_RATE_LIMIT_URL = worker_support.redis_url_for_tests()
    with otlp_receiver() as (endpoint, worker_spans):
        # A short lease, so that the second worker may take the dead run's
        # step over within seconds.
        env = {"ARCADIA_STEP_LEASE_SECONDS": "3", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        first = celery_worker_process(env={**env, "OTEL_BSP_SCHEDULE_DELAY": "100"})
        saga = saga_start(kind="fake_five", context={"slow_once": {"s2": 30}})
        trace_id = tracing.trace_id_of(saga.context)
        assert trace_id
        wait_for(
            lambda: saga.events.filter(event="fake.effect", detail__step="s2").exists(),
            timeout=60,
            what="s2 to have made its effect",
        )
        first.kill()  # mid-step: its message and its batched spans die with it
        celery_worker_process(env={**env, "OTEL_BSP_SCHEDULE_DELAY": "100"})
        assert sweep_stalled_sagas(older_than=0) == 1
        saga = wait_terminal(saga, timeout=60)
        wait_for(
            lambda: any(s.name == "forward s4" for s in worker_spans), timeout=20, what="the last step's span"
        )

    assert saga.status == SagaStatus.SUCCEEDED
    [saga_span] = [s for s in traced_web.get_finished_spans() if s.name == "saga fake_five"]
    # s3 and s4 ran only on the second worker, after the sweep.
    resumed = [s for s in worker_spans if s.name in ("forward s3", "forward s4")]
    assert sorted(s.name for s in resumed) == ["forward s3", "forward s4"]
    assert {s.trace_id.hex() for s in resumed} == {trace_id}
    assert {s.parent_span_id for s in resumed} == {saga_span.context.span_id.to_bytes(8, "big")}
    [takeover] = [s for s in worker_spans if s.name == "forward s2" and _attempt(s) == 2]
    assert takeover.trace_id.hex() == trace_id


def _attempt(span) -> int:
    return next(a.value.int_value for a in span.attributes if a.key == "arcadia.step.attempt")
