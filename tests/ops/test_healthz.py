"""/healthz/details: what an operator reads (the public /healthz says ok or failed only, tests/hardening)."""

import socket
import threading
import time

import pytest
from django.urls import reverse

from arcadia import health
from tests.support.outages import database_unreachable

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, settings):
    # An operator: the details are the staff's (or a health token's).
    settings.ARCADIA_HEALTH_TOKEN = "operator-health-token"
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer operator-health-token"
    return client


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_ok_with_embedded_broker_needs_no_login(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get(reverse("healthz-details"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    broker = body["checks"]["broker"]
    assert (broker["ok"], broker["detail"]) == (True, "embedded")
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_ok_with_real_redis(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz/details")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"]["detail"] == "redis"


def test_healthz_503_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/healthz/details")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    # The exception's class only: no traceback, no URL that could hold a password.
    assert "Traceback" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_503_names_the_database_when_it_fails(transactional_db, client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    with database_unreachable():  # a real outage: the connection goes to a closed port
        response = client.get("/healthz/details")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["database"]["error"] == "OperationalError"
    assert "127.0.0.1" not in response.content.decode()


@pytest.fixture
def silent_server():
    """A broker that accepts the connection and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_healthz_gives_up_on_a_hung_broker(client, settings, silent_server):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_server}/0"
    started = time.monotonic()
    response = client.get("/healthz/details")
    # It answers, bounded by the check's deadline (generously: a loaded machine).
    assert time.monotonic() - started < health.CHECK_TIMEOUT * 10
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_healthz_is_get_only(client):
    assert client.post("/healthz/details").status_code == 405


def test_healthz_shows_the_digitalocean_budget_and_never_the_token(client, settings):
    body = client.get("/healthz/details").json()

    budget = body["budget"]
    assert set(budget["minute"]) == {"limit", "used", "left"} and set(budget["hour"]) == {
        "limit",
        "used",
        "left",
    }
    assert {"waiting", "last_429", "paused_until"} <= set(budget)
    assert settings.DIGITALOCEAN_TOKEN not in str(body)
