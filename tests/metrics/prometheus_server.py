"""A real Prometheus for tests: Debian's ``prometheus`` on a spare port, with
a configuration the test writes, scraping one target with the metrics token.

Usage::

    with prometheus_scraping(target="127.0.0.1:8000", token=TOKEN, workdir=tmp_path) as prom:
        prom.wait_value('sum(arcadia_sagas_started_total)', 3)
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ALERTS = Path(__file__).resolve().parents[2] / "docs" / "prometheus-alerts.yml"
# Short, so a test sees a change within seconds; waits below poll, never sleep a fixed time.
SCRAPE_INTERVAL = "1s"
STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Prometheus:
    url: str
    log: Path

    def api(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as answer:
            body = json.load(answer)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> float | None:
        """An instant query's one value, or None while it has no result."""
        result = self.api("query", query=expr)["result"]
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def wait_value(self, expr: str, expected: float, *, timeout: float = 90.0) -> float:
        """Poll until ``expr`` equals ``expected`` (each scrape reads the ledger anew)."""
        deadline, seen = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            seen = self.query(expr)
            if seen == expected:
                return seen
            time.sleep(0.5)
        raise AssertionError(
            f"{expr} was {seen}, not {expected}, after {timeout:g}s; log: {self.log.read_text()[-2000:]}"
        )


def _config(target: str, token: str) -> dict:
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {
                "job_name": "arcadia",
                "metrics_path": "/metrics",
                "authorization": {"type": "Bearer", "credentials": token},
                "static_configs": [{"targets": [target]}],
            }
        ],
    }


@contextmanager
def prometheus_scraping(*, target: str, token: str, workdir: Path):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: install Debian's prometheus package (apt-get install prometheus)")
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(_config(target, token)))
    port, log = _free_port(), workdir / "prometheus.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    prom = Prometheus(url=f"http://127.0.0.1:{port}", log=log)
    try:
        _wait_ready(prom, process)
        yield prom
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(prom: Prometheus, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited {process.returncode}: {prom.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{prom.url}/-/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"prometheus not ready after {STARTUP_TIMEOUT:g}s: {prom.log.read_text()[-2000:]}")
