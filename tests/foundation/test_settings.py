"""Settings: embedded defaults with no environment, services when configured."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "broker": settings.CELERY_BROKER_URL,
    "embedded": settings.ARCADIA_EMBEDDED_WORKER,
    "acks_late": settings.CELERY_TASK_ACKS_LATE,
    "api_url": settings.DIGITALOCEAN_API_URL,
    "debug": settings.DEBUG,
}))
"""


def _settings_with(env_overrides, tmp_path):
    """Load settings in a fresh interpreter with only the given environment."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "arcadia.settings", **env_overrides}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return result


def test_no_environment_falls_back_to_embedded_defaults(tmp_path):
    result = _settings_with({}, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["broker"] == "memory://"
    assert seen["embedded"] is True
    assert seen["acks_late"] is True
    assert seen["api_url"] == "http://127.0.0.1:8089/v2/"


def test_configured_services_are_used(tmp_path):
    result = _settings_with(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/arcadia",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["broker"] == "redis://127.0.0.1:6379/0"
    assert seen["embedded"] is False


def test_a_real_token_points_at_the_real_api_by_default(tmp_path):
    result = _settings_with({"DIGITALOCEAN_TOKEN": "dop_v1_example"}, tmp_path)
    assert json.loads(result.stdout)["api_url"] == "https://api.digitalocean.com/v2/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARCADIA_ENV": "production", "DEBUG": "false"}, "needs its own SECRET_KEY"),
        ({"ARCADIA_ENV": "production", "SECRET_KEY": "s3cr3t-" * 8, "DEBUG": "true"}, "refuses DEBUG"),
    ],
)
def test_production_refuses_development_settings(env, message, tmp_path):
    result = _settings_with(env, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_with_its_own_key_loads(tmp_path):
    result = _settings_with({"ARCADIA_ENV": "production", "SECRET_KEY": "s3cr3t-" * 8}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_celery_app_uses_delivery_rules():
    from arcadia.celery import app

    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.task_ignore_result is True
