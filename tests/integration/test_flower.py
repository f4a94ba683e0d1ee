"""Flower as operators run it: a real process with basic auth, on the real
Redis, watching a real worker run a saga.

Flower learns about tasks only from worker events, so the order matters:
Flower first, then a worker, then a check that Flower sees the worker
through events (the event stream is live), and only then the saga.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from provisioning.models import SAGA_TERMINAL_STATUSES, Saga, SagaStatus

ROOT = Path(__file__).resolve().parents[2]
FLOWER_USER, FLOWER_PASSWORD = "ops", "flower-test-secret"
FAKE_DEFINITION = "tests.support.fake_steps.FIVE_STEPS"
STEPS = [f"s{i}" for i in range(5)]

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Flower:
    def __init__(self, url, process):
        self.url, self.process = url, process
        self.auth = (FLOWER_USER, FLOWER_PASSWORD)

    def get(self, path, auth=True, **params):
        return requests.get(f"{self.url}{path}", params=params, auth=self.auth if auth else None, timeout=5)

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "Flower exited"
            value = predicate()
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"Flower never showed {what} within {timeout}s")

    def workers_seen_by_events(self):
        return self.get("/workers", json=1).json().get("data", [])

    def tasks(self):
        return self.get("/api/tasks").json()


@pytest.fixture
def redis_url():
    return os.environ.get("ARCADIA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def process_env(redis_url):
    """The environment of a process that works on this test's database and
    Redis and knows the fake saga."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    database_url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "ARCADIA_EXTRA_SAGA_DEFINITIONS": FAKE_DEFINITION,
    }


def _stop(process):
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def flower(process_env, tmp_path):
    port = _free_port()
    env = process_env
    log = (tmp_path / "flower.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "arcadia",
            "flower",
            "--address=127.0.0.1",
            f"--port={port}",
            f"--basic-auth={FLOWER_USER}:{FLOWER_PASSWORD}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    instance = Flower(f"http://127.0.0.1:{port}", process)
    try:

        def up():
            try:
                return instance.get("/healthcheck", auth=False).status_code == 200
            except requests.ConnectionError:
                return False

        instance.wait_for(up, 30, "its health check")
        yield instance
    finally:
        _stop(process)
        log.close()


@pytest.fixture
def worker_process(process_env, tmp_path):
    """A real ``celery worker`` process, started like the Procfile's."""
    log = (tmp_path / "worker.log").open("w")
    command = [sys.executable, "-m", "celery", "-A", "arcadia", "worker", "-E", "--concurrency=1"]
    process = subprocess.Popen(
        [*command, "--loglevel=INFO", f"--hostname=flowertest-{os.getpid()}@%h"],
        cwd=ROOT,
        env=process_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        _stop(process)
        log.close()


def start_sagas(env, contexts):
    """Start sagas from another process, whose Celery app sends to Redis
    (this test process's app is bound to the embedded memory:// broker)."""
    script = (
        "import django, json, sys; django.setup();"
        "from provisioning.services import saga_start;"
        "[print(saga_start(kind='fake_five', context=c).id) for c in json.loads(sys.argv[1])]"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "arcadia.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(contexts)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [Saga.objects.get(pk=line) for line in result.stdout.split()]


def wait_terminal(saga, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        saga.refresh_from_db()
        if saga.status in SAGA_TERMINAL_STATUSES:
            return saga
        time.sleep(0.1)
    raise AssertionError(f"saga {saga.pk} still {saga.status}")


def test_flower_shows_each_step_of_a_saga_as_its_own_task(flower, worker_process, process_env):
    # Flower has the event stream once it sees the worker through events.
    flower.wait_for(flower.workers_seen_by_events, 60, "the worker")

    ok, failed = start_sagas(process_env, [{}, {"fail_at": "s2"}])
    assert wait_terminal(ok).status == SagaStatus.SUCCEEDED
    assert wait_terminal(failed).status == SagaStatus.COMPENSATED

    def all_tasks_seen():
        tasks = flower.tasks()
        ids = {row.celery_task_id for saga in (ok, failed) for row in saga.steps.exclude(celery_task_id="")}
        return tasks if ids <= set(tasks) else None

    tasks = flower.wait_for(all_tasks_seen, 30, "every step task")
    names = {task["name"] for task in tasks.values()}
    assert {f"provisioning.step.{name}" for name in STEPS} <= names
    assert {f"provisioning.compensate.{name}" for name in ["s0", "s1", "s2"]} <= names
    # The admin links a step to /task/<celery_task_id>: that page exists.
    step = ok.steps.get(name="s3")
    assert tasks[step.celery_task_id]["name"] == "provisioning.step.s3"
    assert tasks[step.celery_task_id]["state"] == "SUCCESS"
    assert flower.get(f"/task/{step.celery_task_id}").status_code == 200


def test_flower_refuses_anyone_without_the_credentials(flower):
    for path in ["/api/tasks", "/api/workers", "/tasks", "/"]:
        assert flower.get(path, auth=False).status_code == 401, path
        response = requests.get(f"{flower.url}{path}", auth=("ops", "wrong"), timeout=5)
        assert response.status_code == 401, path
    assert flower.get("/api/tasks").status_code == 200
