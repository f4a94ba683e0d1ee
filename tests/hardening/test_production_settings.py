"""Production settings are safe by default (issue 22, item 5).

check --deploy is clean and a short SECRET_KEY is refused.

Each case runs Django in a fresh process, as a deployment would start it:
settings are read once at import, so they cannot be changed in this one.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    environment.update({"ARCADIA_ENV": "production", "DATABASE_URL": "sqlite:///:memory:", **env})
    environment.pop("DEBUG", None)
    # The browser fixture sets this in the test process (Playwright's loop);
    # a deployment never has it, and check --deploy rightly calls it an error.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_each_production_default_can_be_overridden():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    default = manage("shell", "-c", code, SECRET_KEY=GOOD_KEY)
    assert default.stdout.splitlines()[-1].split() == [
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    overridden = manage(
        "shell",
        "-c",
        code,
        SECRET_KEY=GOOD_KEY,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        SECURE_PROXY_SSL_HEADER="",
    )
    assert overridden.stdout.splitlines()[-1].split() == ["False", "0", "False", "None"]


@pytest.mark.parametrize("key", ["short-but-not-the-dev-key", "a" * 60])
def test_a_weak_secret_key_is_refused_in_production(key):
    result = manage("check", SECRET_KEY=key)
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr
