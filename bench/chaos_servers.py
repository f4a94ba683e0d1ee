"""Servers an outage drill may stop: a PostgreSQL cluster of its own.

The shared PostgreSQL on 5432 belongs to every engineer on the machine and
is never stopped. The database drill initdb's a cluster in a temp dir, on a
spare port, and stops it the way a crash does (``pg_ctl -m immediate``: no
checkpoint, every client cut off), then starts it again on the same port
(it recovers from its WAL: committed rows survive, as on a real crash).

PostgreSQL refuses to run as root, so every server command runs as the
``postgres`` user (``runuser``) in a directory that user owns. Redis for the
broker drill is ``tests.support.broker_servers.PrivateRedis``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.harness import free_port, wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"


def _as_postgres(argv: list[str]) -> list[str]:
    """Run as the postgres user when we are root (a CI or dev container);
    as ourselves otherwise (PostgreSQL then runs as whoever we are)."""
    return ["runuser", "-u", PG_USER, "--", *argv] if os.geteuid() == 0 else argv


class PrivatePostgres:
    """One PostgreSQL cluster on its own port and data directory."""

    # The fleet drill adds its bridge's address (bench/fleet_servers.py).
    listen_addresses = "127.0.0.1"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="arcadia-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, user=PG_USER, group=PG_USER)
        self.starts = 0

    @property
    def url_base(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def initdb(self) -> None:
        argv = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        subprocess.run(_as_postgres([*argv, "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)

    def start(self) -> None:
        """Start (or restart after a crash) and wait until it accepts clients."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses={self.listen_addresses} -c fsync=off"
        argv = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options]
        subprocess.run(_as_postgres([*argv, "-w", "-t", "60", "start"]), check=True, capture_output=True)
        self.starts += 1
        wait_until(self.ready, timeout=60, what=f"PostgreSQL on {self.port}")

    def ready(self) -> bool:
        argv = [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"]
        return subprocess.run(argv, check=False).returncode == 0

    def crash(self) -> None:
        """Stop at once, as a crash would: clients see their sessions cut."""
        argv = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_postgres(argv), check=True, capture_output=True)

    def close(self) -> None:
        if self.data.exists():
            argv = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
            subprocess.run(_as_postgres(argv), check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        self.initdb()
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
