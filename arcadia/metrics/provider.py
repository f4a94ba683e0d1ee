"""The DigitalOcean series: the shared budget's windows, its waiters and its
pause, and the 429s DigitalOcean answered. Read from the budget's store
(Redis, shared by every process) through ``inventory.budget``'s facade; no
database query.

A store that does not answer costs its series, not the scrape:
``arcadia_metrics_source_up{source="budget"}`` goes to 0.
"""

from __future__ import annotations

import logging
import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from inventory.budget import budget_status

log = logging.getLogger("arcadia.metrics")

WINDOWS = ("minute", "hour")


def provider_families() -> tuple[list, bool]:
    """The series and whether the store answered."""
    try:
        status = budget_status()
    except Exception as exc:  # the store is down: say so in a series, keep the rest
        log.warning("saga=- step=- metrics: the budget store did not answer: %s", type(exc).__name__)
        return [], False
    return _families(status), True


def _families(status: dict) -> list:
    limit = GaugeMetricFamily(
        "arcadia_digitalocean_budget_limit",
        "Requests Arcadia allows itself in the window.",
        labels=["window"],
    )
    used = GaugeMetricFamily(
        "arcadia_digitalocean_budget_used", "Requests counted in the window.", labels=["window"]
    )
    left = GaugeMetricFamily(
        "arcadia_digitalocean_budget_left", "Requests left in the window.", labels=["window"]
    )
    for name in WINDOWS:
        window = status[name]
        used.add_metric([name], window["used"])
        if window["limit"] is not None:  # a window without a limit has nothing to be left of
            limit.add_metric([name], window["limit"])
            left.add_metric([name], window["left"])
    waiting = GaugeMetricFamily(
        "arcadia_digitalocean_permits_waiting", "Callers waiting for a permit, by lane.", labels=["lane"]
    )
    for lane, n in status["waiting_by_lane"].items():
        waiting.add_metric([lane], n)
    paused_until = status["paused_until"]
    paused = GaugeMetricFamily(
        "arcadia_digitalocean_pause_seconds",
        "Seconds left of the pause a 429 put on every caller of the token (0: none).",
        value=max(0.0, paused_until - time.time()) if paused_until else 0.0,
    )
    answered = CounterMetricFamily(
        "arcadia_digitalocean_429_responses",
        "429 answers from DigitalOcean, counted by the budget's store.",
        value=status["answered_429"],
    )
    return [limit, used, left, waiting, paused, answered]
