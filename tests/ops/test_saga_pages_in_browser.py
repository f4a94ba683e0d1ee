"""A rolled-back saga as an operator sees it in a real browser: the banner
names the failed step, the timeline draws one bar per started step with the
failed one marked, everything fits 1280 px, and no page logs an error."""

import pytest

from provisioning.engine import SagaStatus
from tests.support.browser import has_horizontal_scroll

pytestmark = pytest.mark.django_db(transaction=True)


def test_rolled_back_saga_page_draws_the_failure_first(
    operator_page, live_server, rolled_back_saga, seen, screenshot
):
    page = operator_page
    saga = rolled_back_saga
    assert saga.status == SagaStatus.COMPENSATED, saga.error
    started = saga.steps.exclude(started_at=None).count()

    page.goto(f"{live_server.url}/admin/provisioning/saga/{saga.pk}/change/")

    banner = page.locator("#saga-banner").inner_text()
    assert "Failed at 6/7 point_deployment_dns" in banner
    assert "rolled back 6 steps" in banner
    timeline = page.locator("svg.saga-timeline")
    assert timeline.locator("g.step").count() == 7
    assert timeline.locator("rect.bar[data-phase=forward]").count() == started == 6
    failed = timeline.locator("rect.bar[data-phase=forward][data-outcome=failed]")
    assert failed.count() == 1
    assert failed.locator("xpath=..").get_attribute("data-step") == "point_deployment_dns"
    assert "answered 422" in failed.locator("title").text_content()
    assert timeline.locator("rect.bar[data-phase=compensation][data-outcome=compensated]").count() == 6
    outcome = page.locator("#saga-steps tr[data-step=point_deployment_dns] .step-outcome").inner_text()
    assert outcome == "failed → compensated"
    assert not has_horizontal_scroll(page)
    screenshot(page, "saga-rolled-back", full_page=True)
    page.locator("fieldset:has(svg.saga-timeline)").screenshot(path=str(screenshot.dir / "saga-timeline.png"))
    page.locator("fieldset:has(#saga-steps)").screenshot(path=str(screenshot.dir / "saga-steps.png"))
    # Banner and timeline together: the picture the README shows (docs/).
    top = page.locator("#saga-banner").bounding_box()
    bottom = page.locator("fieldset:has(svg.saga-timeline)").bounding_box()
    clip = {
        "x": top["x"],
        "y": top["y"],
        "width": top["width"],
        "height": bottom["y"] + bottom["height"] - top["y"],
    }
    screenshot(page, "saga-banner-and-timeline", clip=clip)
    assert seen.console_errors == []


def test_saga_list_says_where_it_failed(operator_page, live_server, rolled_back_saga, seen, screenshot):
    page = operator_page
    page.goto(f"{live_server.url}/admin/provisioning/saga/")
    row = page.locator("#result_list tbody tr").first
    assert row.locator("td.field-failed_step").inner_text() == "6/7 point_deployment_dns"
    assert "422" in row.locator("td.field-short_error").inner_text()
    assert row.locator("td.field-coloured_status .saga-badge").inner_text() == "compensated"
    screenshot(page, "saga-list")
    assert not has_horizontal_scroll(page)
    widths = page.evaluate(
        "(e => [e.scrollWidth, e.clientWidth, [...document.querySelectorAll('#result_list thead th')]"
        ".map(th => th.className + ':' + th.offsetWidth)])(document.querySelector('#changelist .results'))"
    )
    assert widths[0] <= widths[1], widths
    screenshot(page, "saga-list")
    assert seen.console_errors == []


def test_running_saga_is_drawn_up_to_now(operator_page, live_server, saga_worker, sim, seen, screenshot):
    from deployments.services import deployment_provision_context
    from provisioning.engine import saga_start
    from tests import factories
    from tests.provisioning import helpers as h

    sim.configure(boot_delay=30)  # the droplet stays "new": wait_droplet_active keeps polling
    deployment = factories.DeploymentFactory(name="slow", status="provisioning")
    context = deployment_provision_context(deployment=deployment)
    saga = saga_start(kind="provision_deployment", context=context, subject=deployment)
    h.wait_step(saga.pk, "wait_droplet_active", "running")

    page = operator_page
    page.goto(f"{live_server.url}/admin/provisioning/saga/{saga.pk}/change/")
    timeline = page.locator("svg.saga-timeline")
    running = timeline.locator("rect.bar[data-phase=forward][data-outcome=running]")
    assert running.count() == 1
    assert running.locator("xpath=..").get_attribute("data-step") == "wait_droplet_active"
    assert timeline.locator("line.now").count() == 1
    assert timeline.locator("rect.bar[data-phase=forward][data-outcome=succeeded]").count() == 2
    assert "Still running: refresh the page" in page.inner_text("#content")
    screenshot(page, "saga-running", full_page=True)
    assert seen.console_errors == []
