"""Process orchestration shared by the benchmark and the chaos drill.

Everything runs on loopback: a PostgreSQL database of its own, one Redis
database, the simulator, prefork workers and (for the API figures) gunicorn.
Every process started here is stopped by ``Stack.close`` (also on Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            result = predicate()
            if result:
                return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status < 500


def peak_rss_mb(pid: int) -> float:
    """Peak resident set (VmHWM) of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int, *, with_reaped_children: bool = False) -> float:
    """User + system CPU of one process so far, from ``/proc/<pid>/stat``;
    with ``with_reaped_children`` also what its exited, reaped children
    spent (a pool process the worker replaced)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces: count from the ')' after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    ticks = utime + stime + (cutime + cstime if with_reaped_children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@dataclass
class Stack:
    """The processes of one run; ``env`` is what every Django process sees."""

    database: str = "arcadia_bench"
    redis_db: int = 4
    # A drill's own PostgreSQL cluster listens elsewhere (bench/chaos_servers.py).
    db_port: int = 5432
    env: dict = field(default_factory=dict)
    procs: dict = field(default_factory=dict)
    dosim_url: str = ""
    _control: object = None

    def __post_init__(self):
        self.env = {
            # Benchmarks POST hundreds for one tenant: its quota (25) is not what they measure.
            "ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS": "1000000",
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "arcadia.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.db_port}/{self.database}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
            "LOG_LEVEL": "WARNING",
            **self.env,
        }

    # --- lifecycle ------------------------------------------------------------
    def prepare_database(self):
        """A fresh database, migrated."""
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.db_port), "-U", "postgres", "-qc"]
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {self.database}"], check=True)
        self.manage("migrate", "--noinput", "-v0")
        self.flush_redis()

    def flush_redis(self):
        subprocess.run(["redis-cli", "-n", str(self.redis_db), "flushdb"], check=True, capture_output=True)

    def manage(self, *args: str):
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def start(
        self, name: str, argv: list[str], env: dict | None = None, unset: tuple[str, ...] = ()
    ) -> subprocess.Popen:
        log = open(ROOT / "bench" / "results" / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        full_env = {k: v for k, v in {**self.env, **(env or {})}.items() if k not in unset}
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = log
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig=signal.SIGTERM, timeout: float = 20):
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        proc.log.close()

    def close(self):
        for name in list(self.procs):
            self.stop(name)

    def __enter__(self):
        (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the processes ----------------------------------------------------------
    def start_dosim(self, *extra: str) -> str:
        port = free_port()
        self.start("dosim", [PYTHON, "-m", "dosim", "--port", str(port), *extra])
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base), timeout=30, what="the simulator")
        self.dosim_url = base
        self.env["DIGITALOCEAN_API_URL"] = f"{base}/v2/"
        self.env["DIGITALOCEAN_END_POINT"] = f"{base}/v2/"
        return base

    def start_worker(
        self,
        name: str = "worker",
        concurrency: int = 2,
        include: str = "",
        env: dict | None = None,
        app: str = "arcadia",
    ) -> subprocess.Popen:
        """A prefork worker of ``app`` (Arcadia's by default; ``bench.plain.app``
        for the plain-Celery baseline)."""
        argv = [PYTHON, "-m", "celery", "-A", app, "worker", "--pool=prefork"]
        argv += [f"--concurrency={concurrency}", "--loglevel=WARNING", f"--hostname={name}@%h"]
        if include:
            argv += ["--include", include]
        # Only Arcadia's worker is a Django process.
        unset = () if app == "arcadia" else ("DJANGO_SETTINGS_MODULE",)
        proc = self.start(name, argv, env=env, unset=unset)
        hostname = f"{name}@{socket.gethostname()}"
        wait_until(lambda: self._worker_ready(proc, hostname), timeout=60, what=f"celery worker {name}")
        return proc

    def _worker_ready(self, proc, hostname: str) -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}; see bench/results/")
        replies = self.control_app().control.ping(destination=[hostname], timeout=0.5)
        return bool(replies) and len(child_pids(proc.pid)) > 0

    def control_app(self):
        """A bare Celery app on this stack's broker, for remote control
        (pings) of any worker, Arcadia's or the plain baseline's."""
        if self._control is None:
            from celery import Celery

            self._control = Celery("bench-control", broker=self.env["CELERY_BROKER_URL"])
        return self._control

    def worker_cpu_seconds(self, name: str = "worker") -> float:
        """CPU the worker has spent so far: its main process and its pool."""
        proc = self.procs[name]
        pool = sum(cpu_seconds(pid) for pid in child_pids(proc.pid))
        return cpu_seconds(proc.pid, with_reaped_children=True) + pool

    def worker_peak_rss_mb(self, name: str = "worker") -> float:
        """The largest peak RSS among the worker's processes: the main one
        (which holds countdown messages until they are due) and its pool."""
        proc = self.procs[name]
        return max(peak_rss_mb(pid) for pid in [proc.pid, *child_pids(proc.pid)])

    def start_web(self, workers: int = 2, env: dict | None = None) -> str:
        port = free_port()
        argv = [PYTHON, "-m", "gunicorn", "arcadia.wsgi", f"--bind=127.0.0.1:{port}"]
        argv += [f"--workers={workers}", "--log-level=warning"]
        self.start("web", argv, env=env)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(f"{base}/healthz"), timeout=60, what="gunicorn")
        return base


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/v2/account", timeout=1)
    except urllib.error.HTTPError:
        return True  # 401 without a token is an answer
    return True
