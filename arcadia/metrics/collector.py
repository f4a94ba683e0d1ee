"""The one collector behind ``/metrics`` and the registry that holds it.

A registry of its own, not prometheus-client's global one: the global one
also carries the answering process's own CPU and memory, which would change
from scrape to scrape with whichever gunicorn worker answered.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from arcadia.metrics.build import build_families
from arcadia.metrics.definitions import known_definitions
from arcadia.metrics.provider import provider_families
from arcadia.metrics.reconcile import reconcile_families
from arcadia.metrics.sagas import saga_families
from arcadia.metrics.steps import step_families


class LedgerCollector:
    """Every series, read when Prometheus asks."""

    def describe(self):
        # Nothing up front: registering must not query the database.
        return []

    def collect(self):
        known = known_definitions()
        yield from build_families(known)
        yield from saga_families({k.kind for k in known})
        yield from step_families(known)
        yield from reconcile_families()
        families, budget_up = provider_families()
        yield from families
        up = GaugeMetricFamily(
            "arcadia_metrics_source_up", "Whether a source of series answered this scrape.", labels=["source"]
        )
        up.add_metric(["budget"], 1 if budget_up else 0)
        yield up


registry = CollectorRegistry(auto_describe=False)
registry.register(LedgerCollector())
