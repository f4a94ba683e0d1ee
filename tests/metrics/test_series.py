"""/metrics against the ledger: sagas that succeed, roll back, fail to
compensate, retry, poll and are cancelled, then one scrape whose counts
must equal what the rows say."""

import pytest
from django.db import transaction
from django.test import override_settings

from inventory.budget import budget_status
from inventory.models import FindingKind, FindingResolution, ReconcileFinding
from provisioning.engine import Saga, SagaStatus, SagaStep, saga_request_cancel, saga_start
from tests.metrics.helpers import scrape, total, value
from tests.provisioning import helpers as h

pytestmark = [pytest.mark.django_db(transaction=True)]

PROVISION = "provision_deployment"
FAKE = "fake_five"


def _provision_one_ok_and_one_rolled_back(client, sim):
    assert client.post("/api/deployments/", h.BODY, format="json").status_code == 202
    h.fault_permanent_at(sim, "point_deployment_dns")
    assert client.post("/api/deployments/", {**h.BODY, "name": "shop"}, format="json").status_code == 202


def _fake_sagas():
    retried = saga_start(kind=FAKE, context={"flaky": {"s1": 2}, "not_ready": {"s2": 3}})
    broken = saga_start(kind=FAKE, context={"fail_at": "s3", "broken_compensation": {"s1": "permanent"}})
    with transaction.atomic():  # cancelled before its first step: one transaction with the start
        cancelled = saga_start(kind=FAKE, context={})
        saga_request_cancel(saga=cancelled)
    return retried, broken, cancelled


def test_saga_counts_are_the_ledgers(eager, sim, alice_client, client):
    _provision_one_ok_and_one_rolled_back(alice_client, sim)
    retried, broken, cancelled = _fake_sagas()
    statuses = dict(Saga.objects.values_list("id", "status"))
    assert statuses[retried.id] == SagaStatus.SUCCEEDED
    assert statuses[broken.id] == SagaStatus.COMPENSATION_FAILED
    assert statuses[cancelled.id] == SagaStatus.COMPENSATED

    samples = scrape(client)

    for kind in (PROVISION, FAKE):
        assert (
            value(samples, "arcadia_sagas_started_total", kind=kind) == Saga.objects.filter(kind=kind).count()
        )
    assert value(samples, "arcadia_sagas_started_total", kind="teardown_deployment") == 0  # zero-filled
    finished = {
        (PROVISION, "succeeded"): 1,
        (PROVISION, "compensated"): 1,
        (PROVISION, "cancelled"): 0,
        (PROVISION, "compensation_failed"): 0,
        (FAKE, "succeeded"): 1,
        (FAKE, "compensated"): 0,
        (FAKE, "cancelled"): 1,
        (FAKE, "compensation_failed"): 1,
    }
    for (kind, outcome), n in finished.items():
        assert value(samples, "arcadia_sagas_finished_total", kind=kind, outcome=outcome) == n, (
            kind,
            outcome,
        )
    assert total(samples, "arcadia_sagas_live") == 0
    assert value(samples, "arcadia_sagas_compensation_failed", kind=FAKE) == 1
    assert value(samples, "arcadia_sagas_compensation_failed", kind=PROVISION) == 0
    assert total(samples, "arcadia_sagas_stalled") == 0


def test_step_runs_and_retries_are_the_ledgers(eager, sim, alice_client, client):
    _provision_one_ok_and_one_rolled_back(alice_client, sim)
    _fake_sagas()

    samples = scrape(client)

    runs = "arcadia_step_runs_total"
    # The rollback at DNS: one forward failure there, one undo of each step before it.
    assert (
        value(samples, runs, kind=PROVISION, step="point_deployment_dns", phase="forward", outcome="failed")
        == 1
    )
    assert (
        value(samples, runs, kind=PROVISION, step="create_droplet", phase="forward", outcome="succeeded") == 2
    )
    assert (
        value(samples, runs, kind=PROVISION, step="create_droplet", phase="compensation", outcome="succeeded")
        == 1
    )
    assert (
        value(samples, runs, kind=PROVISION, step="activate_deployment", phase="forward", outcome="succeeded")
        == 1
    )
    # The fake saga whose undo of s1 failed for good.
    assert value(samples, runs, kind=FAKE, step="s3", phase="forward", outcome="failed") == 1
    assert value(samples, runs, kind=FAKE, step="s1", phase="compensation", outcome="failed") == 1
    # Forward successes, saga by saga: both successes whole (7 + 5), the DNS
    # rollback up to its fifth step, the broken fake up to its third, the cancel none.
    assert total(samples, runs, phase="forward", outcome="succeeded") == 7 + 5 + 5 + 3 + 0
    undone = SagaStep.objects.filter(status="compensated").count()
    assert total(samples, runs, phase="compensation", outcome="succeeded") == undone

    retries = "arcadia_step_retries_total"
    assert value(samples, retries, kind=FAKE, step="s1", phase="forward", reason="transient") == 2
    assert value(samples, retries, kind=FAKE, step="s2", phase="forward", reason="not_ready") == 3
    polls = sum(SagaStep.objects.values_list("polls", flat=True))
    assert total(samples, retries, reason="not_ready") == polls > 3  # wait_droplet_active polled too


