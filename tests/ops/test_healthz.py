"""/healthz: what a load balancer or compose healthcheck polls."""

import socket
import time

import pytest
from django.db import OperationalError
from django.urls import reverse

from arcadia import health

pytestmark = pytest.mark.django_db


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_ok_with_embedded_broker_needs_no_login(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    broker = body["checks"]["broker"]
    assert (broker["ok"], broker["detail"]) == (True, "embedded")
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_ok_with_real_redis(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"]["detail"] == "redis"


def test_healthz_503_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < health.CHECK_TIMEOUT + 1
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    # The exception's class only: no traceback, no URL that could hold a password.
    assert "Traceback" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_503_names_the_database_when_it_fails(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "memory://"

    def database_down():
        raise OperationalError("connection to server failed: password=secret")

    monkeypatch.setitem(health.CHECKS, "database", database_down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["database"]["error"] == "OperationalError"
    assert "secret" not in response.content.decode()


def test_healthz_gives_up_on_a_hung_check(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "memory://"
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.2)
    monkeypatch.setitem(health.CHECKS, "broker", lambda: time.sleep(5))
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["error"] == "CheckTimeout"


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_shows_the_digitalocean_budget_and_never_the_token(client, settings):
    body = client.get("/healthz").json()

    budget = body["budget"]
    assert set(budget["minute"]) == {"limit", "used", "left"} and set(budget["hour"]) == {
        "limit",
        "used",
        "left",
    }
    assert {"waiting", "last_429", "paused_until"} <= set(budget)
    assert settings.DIGITALOCEAN_TOKEN not in str(body)
