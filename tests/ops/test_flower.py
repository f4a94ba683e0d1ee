"""Flower as operators run it: a real process with basic auth, on the real
Redis, watching a real worker run a saga.

Flower learns about tasks only from worker events. Workers do not send
task events from the start (no ``-E``, ``CELERY_WORKER_SEND_TASK_EVENTS``
off): Flower's ``enable_events`` (on by default) switches them on in the
workers it sees, by a broadcast every 5 s. So: Flower first, then a worker,
then a saga repeated until Flower shows its tasks (events are on), and only
then the sagas the test looks at.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from provisioning.engine import SagaStatus, saga_start
from tests.support import worker as worker_support
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
    env = {
        **os.environ,
        "CELERY_BROKER_URL": worker_broker_url,
        "ARCADIA_RATE_LIMIT_URL": worker_support.redis_url_for_tests(),
    }
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
                return instance.get("/healthcheck").status_code == 200
            except requests.ConnectionError:
                return False

        instance.wait_for(up, 30, "its health check")
        yield instance
    finally:
        _stop(process)
        log.close()


class EventLog:
    """Every event on the broker's event exchange, captured in a thread, as
    Flower would receive them."""

    def __init__(self, app):
        self.app, self.types = app, []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._capture, daemon=True)

    def _capture(self):
        with self.app.connection_for_read() as conn:
            self.receiver = self.app.events.Receiver(
                conn, handlers={"*": lambda e: self.types.append(e["type"])}
            )
            self._ready.set()
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.receiver.should_stop = True
        self._thread.join(10)

    def task_events(self):
        return [t for t in self.types if t.startswith("task-")]

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"no {what} within {timeout}s; saw {sorted(set(self.types))}")


def test_workers_send_no_task_events_until_someone_asks(celery_worker_process):
    from arcadia.celery import app

    celery_worker_process()
    with EventLog(app) as events:
        # The receiver works: heartbeats come every 2 s whatever the setting.
        events.wait_for(lambda: "worker-heartbeat" in events.types, 15, "heartbeat")
        assert wait_terminal(saga_start(kind="fake_five", context={})).status == SagaStatus.SUCCEEDED
        events.wait_for(lambda: events.types.count("worker-heartbeat") >= 2, 15, "second heartbeat")
        assert events.task_events() == []
        # What Flower broadcasts: task events from then on.
        app.control.enable_events()
        assert wait_terminal(saga_start(kind="fake_five", context={})).status == SagaStatus.SUCCEEDED
        events.wait_for(lambda: "task-succeeded" in events.task_events(), 15, "task events")


def test_flower_shows_each_step_of_a_saga_as_its_own_task(flower, celery_worker_process):
    celery_worker_process()
    flower.wait_for(flower.workers_seen_by_events, 60, "the worker")

    # The worker sends task events once Flower's broadcast reached it: run a
    # saga until Flower shows one of its tasks.
    def warm_up_saga_seen():
        saga = saga_start(kind="fake_five", context={})
        wait_terminal(saga)
        ids = set(saga.steps.exclude(celery_task_id="").values_list("celery_task_id", flat=True))
        return ids & set(flower.tasks())

    flower.wait_for(warm_up_saga_seen, 60, "a task (enable_events never reached the worker)")

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
