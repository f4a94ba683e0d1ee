"""The DigitalOcean budget in tests.

The suite talks to simulators without a limit, so every test starts with
both windows unlimited (settings and, for worker processes, the environment)
and a fresh budget and status snapshot; tests of the budget set their own
limits (``budget_limits``).
"""

from __future__ import annotations

import os

import pytest

UNLIMITED = {"ARCADIA_DO_RATE_LIMIT_PER_MINUTE": "0", "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "0"}
# Worker processes inherit the environment; a test passes its own limits in env=.
for _name, _value in UNLIMITED.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(autouse=True)
def _fresh_budget(settings):
    from inventory.budget import budget_reset
    from inventory.status_reads import status_reads_reset

    settings.ARCADIA_DO_RATE_LIMIT_PER_MINUTE = 0
    settings.ARCADIA_DO_RATE_LIMIT_PER_HOUR = 0
    budget_reset()
    status_reads_reset()
    yield
    budget_reset()
    status_reads_reset()
