"""Reconciliation against sagas run by a real prefork Celery worker process
(real Redis and PostgreSQL) and ``python -m dosim`` on a port: what the
provider holds behind Arcadia's back becomes findings, and what a saga is
still doing never does."""

import time

import pytest

from deployments.models import Deployment, DeploymentStatus
from deployments.reconcile import reconcile_pass
from inventory.models import CloudResource, FindingKind, FindingResolution, ReconcileFinding
from provisioning.engine import SagaStatus
from tests import factories
from tests.provisioning import helpers as h
from tests.support.clients import token_client

pytestmark = pytest.mark.integration

FAST = {"ARCADIA_DROPLET_POLL_INTERVAL": "0.1", "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "30"}
DAY = 86400


@pytest.fixture
def client(transactional_db):
    user = factories.UserFactory(username="alice", tenant=factories.TenantFactory(slug="acme"))
    return token_client(user)


def provision(client) -> Deployment:
    response = client.post("/api/deployments/", h.BODY, format="json")
    assert response.status_code == 202
    saga = h.wait_saga(response.json()["saga"]["id"], timeout=90)
    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    return Deployment.objects.get(public_id=response.json()["id"])


def open_findings():
    return list(ReconcileFinding.objects.filter(resolved_at__isnull=True).order_by("id"))


def test_a_clean_provision_leaves_nothing_to_report(dosim_process, celery_worker_process, client):
    celery_worker_process(env=FAST)
    provision(client)

    report = reconcile_pass(grace=0)

    assert report.droplets == 1 and open_findings() == []


def test_a_droplet_whose_saga_is_still_creating_is_never_reported(
    dosim_process, celery_worker_process, client
):
    h.droplets_stay_new(dosim_process)
    celery_worker_process(env={**FAST, "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "120"})
    response = client.post("/api/deployments/", h.BODY, format="json")
    saga_id = response.json()["saga"]["id"]
    h.wait_step(saga_id, "wait_droplet_active", "running", timeout=60)
    h.wait_until(lambda: h.droplets(dosim_process), what="the saga's droplet")

    reconcile_pass(grace=0)
    reconcile_pass(grace=0)

    assert open_findings() == []
    assert Deployment.objects.get().status == DeploymentStatus.PROVISIONING


def test_a_droplet_destroyed_behind_the_back_of_an_active_deployment_is_drift(
    dosim_process, celery_worker_process, client
):
    celery_worker_process(env=FAST)
    deployment = provision(client)
    row = CloudResource.objects.get(deployment=deployment)

    dosim_process.droplet_destroy_behind(int(row.external_id))
    reconcile_pass(grace=0)
    reconcile_pass(grace=0)

    [finding] = open_findings()
    assert (finding.kind, finding.key, finding.seen_count) == (FindingKind.DRIFT, row.external_id, 2)
    assert finding.resource_id == row.pk and finding.deployment_id == deployment.pk
    assert finding.found is None and "gone" in finding.summary


def test_dns_pointed_elsewhere_is_a_dns_finding(dosim_process, celery_worker_process, client):
    celery_worker_process(env=FAST)
    deployment = provision(client)
    record = h.a_record(dosim_process, "web.acme")
    dosim_process.record_change_behind(h.DOMAIN, record["id"], data="198.51.100.66")

    reconcile_pass(grace=0)

    [finding] = open_findings()
    assert (finding.kind, finding.key) == (FindingKind.DNS_DRIFT, deployment.hostname)
    assert finding.deployment_id == deployment.pk
    assert finding.expected == {"name": "web.acme", "data": record["data"]}
    assert finding.found["records"][0]["data"] == "198.51.100.66"

    # Put back as it was: the next pass resolves it.
    dosim_process.record_change_behind(h.DOMAIN, record["id"], data=record["data"])
    reconcile_pass(grace=0)
    finding.refresh_from_db()
    assert finding.resolution == FindingResolution.GONE


def test_a_deleted_a_record_is_a_dns_finding(dosim_process, celery_worker_process, client):
    celery_worker_process(env=FAST)
    deployment = provision(client)
    dosim_process.record_delete_behind(h.DOMAIN, h.a_record(dosim_process, "web.acme")["id"])

    reconcile_pass(grace=0)

    [finding] = open_findings()
    assert finding.kind == FindingKind.DNS_DRIFT and "no A record" in finding.summary
    assert finding.deployment_id == deployment.pk


def test_auto_destroy_destroys_an_orphan_of_an_ended_saga_but_never_a_droplet_tagged_only_arcadia(
    dosim_process, celery_worker_process, client
):
    # The create's answer is lost and the tag index lags past the step's
    # settle window: the compensation finds nothing and the saga ends
    # compensated, leaving its droplet behind. A leak the saga cannot see.
    dosim_process.faults("droplet_create", lost_response=1, lost_mode="error", status=400)
    dosim_process.faults("droplet_list", tag_lag=3.0)
    by_hand = dosim_process.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY)
    celery_worker_process(env={**FAST, "ARCADIA_TAG_LISTING_SETTLE": "0.5"})
    response = client.post("/api/deployments/", h.BODY, format="json")
    saga = h.wait_saga(response.json()["saga"]["id"], timeout=90)
    assert saga.status == SagaStatus.COMPENSATED
    [leaked] = [d for d in h.droplets(dosim_process) if d["id"] != by_hand["id"]]
    assert f"arcadia-saga-{saga.id}" in leaked["tags"]
    # Past the tag lag (the pass must see the leaked droplet listed), and so
    # past the 1 s grace period since the saga ended.
    time.sleep(3.2)

    report = reconcile_pass(grace=1, destroy_orphans=True)

    assert [f.key for f in report.destroyed] == [str(leaked["id"])]
    assert [d["id"] for d in h.droplets(dosim_process)] == [by_hand["id"]]
    [kept] = open_findings()
    assert (kept.kind, kept.key) == (FindingKind.ORPHAN, str(by_hand["id"]))
    destroyed = ReconcileFinding.objects.get(key=str(leaked["id"]))
    assert destroyed.saga_id == saga.id and destroyed.resolution == FindingResolution.DESTROYED
    assert destroyed.actions[-1]["by"] == "reconcile (auto)"


def test_beat_schedules_a_pass_on_the_worker(dosim_process, celery_worker_process, transactional_db):
    made = dosim_process.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY)
    # Beat embedded in the worker, with the project's schedule: nothing here
    # sends the task, so a finding proves the schedule names it and runs it.
    celery_worker_process(env={"ARCADIA_RECONCILE_GRACE": "0", "ARCADIA_RECONCILE_INTERVAL": "2"}, beat=True)

    finding = h.wait_until(lambda: ReconcileFinding.objects.first(), what="a finding", timeout=90)
    assert (finding.kind, finding.key) == (FindingKind.ORPHAN, str(made["id"]))
    operations = [r["operation"] for r in dosim_process.requests()]
    assert operations[:2] == ["droplet_list", "record_list"]
