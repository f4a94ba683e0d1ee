"""The observability phase of ``make bench``: what metrics and tracing cost.

The same saga throughput round, each time on a freshly started worker, in
three modes, interleaved over rounds so that a drifting machine spreads
over all three:

- ``off``: no scrape, tracing off (the default);
- ``metrics``: a web process answers ``/metrics`` to a scrape every
  ``SCRAPE_EVERY`` seconds while the sagas run. Arcadia's metrics are read
  from the ledger at scrape time (docs/decisions/0020), so their cost is the
  scrape's queries on the database the worker uses, not work in the worker;
- ``tracing``: the worker exports spans over OTLP/HTTP, batched (the SDK's
  defaults), to a port where nothing listens.

Prints throughput and worker CPU per saga in each mode and the cost of each
against ``off`` (1 - mode/off, as a fraction of throughput).
"""

from __future__ import annotations

import statistics
import threading
import urllib.request

from bench.harness import free_port
from bench.targets import Target

SCRAPE_EVERY = 1.0  # Prometheus's default is 15 s: fifteen times as often
TOKEN = "bench-metrics-token"


def bench_observability(stack, sim, tenant, *, run_sagas, n: int, rounds: int, concurrency: int) -> dict:
    """``run_sagas(sim, tenant, n, prefix, stack)``: one throughput round
    (``bench.run.bench_sagas``), returning ``per_s`` and ``cpu_ms_per``."""
    web = stack.start_web(workers=1, env={"ARCADIA_METRICS_TOKEN": TOKEN})
    nowhere = f"http://127.0.0.1:{free_port()}"
    modes = {
        "off": {},
        "metrics": {},
        "tracing": {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": nowhere},
    }
    runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    scrapes = 0
    for r in range(rounds):
        for mode, env in modes.items():
            stack.stop("worker")
            stack.start_worker(concurrency=concurrency, env=env)
            scraper = _Scraper(f"{web}/metrics") if mode == "metrics" else None
            try:
                runs[mode].append(run_sagas(sim, tenant, n, f"obs-{mode}{r}-", stack))
            finally:
                if scraper is not None:
                    scrapes += scraper.stop()
    stack.stop("web")
    stack.stop("worker")
    stack.start_worker(concurrency=concurrency)

    def median(mode: str, key: str) -> float:
        return round(statistics.median(run[key] for run in runs[mode]), 2)

    figures: dict = {
        mode: {"per_s": median(mode, "per_s"), "cpu_ms_per": median(mode, "cpu_ms_per")} for mode in modes
    }
    off = figures["off"]["per_s"]
    for mode in ("metrics", "tracing"):
        figures[f"{mode}_cost"] = round(1 - figures[mode]["per_s"] / off, 3) if off else None
    figures["scrapes"] = scrapes
    figures["rounds"] = rounds
    print(
        "  observability: sagas/s (worker CPU ms per saga) "
        + ", ".join(f"{m} {figures[m]['per_s']} ({figures[m]['cpu_ms_per']})" for m in modes)
        + f"; cost: metrics {figures['metrics_cost']}, tracing {figures['tracing_cost']}"
        + f" ({scrapes} scrapes, every {SCRAPE_EVERY:g}s)"
    )
    return figures


class _Scraper:
    """Scrapes ``url`` every ``SCRAPE_EVERY`` seconds in a thread, as Prometheus would."""

    def __init__(self, url: str):
        self.url, self.count, self.done = url, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {TOKEN}"})
        while not self.done.wait(SCRAPE_EVERY):
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
            self.count += 1

    def stop(self) -> int:
        self.done.set()
        self.thread.join(timeout=60)
        return self.count


TARGETS = [
    Target("metrics on: throughput cost (fraction)", ("observability", "metrics_cost"), "<=", 0.03),
    Target("tracing on: throughput cost (fraction)", ("observability", "tracing_cost"), "<=", 0.10),
    Target("worker CPU per saga, tracing on, ms", ("observability", "tracing", "cpu_ms_per")),
]
