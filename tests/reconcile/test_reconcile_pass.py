"""A reconcile pass over droplets and records made, changed or destroyed
behind Arcadia's back (the simulator's control API), and the admin's
actions on what it finds."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from deployments.reconcile import reconcile_pass
from dosim.client import droplet_ipv4
from inventory.models import CloudResource, FindingKind, FindingResolution, ReconcileFinding, ResourceStatus
from provisioning.engine import SagaStatus
from tests import factories
from tests.reconcile.conftest import run_action

DAY = 86400
pytestmark = pytest.mark.django_db


def open_findings(kind=None):
    rows = ReconcileFinding.objects.filter(resolved_at__isnull=True)
    return list(rows.filter(kind=kind) if kind else rows)


def test_a_droplet_made_behind_the_back_is_reported_once_and_destroyed_by_the_admin_action(sim, operator):
    made = sim.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY)

    reconcile_pass()
    reconcile_pass()

    [finding] = ReconcileFinding.objects.all()
    assert (finding.kind, finding.key, finding.seen_count) == (FindingKind.ORPHAN, str(made["id"]), 2)
    assert finding.first_seen < finding.last_seen
    assert "no saga tag" in finding.summary

    page = run_action(operator, "destroy_orphan", finding)

    assert "Destroy orphan: 1 finding(s)." in page
    assert sim.droplets() == []
    assert [r["operation"] for r in sim.requests("droplet_delete")] == ["droplet_delete"]
    finding.refresh_from_db()
    assert finding.resolution == FindingResolution.DESTROYED
    assert [(a["action"], a["by"], a["result"]) for a in finding.actions] == [
        ("destroy_orphan", "operator", "destroyed")
    ]
    # Idempotent: a second click changes nothing but the log, and sends nothing.
    run_action(operator, "destroy_orphan", finding)
    finding.refresh_from_db()
    assert finding.resolution == FindingResolution.DESTROYED
    assert len(sim.requests("droplet_delete")) == 1
    assert finding.actions[-1]["result"] == "already resolved; nothing done"
    reconcile_pass()
    assert open_findings() == []


def test_a_young_droplet_without_a_saga_waits_out_the_grace_period(sim):
    sim.droplet_create_behind("just-made", tags=["arcadia"], age=0)

    reconcile_pass(grace=600)
    assert open_findings() == []

    reconcile_pass(grace=0)
    assert [f.kind for f in open_findings()] == [FindingKind.ORPHAN]


def test_a_finding_no_longer_true_is_resolved_by_the_next_pass(sim):
    made = sim.droplet_create_behind(tags=["arcadia"], age=DAY)
    reconcile_pass()
    sim.droplet_destroy_behind(made["id"])

    reconcile_pass()

    finding = ReconcileFinding.objects.get()
    assert finding.resolution == FindingResolution.GONE
    assert finding.actions[-1]["action"] == "auto_resolve"


def test_droplets_without_the_arcadia_tag_are_none_of_its_business(sim):
    sim.droplet_create_behind("someone-elses", tags=["team-db"], age=DAY)
    reconcile_pass()
    assert open_findings() == []


def test_an_orphan_of_an_ended_saga_is_reported_without_waiting_for_the_grace_period(sim):
    saga = factories.SagaFactory(status=SagaStatus.COMPENSATED, finished_at=timezone.now())
    sim.droplet_create_behind("leaked", tags=["arcadia", f"arcadia-saga-{saga.id}"], age=0)

    reconcile_pass(grace=600)

    [finding] = open_findings()
    assert finding.saga_id == saga.id
    assert f"saga {saga.id} ended compensated without it" in finding.summary


def test_a_droplet_whose_saga_is_live_is_not_reported(sim):
    saga = factories.SagaFactory(status=SagaStatus.RUNNING)
    sim.droplet_create_behind("booting", tags=["arcadia", f"arcadia-saga-{saga.id}"], age=DAY)
    reconcile_pass(grace=0)
    assert open_findings() == []


def test_size_region_and_address_changed_behind_the_back_are_drift_and_adopt_takes_them(sim, operator):
    made = sim.droplet_create_behind("web-acme", tags=["arcadia"], age=DAY)
    row = factories.CloudResourceFactory(
        external_id=str(made["id"]), name="web-acme", ipv4=droplet_ipv4(made), status=ResourceStatus.ACTIVE
    )
    reconcile_pass()
    assert open_findings() == []

    sim.droplet_change_behind(made["id"], size="s-2vcpu-4gb", region="fra1", ipv4="203.0.113.200")
    reconcile_pass()

    [finding] = open_findings()
    assert finding.kind == FindingKind.DRIFT and finding.resource_id == row.pk
    assert "size s-1vcpu-1gb → s-2vcpu-4gb" in finding.summary
    assert "region nyc3 → fra1" in finding.summary
    assert f"ipv4 {row.ipv4} → 203.0.113.200" in finding.summary

    run_action(operator, "adopt", finding)

    row.refresh_from_db()
    assert (row.size, row.region, row.ipv4) == ("s-2vcpu-4gb", "fra1", "203.0.113.200")
    finding.refresh_from_db()
    assert finding.resolution == FindingResolution.ADOPTED
    reconcile_pass()
    assert open_findings() == []


def test_an_active_row_whose_droplet_is_gone_is_drift_once_past_the_grace_period(sim):
    row = factories.CloudResourceFactory(external_id="999001", status=ResourceStatus.ACTIVE)

    reconcile_pass(grace=600)  # the row is younger than that: the tag index may lag
    assert open_findings() == []
    reconcile_pass(grace=0)

    [finding] = open_findings()
    assert (finding.kind, finding.key, finding.found) == (FindingKind.DRIFT, row.external_id, None)
    assert "gone" in finding.summary


def test_adopting_an_orphan_writes_its_inventory_row(sim, operator):
    made = sim.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY, size="s-2vcpu-2gb")
    reconcile_pass()
    [finding] = open_findings()

    run_action(operator, "adopt", finding)

    row = CloudResource.objects.get(external_id=str(made["id"]))
    assert (row.status, row.size, row.name) == (ResourceStatus.ACTIVE, "s-2vcpu-2gb", "by-hand")
    finding.refresh_from_db()
    assert finding.resolution == FindingResolution.ADOPTED and finding.resource_id == row.pk
    reconcile_pass()
    assert open_findings() == []


def test_mark_resolved_closes_the_finding_and_a_later_pass_reopens_a_fact_still_true(sim, operator):
    sim.droplet_create_behind(tags=["arcadia"], age=DAY)
    reconcile_pass()
    [finding] = open_findings()

    page = run_action(operator, "mark_resolved", finding)

    assert "Mark resolved: 1 finding(s)." in page
    finding.refresh_from_db()
    assert finding.resolution == FindingResolution.MARKED
    reconcile_pass()
    [again] = open_findings()
    assert again.pk != finding.pk and again.key == finding.key


def test_destroy_is_refused_for_a_drift_finding(sim, operator):
    row = factories.CloudResourceFactory(external_id="999002", status=ResourceStatus.ACTIVE)
    reconcile_pass(grace=0)
    [finding] = open_findings()

    page = run_action(operator, "destroy_orphan", finding)

    assert "refused" in page and "not an orphan" in page
    assert sim.requests("droplet_delete") == []
    assert CloudResource.objects.get(pk=row.pk).status == ResourceStatus.ACTIVE


def test_auto_destroy_spares_droplets_tagged_only_arcadia_and_sagas_missing_from_the_ledger(sim):
    by_hand = sim.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY)
    unknown = sim.droplet_create_behind("restored", tags=["arcadia", f"arcadia-saga-{uuid.uuid4()}"], age=DAY)

    report = reconcile_pass(grace=0, destroy_orphans=True)

    assert report.destroyed == []
    assert sorted(d["id"] for d in sim.droplets()) == sorted([by_hand["id"], unknown["id"]])
    assert sim.requests("droplet_delete") == []
    assert len(open_findings(FindingKind.ORPHAN)) == 2


def test_auto_destroy_waits_until_the_saga_ended_more_than_the_grace_period_ago(sim):
    saga = factories.SagaFactory(status=SagaStatus.COMPENSATED, finished_at=timezone.now())
    leaked = sim.droplet_create_behind("leaked", tags=["arcadia", f"arcadia-saga-{saga.id}"], age=DAY)

    assert reconcile_pass(grace=600, destroy_orphans=True).destroyed == []
    assert len(sim.droplets()) == 1

    report = reconcile_pass(grace=0, destroy_orphans=True)
    assert [f.key for f in report.destroyed] == [str(leaked["id"])]
    assert report.destroyed[0].actions[-1]["by"] == "reconcile (auto)"
    assert sim.droplets() == []


def test_a_pass_costs_one_request_per_200_droplets_and_per_200_records(sim):
    sim.droplet_create_behind("fleet", tags=["arcadia"], count=401, age=DAY)
    for i in range(197):  # + the zone's 3 NS and 1 SOA records: 201 records
        sim.record_add_behind("arcadia.test", f"other-{i}", "192.0.2.1")

    report = reconcile_pass()

    listed = sim.requests()
    assert [r["operation"] for r in listed] == ["droplet_list"] * 3 + ["record_list"] * 2
    assert all(r["query"]["per_page"] == "200" for r in listed)
    assert (report.droplets, report.records, report.requests) == (401, 201, 5)
    assert len(open_findings(FindingKind.ORPHAN)) == 401


def test_an_empty_account_costs_two_requests(sim):
    report = reconcile_pass()
    assert report.requests == 2 and len(sim.requests()) == 2


def test_the_command_prints_one_line_per_finding_and_the_requests_used(sim):
    made = sim.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY)
    out = StringIO()

    call_command("reconcile", stdout=out)

    text = out.getvalue()
    assert "1 droplet(s) tagged arcadia, 4 record(s) in the zone, 2 DigitalOcean request(s)" in text
    [line] = [x for x in text.splitlines() if x.strip().startswith("#")]
    assert "orphan" in line and str(made["id"]) in line


def test_the_findings_admin_lists_filters_and_shows_a_finding(sim, operator):
    from django.urls import reverse

    made = sim.droplet_create_behind("by-hand", tags=["arcadia"], age=DAY)
    reconcile_pass()
    finding = ReconcileFinding.objects.get()

    listing = operator.get(
        reverse("admin:inventory_reconcilefinding_changelist"), {"state": "open", "kind": "orphan"}
    )
    page = operator.get(reverse("admin:inventory_reconcilefinding_change", args=[finding.pk]))

    assert listing.status_code == 200 and str(made["id"]) in listing.content.decode()
    assert page.status_code == 200 and "no saga tag" in page.content.decode()
    resolved = operator.get(reverse("admin:inventory_reconcilefinding_changelist"), {"state": "resolved"})
    assert "0 reconcile findings" in resolved.content.decode()


def test_an_operator_without_the_change_permission_has_no_actions(sim, client):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_reconcilefinding"))
    client.force_login(viewer)
    sim.droplet_create_behind(tags=["arcadia"], age=DAY)
    reconcile_pass()
    finding = ReconcileFinding.objects.get()

    client.post(
        reverse("admin:inventory_reconcilefinding_changelist"),
        {"action": "destroy_orphan", "_selected_action": [str(finding.pk)]},
    )

    assert len(sim.droplets()) == 1 and sim.requests("droplet_delete") == []
