"""The operations page: sagas by status, the compensation_failed queue with
its retry, stalled sagas with resume, recent rollbacks, and the budget."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from provisioning.engine import Saga, SagaStatus
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("admin:provisioning_operations")


def stalled_saga():
    saga = factories.SagaFactory(kind="provision_deployment", status=SagaStatus.RUNNING)
    factories.SagaStepFactory(saga=saga, index=0, name="create_droplet", status="succeeded")
    factories.SagaStepFactory(saga=saga, index=1, name="wait_droplet_active", status="running", attempts=3)
    Saga.objects.filter(pk=saga.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=30))
    return saga


def page_of(client):
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_operations_page_lists_what_needs_an_operator(staff_client, failed_saga):
    stalled = stalled_saga()
    page = page_of(staff_client)
    assert 'data-status="compensation_failed"><span' in page
    queue = page.split('id="ops-compensation-failed"')[1].split('id="ops-stalled"')[0]
    assert str(failed_saga.pk)[:8] in queue
    assert "2/4 create_droplet" in queue and "DataReadError: 500 from destroy" in queue
    assert reverse("admin:provisioning_saga_operate", args=[failed_saga.pk, "retry_compensation"]) in queue
    waiting = page.split('id="ops-stalled"')[1].split('id="ops-recent"')[0]
    assert str(stalled.pk)[:8] in waiting and "2/2 wait_droplet_active" in waiting
    assert "30 min" in waiting
    assert reverse("admin:provisioning_saga_operate", args=[stalled.pk, "resume"]) in waiting
    assert "<h2>DigitalOcean budget</h2>" in page


def test_a_refused_operation_comes_back_to_the_operations_page(staff_client):
    done = factories.SagaFactory(status=SagaStatus.SUCCEEDED)
    url = reverse("admin:provisioning_saga_operate", args=[done.pk, "retry_compensation"])
    response = staff_client.post(url, {"next": URL}, follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "Retry compensation refused" in response.content.decode()


def test_next_must_stay_on_this_site(staff_client):
    done = factories.SagaFactory(status=SagaStatus.SUCCEEDED)
    url = reverse("admin:provisioning_saga_operate", args=[done.pk, "retry_compensation"])
    response = staff_client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:provisioning_saga_change", args=[done.pk])


def test_view_only_staff_sees_the_page_without_buttons(client, failed_saga):
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_saga"))
    client.force_login(viewer)
    page = page_of(client)
    assert str(failed_saga.pk)[:8] in page
    assert "/operate/" not in page


def test_staff_without_saga_permission_is_refused(client, db):
    client.force_login(factories.UserFactory(username="nobody", is_staff=True))
    assert client.get(URL).status_code == 403


def test_the_digitalocean_budget_is_shown_and_never_the_token(staff_client, settings):
    page = page_of(staff_client)

    panel = page.split("<h2>DigitalOcean budget</h2>")[1].split("</div>")[0]
    assert "<th>minute.left</th>" in panel and "<th>hour.used</th>" in panel
    assert "<th>last_429</th><td>—</td>" in panel
    assert settings.DIGITALOCEAN_TOKEN not in page


def test_the_page_costs_the_same_queries_for_few_or_many_sagas(staff_client):
    def add(n):
        for _ in range(n):
            stalled_saga()
            saga = factories.SagaFactory(status=SagaStatus.COMPENSATION_FAILED)
            factories.SagaStepFactory(saga=saga, index=0, status="compensation_failed")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            page_of(staff_client)
        return len(ctx.captured_queries)

    add(2)
    few = count()
    add(8)
    assert count() == few


def test_admin_home_and_saga_list_link_the_operations_page(staff_client):
    assert URL in staff_client.get(reverse("admin:index")).content.decode()
    assert URL in staff_client.get(reverse("admin:provisioning_saga_changelist")).content.decode()
