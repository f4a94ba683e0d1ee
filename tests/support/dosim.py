"""Fixtures for the DigitalOcean simulator (``dosim``).

``dosim`` (function scope) — the in-process simulator, reset for the test,
with the gateway pointed at it: ``settings.DIGITALOCEAN_API_URL`` /
``DIGITALOCEAN_TOKEN`` (pytest-django ``settings``), and the environment
variables ``DIGITALOCEAN_END_POINT`` (what python-digitalocean reads),
``DIGITALOCEAN_API_URL`` and ``DIGITALOCEAN_TOKEN`` (so a worker process
started during the test reaches it too) through monkeypatch.
Yields a :class:`dosim.client.DosimClient` (``.base_url``, ``.api_url``,
``.token``, ``.handle`` = the in-process server)::

    def test_lost_create(dosim):
        dosim.configure(boot_delay=0.5)
        dosim.faults("droplet_create", lost_response=1, lost_mode="error", status=500)
        ...
        assert dosim.droplets() == []           # state()["droplets"]
        assert dosim.a_record("web-acme") is None

``sim`` is the same fixture under a shorter name.

``dosim_process`` (function scope) — the same, but a real
``python -m dosim --port <free>`` subprocess (one per session, reset per
test), for real-worker integration tests and anything that must not share
the test process. ``spawn_dosim(*flags)`` starts another one with command
line flags (a context manager yielding its control client).

Baseline for every test: ``TEST_CONFIG`` (boot delay 0.2 s, no rate limit,
zone ``settings.ARCADIA_DNS_DOMAIN``, seeded failure rates).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from dosim.client import DosimClient
from dosim.config import CATALOG_IMAGES, CATALOG_REGIONS, CATALOG_SIZES, CATALOG_UNSOLD
from dosim.server import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
TEST_CONFIG = {
    "boot_delay": 0.2,
    "rate_limit_per_minute": 0,
    "rate_limit_per_hour": 0,
    "seed": 1234,
    # Tests change these; the next test must not inherit them.
    "default_per_page": 20,
    "max_per_page": 200,
    "links_base": "",
    # The catalog it sells, as shipped.
    "regions": CATALOG_REGIONS,
    "sizes": CATALOG_SIZES,
    "images": CATALOG_IMAGES,
    "unsold": CATALOG_UNSOLD,
}


def _baseline() -> dict:
    from django.conf import settings

    return {**TEST_CONFIG, "token": settings.DOSIM_TOKEN, "domains": [settings.ARCADIA_DNS_DOMAIN]}


def _point_at(control: DosimClient, settings, monkeypatch) -> None:
    """This process through settings; python-digitalocean's own objects and
    any worker process started later through the environment."""
    settings.DIGITALOCEAN_API_URL = control.api_url
    settings.DIGITALOCEAN_TOKEN = control.token
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", control.api_url)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", control.api_url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", control.token)
    # The simulator was reset: a zone snapshot taken before is of another zone.
    from inventory.dns_records import dns_snapshot_forget

    dns_snapshot_forget(settings.ARCADIA_DNS_DOMAIN)


@pytest.fixture(scope="session")
def dosim_server():
    handle = start_in_thread(port=0, **_baseline())
    yield handle
    handle.stop()


@pytest.fixture
def dosim(dosim_server, settings, monkeypatch):
    baseline = _baseline()
    dosim_server.state.reset(baseline)
    control = DosimClient(dosim_server.base_url, token=baseline["token"])
    control.handle = dosim_server
    _point_at(control, settings, monkeypatch)
    yield control
    # Release requests still hanging on a lost-response fault.
    dosim_server.state.wake.set()


@pytest.fixture
def sim(dosim):
    return dosim


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(base_url: str) -> bool:
    try:
        urllib.request.urlopen(f"{base_url}/_dosim/config", timeout=1).close()
        return True
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def spawn_dosim(*flags: str, token: str | None = None):
    """``python -m dosim --port <free> <flags>``; yields its control client
    once it answers, terminates it afterwards."""
    port, token = _free_port(), token or _baseline()["token"]
    argv = [sys.executable, "-m", "dosim", "--port", str(port), "--token", token, *flags]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"python -m dosim did not come up: {_stderr(proc)}")
            time.sleep(0.05)
        yield DosimClient(base_url, token=token)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _stderr(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.kill()
    return proc.stderr.read().decode()[-2000:]


@pytest.fixture(scope="session")
def dosim_process_server():
    with spawn_dosim("--domain", _baseline()["domains"][0]) as control:
        yield control


@pytest.fixture
def dosim_process(dosim_process_server, settings, monkeypatch):
    control = dosim_process_server
    control.reset(**_baseline())
    _point_at(control, settings, monkeypatch)
    yield control


__all__ = ["TEST_CONFIG", "dosim", "dosim_process", "dosim_server", "sim", "spawn_dosim"]
