"""A real Celery worker process on the real Redis, for integration tests.

Usage (the test needs committed data, so ``transactional_db``)::

    @pytest.mark.integration
    def test_something(celery_worker_process):
        worker = celery_worker_process(env={"ARCADIA_DROPLET_POLL_INTERVAL": "0.1"})
        ...                      # sagas started here are run by that process
        worker.kill()            # SIGKILL the whole worker (main and pool)
        celery_worker_process()  # a fresh one

The worker gets ``DATABASE_URL`` pointing at the pytest test database and
``CELERY_BROKER_URL`` from the ``worker_broker_url`` fixture (emptied before
the first worker of a test). That fixture is parametrized over the brokers
Arcadia supports, so every test using a worker process runs once on Redis
(``ARCADIA_TEST_REDIS_URL``) and once on RabbitMQ (``ARCADIA_TEST_AMQP_URL``,
by default a vhost of this test database's name on the local RabbitMQ);
``ARCADIA_TEST_BROKERS=redis`` narrows the list. A test that brings its own
broker (``tests.support.broker_servers``) overrides ``worker_broker_url``.
This test process is pointed at the same broker for the duration of the
test, so ``saga_start`` sends there. Fake saga definitions are added with
``ARCADIA_EXTRA_SAGA_DEFINITIONS`` (``tests.support.fake_steps.FIVE_STEPS``
by default). Every process is stopped at teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True, scope="session")
def _no_embedded_worker_autostart():
    """Tests start the workers they want (``embedded_worker()``, or the
    worker process below). A saga message sent by any other test must not
    start a process-wide embedded worker that outlives its database."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(SAGA_ENGINE={**settings.SAGA_ENGINE, "embedded_autostart": False}):
        yield


def redis_url_for_tests() -> str:
    """The Redis database of this test process: with pytest-xdist each
    worker process gets its own (gw0 the configured one, gw1 the one below),
    since the tests flush it."""
    url = os.environ.get("ARCADIA_TEST_REDIS_URL", DEFAULT_REDIS)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        base, _, db = url.rpartition("/")
        url = f"{base}/{int(db) - int(worker[2:])}"
    return url


def test_brokers() -> list[str]:
    return [kind.strip() for kind in os.environ.get("ARCADIA_TEST_BROKERS", "redis,rabbitmq").split(",")]


def amqp_url_for_tests() -> str:
    """RabbitMQ for this test run: a vhost named after the test database, so
    runs with different databases (parallel engineers, CI jobs) never share
    queues. Created on first use with ``rabbitmqctl``."""
    if url := os.environ.get("ARCADIA_TEST_AMQP_URL"):
        return url
    vhost = f"arcadia-{connection.settings_dict['NAME']}"
    _ensure_vhost(vhost)
    return f"amqp://guest:guest@127.0.0.1:5672/{vhost}"


_VHOSTS_READY: set[str] = set()


def _ensure_vhost(vhost: str) -> None:
    if vhost in _VHOSTS_READY:
        return
    listed = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, timeout=60)
    if vhost not in listed.stdout.split():
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    _VHOSTS_READY.add(vhost)


def broker_url_for(kind: str) -> str:
    return {"redis": redis_url_for_tests, "rabbitmq": amqp_url_for_tests}[kind]()


def empty_broker(app, url: str) -> None:
    """Start a test from an empty broker: nothing a previous test left."""
    if url.startswith("redis"):
        redis.Redis.from_url(url).flushdb()
        return
    # Declared exactly as Celery declares it, then emptied: purging a queue
    # that does not exist yet is a channel error on AMQP.
    queue = app.amqp.queues[app.conf.task_default_queue]
    with app.connection_for_write(url) as conn:
        bound = queue.bind(conn.default_channel)
        bound.declare()
        bound.purge()


def database_url() -> str:
    """The URL of the database this test process is using (the test DB)."""
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("worker-process tests need PostgreSQL (set DATABASE_URL)")
    user = s.get("USER") or "postgres"
    return f"postgres://{user}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@dataclass
class WorkerProcess:
    proc: subprocess.Popen
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no cleanup, no acks."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_ready(worker: WorkerProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"worker exited ({worker.proc.returncode}):\n{worker.log()[-4000:]}")
        if " ready." in worker.log():
            return
        time.sleep(0.1)
    raise RuntimeError(f"worker not ready after {timeout}s:\n{worker.log()[-4000:]}")


def _switch_broker(app, url: str) -> None:
    """Point this process's Celery app at another broker: the connection
    and producer pools were built for the old one, so forget them (not
    close: kombu keeps pools in a global registry and would hand the closed
    one back)."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture(params=test_brokers())
def worker_broker_url(request, transactional_db) -> str:
    """The broker the worker processes of this test use (one run per kind)."""
    return broker_url_for(request.param)


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path, worker_broker_url):
    """Factory: ``celery_worker_process(env=None, concurrency=2, beat=False,
    gossip=False)`` starts a prefork worker and waits until it is ready; all
    are stopped afterwards. ``beat`` embeds beat (the sweeper); ``gossip``
    keeps mingle and gossip on, as the Procfile's worker runs."""
    from arcadia.celery import app
    from provisioning.engine import registry
    from tests.support.fake_steps import FIVE_STEPS

    registry.register(FIVE_STEPS)  # what the worker gets through its env
    broker = worker_broker_url
    previous_broker = app.conf.broker_url
    _switch_broker(app, broker)
    empty_broker(app, broker)
    settings.CELERY_BROKER_URL = broker
    started: list[WorkerProcess] = []

    def start(
        env: dict | None = None, concurrency: int = 2, beat: bool = False, gossip: bool = False
    ) -> WorkerProcess:
        full_env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            # The DigitalOcean budget lives in Redis whichever the broker.
            "ARCADIA_RATE_LIMIT_URL": redis_url_for_tests(),
            "ARCADIA_EXTRA_SAGA_DEFINITIONS": "tests.support.fake_steps.FIVE_STEPS",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        log_path = tmp_path / f"worker-{len(started)}.log"
        argv = [sys.executable, "-m", "celery", "-A", "arcadia", "worker", "--pool=prefork"]
        argv += [f"--concurrency={concurrency}", "--loglevel=INFO"]  # no -E: as the Procfile runs it
        argv += [f"--hostname=test{len(started)}-{os.getpid()}@%h"]
        if not gossip:
            argv += ["--without-mingle", "--without-gossip"]
        if beat:
            argv += ["--beat", f"--schedule={tmp_path / f'beat-{len(started)}'}"]
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = WorkerProcess(proc, log_path)
        started.append(worker)
        _wait_ready(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        _switch_broker(app, previous_broker)
