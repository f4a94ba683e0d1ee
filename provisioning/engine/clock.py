"""The engine's clock: one ``now`` for every timestamp it writes or compares
(leases, events, the sweeper's stall cutoff), so tests and readers agree on
where time comes from."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
