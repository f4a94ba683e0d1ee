"""The API docs render from the server itself: no CDN, no web fonts, no
validator badge; a machine without internet shows every operation."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

# One operation of each API, as its summary reads in the schema.
OPERATIONS = [
    "Create a deployment (and provision it)",
    "List sagas with their steps",
    "Cloud resources (your tenants'; all for staff)",
]

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_swagger_ui_renders_operations_with_no_request_leaving_the_server(
    page, live_server, seen, screenshot
):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary")
    summaries = page.locator(".opblock-summary-description").all_inner_texts()
    for summary in OPERATIONS:
        assert summary in summaries
    screenshot(page, "api-docs-swagger")
    assert seen.foreign_requests(urlsplit(live_server.url).netloc) == []
    assert seen.console_errors == []


def test_redoc_renders_operations_with_no_request_leaving_the_server(page, live_server, seen, screenshot):
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_role("heading", name=OPERATIONS[0]).wait_for()
    headings = page.locator("h2").all_inner_texts()
    for summary in OPERATIONS:
        assert summary in headings
    screenshot(page, "api-docs-redoc")
    assert seen.foreign_requests(urlsplit(live_server.url).netloc) == []
    # The page's Content-Security-Policy refuses the one outside request
    # ReDoc's bundle makes (its sidebar logo, then hidden); nothing else.
    assert seen.blocked == [REDOC_LOGO]
    assert [error for error in seen.console_errors if REDOC_LOGO not in error] == []
