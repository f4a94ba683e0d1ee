"""Safe by default: no debug pages unless a developer asks, no development
secret outside development, nothing published beyond loopback, no default
Flower credentials outside development."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dosim.control_api import control
from dosim.state import State

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-5" * 13  # 50+ characters, 5+ of them different (settings refuse less)

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps(settings.DEBUG))"
)


def _run(argv, env, timeout=60):
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "arcadia.settings"}
    env = {**base, **env}
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("env", "debug"),
    [
        ({}, False),  # nothing set: make demo / make test work, without debug pages
        ({"ARCADIA_ENV": "development"}, True),
        ({"DEBUG": "true"}, True),
        ({"ARCADIA_ENV": "production", "SECRET_KEY": STRONG_KEY}, False),
    ],
)
def test_debug_is_on_only_when_asked_for(env, debug):
    result = _run([sys.executable, "-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is debug


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_anything_but_development_refuses_the_development_secret_key(environment):
    result = _run([sys.executable, "-c", PROBE], {"ARCADIA_ENV": environment})
    assert result.returncode != 0
    assert "needs its own SECRET_KEY" in result.stderr


def test_compose_publishes_every_port_on_loopback_only_and_restarts_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert set(published) == {"web", "flower", "dosim"}
    for ports in published.values():
        assert all(str(port).startswith("127.0.0.1:") for port in ports), ports
    for name, service in compose["services"].items():
        if name != "release":
            assert service.get("restart") == "unless-stopped", name
    django = compose["x-django"]["environment"]
    assert django["ARCADIA_ENV"] == "production"
    assert ":?" in django["SECRET_KEY"] and ":?" in django["FLOWER_BASIC_AUTH"]  # required, no default


def test_simulator_control_api_answers_loopback_clients_only():
    state = State()
    assert control(state, "GET", "/_dosim/state", None, peer="127.0.0.1")[0] == 200
    assert control(state, "GET", "/_dosim/state", None, peer="::1")[0] == 200
    assert control(state, "POST", "/_dosim/reset", None, peer="10.1.2.3")[0] == 403
    assert control(state, "GET", "/_dosim/state", None, peer="10.1.2.3", open_to_all=True)[0] == 200


@pytest.mark.parametrize("credentials", ["admin:arcadia", "admin:change-me", "ops:short"])
def test_flower_refuses_default_credentials_outside_development(credentials):
    env = {"ARCADIA_ENV": "production", "SECRET_KEY": STRONG_KEY, "CELERY_BROKER_URL": "memory://"}
    argv = [sys.executable, "-m", "celery", "-A", "arcadia", "flower", f"--basic-auth={credentials}"]
    result = _run(argv + ["--address=127.0.0.1", "--port=1"], env)
    assert result.returncode != 0
    assert "refuses default or short basic-auth credentials" in result.stderr


def test_flower_guard_accepts_real_credentials_and_anything_in_development(settings):
    from arcadia.flower_guard import refuse_default_credentials

    argv = ["celery", "-A", "arcadia", "flower", "--basic-auth=ops:a-long-enough-secret"]
    settings.IS_DEVELOPMENT, settings.ARCADIA_ENV = False, "production"
    refuse_default_credentials(argv)  # no exit
    with pytest.raises(SystemExit):
        refuse_default_credentials(["celery", "flower", "--basic-auth=admin:arcadia"])
    settings.IS_DEVELOPMENT = True
    refuse_default_credentials(["celery", "flower", "--basic-auth=admin:arcadia"])
