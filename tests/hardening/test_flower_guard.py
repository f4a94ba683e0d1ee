"""Real Flower: weak credentials in any spelling stop it; every page asks for them (issue 22, item 7)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support import worker as worker_support

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
USER, PASSWORD = "ops", "a-long-flower-password"

pytestmark = pytest.mark.integration


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWER_")}
    env.update(
        {
            "ARCADIA_ENV": "production",
            "SECRET_KEY": STRONG_KEY,
            "CELERY_BROKER_URL": worker_support.redis_url_for_tests(),
            **extra,
        }
    )
    env.pop("DEBUG", None)
    return env


def _flower(*args):
    return [sys.executable, "-m", "celery", "-A", "arcadia", "flower", "--address=127.0.0.1", *args]


@pytest.mark.parametrize(
    "args, env",
    [
        (["--basic_auth=admin:arcadia"], {}),
        (["--basic-auth=admin:arcadia"], {}),
        (["-basic_auth=admin:arcadia"], {}),
        (["--basic-auth=ops:arcadia-admin"], {}),  # the README's example password
        (["--basic_auth=admin:arcadia"], {"FLOWER_BASIC_AUTH": f"{USER}:{PASSWORD}"}),  # the bypass
        ([f"--basic-auth={USER}:{PASSWORD}", "--basic_auth=admin:arcadia"], {}),  # the last one wins
        ([], {"FLOWER_BASIC_AUTH": "admin:arcadia"}),
        ([], {"FLOWER_basic_auth": "ops:short"}),
        ([f"--basic-auth={USER}:{PASSWORD}"], {"FLOWER_BASIC_AUTH": "admin:arcadia"}),
        ([], {}),  # no credentials at all
    ],
)
def test_weak_credentials_in_any_spelling_stop_flower(args, env):
    result = subprocess.run(
        _flower("--port=1", *args), cwd=ROOT, env=_env(**env), capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "refuses default or short basic-auth credentials" in result.stderr + result.stdout


@pytest.fixture
def flower(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path / "flower.log").open("w")
    process = subprocess.Popen(
        _flower(f"--port={port}", f"--basic-auth={USER}:{PASSWORD}"),
        cwd=ROOT,
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "flower.log").read_text()
            try:
                if requests.get(f"{url}/healthcheck", auth=(USER, PASSWORD), timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "Flower never answered"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.parametrize("path", ["/metrics", "/healthcheck", "/api/tasks"])
def test_every_flower_page_asks_for_the_credentials(flower, path):
    assert requests.get(f"{flower}{path}", timeout=5).status_code == 401
    assert requests.get(f"{flower}{path}", auth=("admin", "arcadia"), timeout=5).status_code == 401
    assert requests.get(f"{flower}{path}", auth=(USER, PASSWORD), timeout=5).status_code == 200
