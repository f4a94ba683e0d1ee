"""Private broker servers a test may kill: Redis and RabbitMQ on spare ports.

The shared servers on 6379/5672 belong to every engineer on the machine and
are never stopped. An outage test starts its own server here, kills it
(SIGKILL, no goodbye to clients) and starts it again *empty* on the same
port, the way a crashed broker without persistence comes back::

    with private_broker("redis") as broker:
        worker = celery_worker_process(broker_url=broker.url)
        broker.kill()
        broker.start()

The same class also serves ``bench/chaos.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# The package's wrapper insists on running as the rabbitmq user; the real
# script beside it runs as whoever calls it, with everything in our tmp dir.
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateBroker:
    """One broker server process on its own port and data directory."""

    kind = ""
    start_timeout = 30.0

    def __init__(self, workdir: Path, port: int | None = None):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        raise NotImplementedError

    def _argv_env(self) -> tuple[list[str], dict]:
        raise NotImplementedError

    def _wipe(self) -> None:
        """Forget everything the last run stored: it comes back empty."""

    def start(self) -> None:
        self._wipe()
        argv, env = self._argv_env()
        with open(self.workdir / f"{self.kind}-{self.starts}.log", "w") as log:
            self.proc = subprocess.Popen(
                argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        deadline = time.monotonic() + self.start_timeout
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} did not come up on {self.port}: {self.log()[-2000:]}")
            time.sleep(0.1)

    def ready(self) -> bool:
        return _accepts(self.port)

    def kill(self) -> None:
        """SIGKILL the server (its whole session: RabbitMQ's VM too)."""
        if self.proc is not None and self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _accepts(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def log(self) -> str:
        logs = sorted(self.workdir.glob(f"{self.kind}-*.log"))
        return logs[-1].read_text(errors="replace") if logs else ""


class PrivateRedis(PrivateBroker):
    kind = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv_env(self):
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)]
        return argv, {}


class PrivateRabbitMQ(PrivateBroker):
    kind = "rabbitmq"
    start_timeout = 60.0

    def __init__(self, workdir: Path, port: int | None = None):
        super().__init__(workdir, port)
        # Erlang distribution needs a port and a node name of its own, so this
        # node never meets the shared one.
        self.dist_port = free_port()
        self.node = f"arcadia-test-{self.port}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _wipe(self) -> None:
        shutil.rmtree(self.workdir / "mnesia", ignore_errors=True)

    def _argv_env(self):
        plugins = self.workdir / "enabled_plugins"
        plugins.write_text("[].\n")
        env = {
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.workdir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
            "RABBITMQ_PID_FILE": str(self.workdir / "rabbitmq.pid"),
            "RABBITMQ_CONFIG_FILE": str(self.workdir / "no-config"),
        }
        return [RABBITMQ_SERVER], env


KINDS = {"redis": PrivateRedis, "rabbitmq": PrivateRabbitMQ}


@contextmanager
def private_broker(kind: str, workdir: Path | None = None):
    """A started private broker of ``kind``; killed on exit."""
    own = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=f"arcadia-{kind}-")) if own else workdir
    broker = KINDS[kind](workdir)
    try:
        broker.start()
        yield broker
    finally:
        broker.kill()
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
