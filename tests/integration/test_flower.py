"""Flower as operators run it: a real process with basic auth, on the real
Redis, watching a real worker run a saga.

Flower learns about tasks only from worker events, so the order matters:
Flower first, then a worker, then a check that Flower sees the worker
through events (the event stream is live), and only then the saga.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from provisioning.models import SagaStatus
from provisioning.services import saga_start
from tests.support.waiting import wait_terminal

ROOT = Path(__file__).resolve().parents[2]
FLOWER_USER, FLOWER_PASSWORD = "ops", "flower-test-secret"
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


def _stop(process):
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def flower(celery_worker_process, worker_broker_url, tmp_path):
    """Flower on the test Redis. It depends on the worker fixture, which
    flushes that Redis first: a flush after Flower started would drop the
    binding of its event queue and Flower would see nothing."""
    port = _free_port()
    env = {**os.environ, "CELERY_BROKER_URL": worker_broker_url}
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


def test_flower_shows_each_step_of_a_saga_as_its_own_task(flower, celery_worker_process):
    celery_worker_process()
    # Flower has the event stream once it sees the worker through events.
    flower.wait_for(flower.workers_seen_by_events, 60, "the worker")

    ok = saga_start(kind="fake_five", context={})
    failed = saga_start(kind="fake_five", context={"fail_at": "s2"})
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
