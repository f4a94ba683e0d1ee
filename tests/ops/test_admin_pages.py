"""Operators open every admin list and detail page and see what they need."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deployments.models import Deployment, DeploymentStatus
from tests import factories

pytestmark = pytest.mark.django_db


def deployment_of(saga) -> Deployment:
    assert saga.subject_type == "deployments.deployment"
    return Deployment.objects.get(pk=saga.subject_id)


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_deployment_list_shows_status_tenant_hostname_and_current_saga(staff_client, failed_saga):
    page = _get(staff_client, reverse("admin:deployments_deployment_changelist"))
    deployment = deployment_of(failed_saga)
    assert deployment.hostname in page
    assert deployment.tenant.slug in page
    assert 'class="field-status">Provisioning<' in page
    assert 'class="field-current_saga_status">Compensation Failed<' in page


def test_deployment_list_filters_and_search(staff_client, failed_saga):
    other = factories.DeploymentFactory(name="blog", status=DeploymentStatus.ACTIVE)
    url = reverse("admin:deployments_deployment_changelist")
    by_status = _get(staff_client, url, status__exact="active")
    assert other.hostname in by_status and deployment_of(failed_saga).hostname not in by_status
    by_tenant = _get(staff_client, url, tenant__id__exact=deployment_of(failed_saga).tenant_id)
    assert deployment_of(failed_saga).hostname in by_tenant and other.hostname not in by_tenant
    by_search = _get(staff_client, url, q="blog")
    assert other.hostname in by_search and deployment_of(failed_saga).hostname not in by_search


def test_deployment_detail_links_its_sagas(staff_client, failed_saga):
    url = reverse("admin:deployments_deployment_change", args=[deployment_of(failed_saga).pk])
    page = _get(staff_client, url)
    assert reverse("admin:provisioning_saga_change", args=[failed_saga.pk]) in page
    # Read-only: no save button, no editable status field.
    assert 'name="_save"' not in page
    assert 'name="status"' not in page


def test_saga_list_shows_kind_status_progress_failure_and_age(staff_client, failed_saga):
    page = _get(staff_client, reverse("admin:provisioning_saga_changelist"))
    assert '<span class="saga-kind">provision deployment</span>' in page  # under the id
    assert 'data-outcome="compensation_failed">compensation failed<' in page  # a coloured badge
    assert 'class="field-failed_step">3/4 wait_droplet_active<' in page
    assert ">droplet errored</span>" in page  # the failed step's error
    assert 'class="field-duration">2.00 s<' not in page  # the saga's duration (open), not a step's
    assert str(failed_saga.pk)[:8] in page
    assert 'class="field-progress">0/4<' in page  # every started step was undone
    assert '<span class="saga-kind">3 min ago</span>' in page  # the age, under the duration


def test_saga_list_filters_by_status_and_kind(staff_client, failed_saga):
    other = factories.SagaFactory(kind="teardown_deployment", status="succeeded")
    url = reverse("admin:provisioning_saga_changelist")
    page = _get(staff_client, url, status__exact="succeeded")
    assert str(other.pk)[:8] in page and str(failed_saga.pk)[:8] not in page
    page = _get(staff_client, url, kind="provision_deployment")
    assert str(failed_saga.pk)[:8] in page and str(other.pk)[:8] not in page


def test_saga_detail_shows_banner_timeline_steps_and_flower_links(staff_client, failed_saga):
    page = _get(staff_client, reverse("admin:provisioning_saga_change", args=[failed_saga.pk]))
    for text in [
        'id="saga-banner"',
        "Failed at 3/4 wait_droplet_active: droplet errored — rolled back 2 steps, but could not undo "
        "2/4 create_droplet (DataReadError: 500 from destroy)",
        "<svg",  # the timeline
        "data-step='wait_droplet_active' data-forward='failed' data-compensation='compensated'",
        "DataReadError: 500 from destroy",
        "2.00 s",  # a step's duration
        failed_saga.started_for_test.strftime("%Y-%m-%d %H:%M:%S"),  # to the second and beyond
        "create_droplet_event",  # the events table
        # Both directions of a step link to their task in Flower.
        'href="http://flower.example.test:5555/task/task-create_droplet"',
        'href="http://flower.example.test:5555/task/undo-create_droplet"',
    ]:
        assert text in page, text
    badges = page.split('data-step="wait_droplet_active"')[-1].split("</tr>")[0]
    assert 'data-outcome="failed">failed</span> → <span' in badges
    assert 'data-outcome="compensated">compensated</span>' in badges
    assert 'name="_save"' not in page


def test_saga_detail_without_flower_url_shows_bare_task_ids(staff_client, failed_saga, settings):
    settings.SAGA_ENGINE = {**settings.SAGA_ENGINE, "flower_url": ""}
    page = _get(staff_client, reverse("admin:provisioning_saga_change", args=[failed_saga.pk]))
    assert 'title="task-create_droplet"' in page
    assert "/task/task-create_droplet" not in page


def test_step_and_event_lists_open(staff_client, failed_saga):
    steps = _get(staff_client, reverse("admin:provisioning_sagastep_changelist"))
    assert "wait_droplet_active" in steps
    events = _get(staff_client, reverse("admin:provisioning_sagaevent_changelist"))
    assert "register_droplet_event" in events


def test_saga_log_cannot_be_edited_or_deleted(staff_client, failed_saga):
    step = failed_saga.steps.first()
    for url in [
        reverse("admin:provisioning_saga_add"),
        reverse("admin:provisioning_saga_delete", args=[failed_saga.pk]),
        reverse("admin:provisioning_sagastep_delete", args=[step.pk]),
    ]:
        assert staff_client.get(url).status_code == 403, url
    response = staff_client.post(
        reverse("admin:provisioning_saga_change", args=[failed_saga.pk]), {"status": "succeeded"}
    )
    assert response.status_code == 403
    failed_saga.refresh_from_db()
    assert failed_saga.status == "compensation_failed"


def test_cloud_resource_list_filters_and_detail(staff_client, failed_saga):
    deployment = deployment_of(failed_saga)
    live = factories.CloudResourceFactory(
        external_id="424242",
        ipv4="203.0.113.77",
        status="active",
        tenant=deployment.tenant,
        deployment=deployment,
    )
    gone = factories.CloudResourceFactory(external_id="515151", status="destroyed")
    url = reverse("admin:inventory_cloudresource_changelist")
    page = _get(staff_client, url)
    for text in ["424242", "203.0.113.77", "DigitalOcean", deployment.hostname, deployment.tenant.slug]:
        assert text in page, text
    active_only = _get(staff_client, url, status__exact="active")
    assert "424242" in active_only and "515151" not in active_only
    by_tenant = _get(staff_client, url, tenant__id__exact=deployment.tenant_id)
    assert "424242" in by_tenant and "515151" not in by_tenant
    by_provider = _get(staff_client, url, provider__exact="digitalocean")
    assert "424242" in by_provider and "515151" in by_provider
    detail = _get(staff_client, reverse("admin:inventory_cloudresource_change", args=[live.pk]))
    assert "203.0.113.77" in detail and 'name="_save"' not in detail
    assert (
        staff_client.get(reverse("admin:inventory_cloudresource_delete", args=[gone.pk])).status_code == 403
    )


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:deployments_deployment_changelist",
        "admin:provisioning_saga_changelist",
        "admin:inventory_cloudresource_changelist",
    ],
)
def test_list_pages_cost_the_same_queries_for_3_or_13_rows(staff_client, url_name):
    def add_rows(n):
        for _ in range(n):
            deployment = factories.DeploymentFactory()
            saga = factories.SagaFactory(deployment=deployment, kind="provision_deployment")
            factories.SagaStepFactory.create_batch(3, saga=saga)
            factories.CloudResourceFactory(tenant=deployment.tenant, deployment=deployment)

    url = reverse(url_name)
    add_rows(3)
    few = _queries_for(staff_client, url)
    add_rows(10)
    many = _queries_for(staff_client, url)
    assert many == few


def test_non_staff_user_is_sent_to_login(client, db):
    client.force_login(factories.UserFactory(username="tenant-user", is_staff=False))
    for url in [
        reverse("admin:index"),
        reverse("admin:deployments_deployment_changelist"),
        reverse("admin:provisioning_saga_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("admin:provisioning_saga_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_view_only_staff_sees_sagas_but_no_operations(client, failed_saga):
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_saga"))
    client.force_login(viewer)
    page = _get(client, reverse("admin:provisioning_saga_change", args=[failed_saga.pk]))
    assert "create_droplet" in page
    assert "/operate/" not in page
    listing = _get(client, reverse("admin:provisioning_saga_changelist"))
    assert "retry_compensation" not in listing
    url = reverse("admin:provisioning_saga_operate", args=[failed_saga.pk, "retry_compensation"])
    assert client.post(url).status_code == 403