def test_durations_are_histograms_of_every_finished_saga(eager, sim, alice_client, client):
    _provision_one_ok_and_one_rolled_back(alice_client, sim)
    _fake_sagas()

    samples = scrape(client)

    took = "arcadia_saga_duration_seconds"
    assert value(samples, f"{took}_count", kind=PROVISION, outcome="succeeded") == 1
    assert value(samples, f"{took}_bucket", kind=PROVISION, outcome="succeeded", le="+Inf") == 1
    saga = Saga.objects.get(kind=PROVISION, status=SagaStatus.SUCCEEDED)
    seconds = (saga.finished_at - saga.created_at).total_seconds()
    assert value(samples, f"{took}_sum", kind=PROVISION, outcome="succeeded") == pytest.approx(seconds)
    rollback = "arcadia_saga_rollback_seconds"
    for kind, outcome in ((PROVISION, "compensated"), (FAKE, "cancelled"), (FAKE, "compensation_failed")):
        assert value(samples, f"{rollback}_count", kind=kind, outcome=outcome) == 1
    assert total(samples, f"{rollback}_count", outcome="succeeded") == 0
    # Buckets are cumulative: each bound holds at least what the one below does.
    bounds = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in samples.items()
        if name == f"{took}_bucket"
        and dict(labels)["kind"] == FAKE
        and dict(labels)["outcome"] == "succeeded"
    )
    counts = [v for _, v in bounds]
    assert counts == sorted(counts) and counts[-1] == 1
    step = "arcadia_step_duration_seconds"
    assert value(samples, f"{step}_count", kind=PROVISION, step="wait_droplet_active", phase="forward") == 2


def test_live_and_stalled_sagas_are_gauges(eager, client, settings):
    from tests.support.ledger import unsent_saga

    settings.SAGA_ENGINE = {**settings.SAGA_ENGINE, "stall_timeout": 3600}
    unsent_saga(kind=FAKE)
    old = unsent_saga(kind=FAKE)
    Saga.objects.filter(pk=old.pk).update(updated_at=old.updated_at.replace(year=2000))

    samples = scrape(client)

    assert value(samples, "arcadia_sagas_live", kind=FAKE, status="pending") == 2
    assert value(samples, "arcadia_sagas_stalled", kind=FAKE) == 1


def test_reconcile_findings_and_destroyed_orphans(transactional_db, client):
    from django.utils import timezone

    at = timezone.now()
    common = {"first_seen": at, "last_seen": at, "summary": "test"}
    ReconcileFinding.objects.create(kind=FindingKind.ORPHAN, key="1", **common)
    ReconcileFinding.objects.create(
        kind=FindingKind.ORPHAN, key="2", resolved_at=at, resolution=FindingResolution.DESTROYED, **common
    )
    ReconcileFinding.objects.create(kind=FindingKind.DNS_DRIFT, key="web.acme", **common)

    samples = scrape(client)

    assert value(samples, "arcadia_reconcile_findings_open", kind="orphan") == 1
    assert value(samples, "arcadia_reconcile_findings_open", kind="dns_drift") == 1
    assert value(samples, "arcadia_reconcile_findings_open", kind="drift") == 0
    assert value(samples, "arcadia_reconcile_findings_total", kind="orphan") == 2
    assert value(samples, "arcadia_reconcile_orphans_destroyed_total") == 1


def test_build_info_names_the_version_and_the_definitions(transactional_db, client):
    samples = scrape(client)

    [(_, labels)] = [key for key in samples if key[0] == "arcadia_build_info"]
    assert dict(labels)["version"] == "0.1.0"
    assert value(samples, "arcadia_saga_definition_info", kind=PROVISION, version="1") == 1


def test_the_scrape_is_a_handful_of_queries(eager, sim, alice_client, client, django_assert_max_num_queries):
    _provision_one_ok_and_one_rolled_back(alice_client, sim)
    _fake_sagas()
    scrape(client)  # definitions and the version are read once per process

    # sagas by status, settle events, saga durations, rollbacks, step events, step rows, findings
    with django_assert_max_num_queries(7):
        scrape(client)


def test_a_budget_store_that_does_not_answer_costs_only_its_series(transactional_db, client):
    with override_settings(
        ARCADIA_RATE_LIMIT_URL="redis://127.0.0.1:9/0"
    ):  # the discard port: nothing listens
        samples = scrape(client)

    assert value(samples, "arcadia_metrics_source_up", source="budget") == 0
    assert "arcadia_sagas_started_total" in {name for name, _ in samples}
    assert not [name for name, _ in samples if name.startswith("arcadia_digitalocean_budget")]


def test_the_budget_is_read_from_its_store(eager, sim, alice_client, client, settings):
    settings.ARCADIA_DO_RATE_LIMIT_PER_HOUR = 5000
    sim.faults(record_create={"fail_next": 1, "status": 429, "retry_after": 1})  # a real 429, once
    _provision_one_ok_and_one_rolled_back(alice_client, sim)

    samples = scrape(client)

    assert value(samples, "arcadia_metrics_source_up", source="budget") == 1
    used = value(samples, "arcadia_digitalocean_budget_used", window="hour")
    limit = value(samples, "arcadia_digitalocean_budget_limit", window="hour")
    assert used == budget_status()["hour"]["used"] > 0
    assert value(samples, "arcadia_digitalocean_budget_left", window="hour") == limit - used
    for lane in ("compensation", "past_create", "create"):
        assert value(samples, "arcadia_digitalocean_permits_waiting", lane=lane) == 0
    assert value(samples, "arcadia_digitalocean_429_responses_total") == 1
