"""Every admin page an operator opens, after a real rollback: no console
error, no sideways scrolling at 1280 px."""

import pytest

from deployments.models import Deployment
from inventory.models import CloudResource
from tests.support.browser import has_horizontal_scroll

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_pages_log_no_console_errors(operator_page, live_server, rolled_back_saga, seen, screenshot):
    page = operator_page
    deployment = Deployment.objects.get(pk=rolled_back_saga.subject_id)
    resource = CloudResource.objects.get()
    pages = {
        "admin-index": "/admin/",
        "operations": "/admin/provisioning/saga/operations/",
        "saga-list": "/admin/provisioning/saga/",
        "saga": f"/admin/provisioning/saga/{rolled_back_saga.pk}/change/",
        "deployment-list": "/admin/deployments/deployment/",
        "deployment": f"/admin/deployments/deployment/{deployment.pk}/change/",
        "resource-list": "/admin/inventory/cloudresource/",
        "resource": f"/admin/inventory/cloudresource/{resource.pk}/change/",
        "step-list": "/admin/provisioning/sagastep/",
        "event-list": "/admin/provisioning/sagaevent/",
    }
    scrolled = []
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if has_horizontal_scroll(page):
            scrolled.append(path)
        if name in ("operations", "resource"):
            screenshot(page, f"admin-{name}", full_page=True)
    assert seen.console_errors == []
    assert scrolled == []
    # The rollback shows on the operations page, with where it failed.
    page.goto(f"{live_server.url}/admin/provisioning/saga/operations/")
    assert "Failed at 6/7 point_deployment_dns" in page.locator("#ops-recent").inner_text()
