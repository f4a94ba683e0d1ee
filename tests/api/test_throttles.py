"""API throttling through the real API, on the real Redis cache: each class
(a user's writes, a user's reads, anonymous requests, log-in attempts at the
admin's and the browsable API's forms) answers 429 with ``Retry-After`` once
its rate is used, and only then; and the schema documents the 429 on every
operation."""

import os
import re
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client

from deployments.models import Deployment
from tests import factories
from tests.support.bodies import PENDING
from tests.support.worker import redis_url_for_tests as this_process_redis_url

PASSWORD = "correct horse battery staple"  # tests/factories.py's


@pytest.fixture(autouse=True)
def redis_cache(settings):
    """Django's cache on Redis, as when Arcadia runs on Redis (where every web
    process counts in it), emptied before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": this_process_redis_url(),
        }
    }
    cache.clear()
    yield
    cache.clear()


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/json"
    assert 0 < int(response["Retry-After"]) <= 60
    assert re.fullmatch(r".*[Ee]xpected available in \d+ seconds?\.", response.json()["detail"])


@pytest.mark.django_db
def test_a_users_writes_past_their_rate_are_429_and_create_nothing(client_for, alice, settings):
    settings.ARCADIA_THROTTLE_WRITES = "3/min"
    client = client_for(alice)
    for n in range(3):
        created = client.post("/api/deployments/", {**PENDING, "name": f"web-{n}"}, format="json")
        assert created.status_code == 201

    response = client.post("/api/deployments/", {**PENDING, "name": "web-3"}, format="json")

    assert_throttled(response)
    assert Deployment.objects.count() == 3
    assert client.get("/api/deployments/").status_code == 200  # reads are counted apart


@pytest.mark.django_db
def test_a_users_reads_past_their_rate_are_429_while_writes_go_on(client_for, alice, settings):
    settings.ARCADIA_THROTTLE_READS = "3/min"
    client = client_for(alice)
    for _ in range(3):
        assert client.get("/api/deployments/").status_code == 200

    assert_throttled(client.get("/api/deployments/"))
    assert_throttled(client.get("/api/me/"))  # one count for every read of the user
    assert client.post("/api/deployments/", PENDING, format="json").status_code == 201


@pytest.mark.django_db
def test_each_user_has_their_own_count(client_for, alice, acme, settings):
    settings.ARCADIA_THROTTLE_READS = "2/min"
    bob = factories.UserFactory(username="bob", tenant=acme)
    alices, bobs = client_for(alice), client_for(bob)
    for _ in range(2):
        alices.get("/api/deployments/")
    assert_throttled(alices.get("/api/deployments/"))
    assert bobs.get("/api/deployments/").status_code == 200


@pytest.mark.django_db
def test_an_empty_rate_switches_the_throttle_off(client_for, alice, settings):
    settings.ARCADIA_THROTTLE_READS = ""
    client = client_for(alice)
    assert all(client.get("/api/me/").status_code == 200 for _ in range(30))


@pytest.mark.django_db
def test_anonymous_requests_past_the_rate_are_429_per_address(settings):
    settings.ARCADIA_THROTTLE_ANON = "2/min"
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(2):
        assert client.get("/api/schema/?format=json").status_code == 200

    # The schema answers YAML by default: a throttled request is JSON still.
    assert_throttled(client.get("/api/schema/"))
    assert Client(REMOTE_ADDR="203.0.113.8").get("/api/schema/?format=json").status_code == 200


def _login_form(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/login/", "/api/auth/login/"])
def test_login_attempts_past_the_rate_are_429_per_address_and_name(url, settings):
    settings.ARCADIA_THROTTLE_LOGIN = "3/min"
    factories.UserFactory(username="root", is_staff=True)
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.1")
    token = _login_form(client, url)
    for guess in ("hunter2", "letmein", "123456"):
        wrong = client.post(url, {"username": "root", "password": guess, "csrfmiddlewaretoken": token})
        assert wrong.status_code == 200  # the form again, with its error
        assert b"correct username and password" in wrong.content or b"Please enter" in wrong.content

    # The right password too: past the rate, the form is not even checked.
    throttled = client.post(url, {"username": "root", "password": PASSWORD, "csrfmiddlewaretoken": token})

    assert_throttled(throttled)
    assert "_auth_user_id" not in client.session
    assert client.get(url).status_code == 200  # the form still shows; only attempts count
    # Another name from this address, and this name from another address, still log in.
    factories.UserFactory(username="ops", is_staff=True)
    other_name = client.post(url, {"username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert other_name.status_code == 302
    elsewhere = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.2")
    token = _login_form(elsewhere, url)
    logged_in = elsewhere.post(url, {"username": "root", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert logged_in.status_code == 302


@pytest.mark.django_db
def test_every_operation_documents_429_with_retry_after(client_for, alice):
    schema = client_for(alice).get("/api/schema/?format=json").json()

    operations = [op for ops in schema["paths"].values() for op in ops.values() if "responses" in op]

    assert len(operations) > 10
    for operation in operations:
        throttled = operation["responses"]["429"]
        assert "Retry-After" in throttled["headers"], operation["operationId"]
        body = throttled["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Throttled"}
    assert schema["components"]["schemas"]["Throttled"]["required"] == ["detail"]


def test_a_rate_that_is_not_one_stops_settings_from_loading():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "arcadia.settings", "ARCADIA_THROTTLE_WRITES": "lots"}
    load = [sys.executable, "-c", "import django; django.setup()"]
    result = subprocess.run(load, env=env, capture_output=True)
    assert result.returncode != 0
    assert b"ARCADIA_THROTTLE_WRITES='lots' is not a rate like 120/min" in result.stderr


COUNT_ONE_ANONYMOUS_REQUEST = """
import django
django.setup()
from django.test import Client
print(Client(REMOTE_ADDR="192.0.2.9").get("/api/docs/").status_code)
"""


@pytest.mark.django_db
def test_web_processes_share_one_count_on_redis(settings):
    """Two other processes (as two gunicorn workers would) spend the address's
    rate on Redis; this process's next request is the third and throttled
    (with each process counting in its own memory, it would pass)."""
    settings.ARCADIA_THROTTLE_ANON = "2/min"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "arcadia.settings",
        "CELERY_BROKER_URL": this_process_redis_url(),  # Arcadia on Redis: its cache too
        "ARCADIA_THROTTLE_ANON": "2/min",
    }
    for _ in range(2):
        other = subprocess.run(
            [sys.executable, "-c", COUNT_ONE_ANONYMOUS_REQUEST], env=env, capture_output=True
        )
        assert other.stdout.split()[-1:] == [b"200"], other.stderr

    assert_throttled(Client(REMOTE_ADDR="192.0.2.9").get("/api/docs/"))
