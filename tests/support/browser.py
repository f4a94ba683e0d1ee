"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's
``live_server``, as an operator sees the pages.

Chromium is the system one (``apt-get install chromium``, which ``.ci/run``
does); Playwright never downloads a browser. Every page records the
requests it makes and the console errors it logs, and screenshots go to
``tests/artifacts/`` (git-ignored) and nowhere else.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("ARCADIA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# The width the issue asks pages to fit without horizontal scrolling.
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session", autouse=True)
def _close_leftover_connections(django_db_setup, django_db_blocker):
    """The live server's and the worker's threads leave idle connections that
    would keep pytest-django from dropping the test database at the end."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        # A fresh connection: other tests' clean-ups may have ended this one.
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (as .ci/run does)")
    # Playwright's sync API keeps an asyncio loop in this thread, which makes
    # Django refuse ORM calls from the test body ("async context"). The test
    # thread never runs async code of ours, so the check is a false alarm.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@dataclass
class Seen:
    """What a page did: every request URL, the ones the browser itself refused
    to send (the page's Content-Security-Policy), and every console error."""

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_failed(self, request) -> None:
        if request.failure == "csp":
            self.blocked.append(request.url)

    def foreign_requests(self, host: str) -> list[str]:
        """Requests sent to anywhere but ``host`` (data: and blob: URLs stay
        local; a request the browser blocked never left it)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).netloc != host
            and url not in self.blocked
        ]


@pytest.fixture
def seen():
    return Seen()


@pytest.fixture
def page(browser, seen):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.on("request", lambda request: seen.requests.append(request.url))
    tab.on("requestfailed", seen.on_failed)
    tab.on("console", lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: seen.console_errors.append(f"uncaught: {exc}"))
    yield tab
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` writes tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(tab, name: str, **kwargs) -> Path:
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), **kwargs)
        return path

    take.dir = ARTIFACTS
    return take


@pytest.fixture
def operator_page(page, live_server, django_user_model):
    """The page, logged in to the admin as a superuser (the session cookie of a
    real log-in through Django's test client)."""
    from django.test import Client

    user = django_user_model.objects.create_superuser("operator", "operator@example.test", "pw-operator")
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    host = urlsplit(live_server.url).hostname
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "domain": host, "path": "/"}])
    return page


def has_horizontal_scroll(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


@pytest.fixture
def saga_worker(transactional_db, sim, settings):
    """The engine's embedded worker running the real provisioning saga against
    the simulator, with fast polling (as the provisioning tests run it)."""
    from provisioning.engine import embedded_worker
    from tests.support.embedded import quiesce

    settings.ARCADIA_DROPLET_POLL_INTERVAL = 0.1
    settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT = 20
    settings.ARCADIA_TAG_LISTING_SETTLE = 1.0
    with embedded_worker() as worker:
        yield worker
        quiesce()


@pytest.fixture
def rolled_back_saga(saga_worker, sim):
    """A provisioning saga that failed for good at DNS (an A record refused
    with 422) and rolled back: the issue's example."""
    from deployments.services import deployment_provision_context
    from provisioning.engine import saga_start
    from tests import factories
    from tests.provisioning import helpers as h

    deployment = factories.DeploymentFactory(
        tenant=factories.TenantFactory(slug="acme"), name="shop", status="provisioning"
    )
    h.fault_permanent_at(sim, "point_deployment_dns")
    context = deployment_provision_context(deployment=deployment)
    saga = saga_start(kind="provision_deployment", context=context, subject=deployment)
    return h.wait_saga(saga.pk)
