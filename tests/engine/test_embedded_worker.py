"""The embedded mode end to end, as ``runserver`` with no broker runs it: a
fresh process on SQLite and ``memory://``, whose first saga message starts
the in-process worker by itself. Success, a failure with compensation (an
errback) and retries with countdowns all run there."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, time
import django
django.setup()
from provisioning.engine import SAGA_TERMINAL_STATUSES, Saga
from provisioning.engine import saga_start
from provisioning.engine.embedded import embedded_worker_running

started = [
    saga_start(kind="fake_five", context={}),
    saga_start(kind="fake_five", context={"fail_at": "s2", "flaky": {"s1": 2}}),
]
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    sagas = [Saga.objects.get(id=s.id) for s in started]
    if all(s.status in SAGA_TERMINAL_STATUSES for s in sagas):
        break
    time.sleep(0.05)
trail = lambda s, e: [r.detail["step"] for r in s.events.filter(event=e).order_by("id")]
print(json.dumps({
    "autostarted": embedded_worker_running(),
    "statuses": [s.status for s in sagas],
    "compensated": trail(sagas[1], "fake.compensate"),
    "s1_attempts": sagas[1].steps.get(name="s1").attempts,
}))
"""


def test_a_process_without_a_broker_runs_sagas_on_its_own_embedded_worker(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "ARCADIA_EMBEDDED_AUTOSTART")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "arcadia.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "ARCADIA_EXTRA_SAGA_DEFINITIONS": "tests.support.fake_steps.FIVE_STEPS",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-4000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    assert seen["autostarted"] is True
    assert seen["statuses"] == ["succeeded", "compensated"]
    assert seen["compensated"] == ["s2", "s1", "s0"]
    assert seen["s1_attempts"] == 3
