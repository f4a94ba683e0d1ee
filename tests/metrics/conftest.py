"""Metrics tests read /metrics with the test token; sagas run eagerly (the
engine's inline runner) against the in-process simulator, or on a real
worker process for the Prometheus test."""

import pytest
from celery import current_app

from provisioning.engine import registry
from tests.metrics.helpers import TOKEN
from tests.support.fake_steps import FIVE_STEPS


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.ARCADIA_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def eager(settings, sim):
    """Sagas run inline in this thread once their transaction commits."""
    registry.register(FIVE_STEPS)
    conf = current_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = True
    settings.ARCADIA_DROPLET_POLL_INTERVAL = 0.05
    sim.configure(boot_delay=0.2)
    yield
    conf.task_always_eager = before
