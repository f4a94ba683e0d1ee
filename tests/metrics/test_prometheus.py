"""A real Prometheus scrapes /metrics of a live web server while a real
prefork worker runs provisioning sagas against ``python -m dosim``: two
succeed, one rolls back at DNS. The series Prometheus stored, read back
through its HTTP API, equal the ledger's counts."""

import pytest

from provisioning.engine import Saga, SagaStatus
from tests.metrics.helpers import TOKEN
from tests.metrics.prometheus_server import prometheus_scraping
from tests.provisioning import helpers as h
from tests.support import worker as worker_support

pytestmark = pytest.mark.integration

FAST = {"ARCADIA_DROPLET_POLL_INTERVAL": "0.1", "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "30"}
PROVISION = 'kind="provision_deployment"'


def _provision(client, name: str) -> Saga:
    response = client.post("/api/deployments/", {**h.BODY, "name": name}, format="json")
    assert response.status_code == 202, response.content
    return h.wait_saga(response.json()["saga"]["id"], timeout=90)


def test_prometheus_stores_the_ledgers_counts(
    dosim_process, celery_worker_process, alice_client, live_server, settings, tmp_path
):
    settings.ARCADIA_RATE_LIMIT_URL = worker_support.redis_url_for_tests()  # the budget the worker spends
    celery_worker_process(env=FAST)
    target = live_server.url.removeprefix("http://")
    with prometheus_scraping(target=target, token=TOKEN, workdir=tmp_path) as prom:
        prom.wait_value('up{job="arcadia"}', 1)

        assert _provision(alice_client, "web").status == SagaStatus.SUCCEEDED
        h.fault_permanent_at(dosim_process, "point_deployment_dns")
        assert _provision(alice_client, "shop").status == SagaStatus.COMPENSATED
        assert _provision(alice_client, "api").status == SagaStatus.SUCCEEDED

        compensated = Saga.objects.filter(status=SagaStatus.COMPENSATED).count()
        succeeded = Saga.objects.filter(status=SagaStatus.SUCCEEDED).count()
        assert (compensated, succeeded) == (1, 2)
        finished = f"arcadia_sagas_finished_total{{{PROVISION}"
        prom.wait_value(f'{finished}, outcome="compensated"}}', compensated)
        prom.wait_value(f'{finished}, outcome="succeeded"}}', succeeded)
        prom.wait_value(f"arcadia_sagas_started_total{{{PROVISION}}}", Saga.objects.count())
        # The rollbacks at DNS are the sagas compensated in this run.
        at_dns = 'arcadia_step_runs_total{step="point_deployment_dns", phase="forward", outcome="failed"}'
        prom.wait_value(f"sum({at_dns})", compensated)
        undone = 'arcadia_step_runs_total{step="create_droplet", phase="compensation", outcome="succeeded"}'
        prom.wait_value(f"sum({undone})", compensated)
        prom.wait_value(f'arcadia_saga_duration_seconds_count{{{PROVISION}, outcome="succeeded"}}', succeeded)
        prom.wait_value(
            f'arcadia_saga_rollback_seconds_count{{{PROVISION}, outcome="compensated"}}', compensated
        )
        prom.wait_value("sum(arcadia_sagas_live)", 0)
        prom.wait_value('arcadia_metrics_source_up{source="budget"}', 1)

        # The starting alert rules load into a real Prometheus and evaluate.
        [group] = prom.api("rules")["groups"]
        assert len(group["rules"]) == 7
        assert all(rule["health"] == "ok" for rule in group["rules"]), group["rules"]
