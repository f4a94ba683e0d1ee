"""The budget phases of ``make bench``: Arcadia at DigitalOcean's rate limit.

``bench_budget``: 200 deployments through the service layer against a
simulator limited to 600 accepted requests a minute, droplets booting 10 s,
``ARCADIA_DO_BUDGET_SHARE=1.0`` (the simulator's token is not shared), a poll
cadence in proportion to the boot (first look after 8 s, then every 2 s), and
both windows fresh. ``bench_scale``: 1,000 at 250/minute, bounded in time.

Both print: time until all are active; the floor the limit allows at three
calls a deployment (create, DNS look-up, DNS write) and floor / actual; 429s
answered; accepted calls per deployment; p50 / p95 time-to-active; and the
most accepted requests in any sliding minute of the simulator's request log.
"""

from __future__ import annotations

import contextlib
import os
import time

from bench.harness import wait_until
from bench.targets import Target, print_table
from dosim.ratelimit import most_in_any_window

CALLS_PER_DEPLOYMENT = 3
REGION, SIZE, IMAGE = "nyc3", "s-1vcpu-1gb", "ubuntu-24-04-x64"


def bench_budget(stack, sim, tenant, *, n=200, per_minute=600, boot=10.0, first_look=8.0, poll=2.0) -> dict:
    env = {"ARCADIA_DROPLET_BOOT_WAIT": str(first_look), "ARCADIA_DROPLET_POLL_INTERVAL": str(poll)}
    return _phase(stack, sim, tenant, "budget", n=n, per_minute=per_minute, boot=boot, env=env, timeout=600)


def bench_scale(stack, sim, tenant, n: int, seconds: float) -> dict:
    env = {"ARCADIA_DROPLET_BOOT_WAIT": "0", "ARCADIA_DROPLET_POLL_INTERVAL": "0.2"}
    figures = _phase(stack, sim, tenant, "scale", n=n, per_minute=250, boot=0.0, env=env, timeout=seconds)
    figures["worker_peak_rss_mb"] = round(stack.worker_peak_rss_mb(), 1)
    return figures


def _phase(stack, sim, tenant, prefix, *, n, per_minute, boot, env, timeout) -> dict:
    limits = {
        "ARCADIA_DO_RATE_LIMIT_PER_MINUTE": str(per_minute),
        "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "0",
        "ARCADIA_DO_BUDGET_SHARE": "1.0",
    }
    stack.stop("worker")
    # Fresh windows on both sides: the simulator's and the budget's.
    sim.reset(
        boot_delay=boot, rate_limit_per_minute=per_minute, rate_limit_per_hour=0, log_size=max(20_000, n * 20)
    )
    _budget_reset()
    stack.start_worker(
        env={**limits, **env, "LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG_LEVEL", "WARNING")}
    )
    with same_limits(limits):
        started = time.time()
        sagas = _start(tenant, n, prefix)
        done = _wait(sagas, timeout)
    figures = _figures(sim, sagas, started, n=n, per_minute=per_minute, done=done)
    figures.update(in_flight=n, per_minute=per_minute, boot_delay=boot)
    _print(prefix, figures)
    # A bounded phase's unfinished sagas wait out countdowns their budget
    # set (minutes, for the scale phase's queue of creates): a worker
    # restarted on other limits would not hurry them, so the phases whose
    # sagas may not finish run last (see bench/run.py).
    stack.stop("worker")
    stack.start_worker()
    return figures


def same_limits(limits: dict):
    """This process (the service layer, as the web would be) on the worker's
    limits: a POST's catalog read then counts in the same budget as the
    worker's calls (on the bench's unlimited settings it counted in none,
    and three requests the budget never saw could meet a full window)."""
    from django.test import override_settings

    return override_settings(**limits)


def _budget_reset() -> None:
    from inventory.budget import budget_reset
    from inventory.status_reads import status_reads_reset

    budget_reset()
    status_reads_reset()


def _start(tenant, n: int, prefix: str) -> list[int]:
    from deployments.services import deployment_create

    return [
        deployment_create(
            tenant=tenant, name=f"{prefix}{i}", region=REGION, size=SIZE, image=IMAGE, provision=True
        ).deployment.pk
        for i in range(n)
    ]


def _wait(ids: list[int], timeout: float) -> bool:
    from deployments.models import Deployment, DeploymentStatus

    def finished():
        return not Deployment.objects.filter(pk__in=ids, status=DeploymentStatus.PROVISIONING).exists()

    with contextlib.suppress(TimeoutError):
        wait_until(finished, timeout=timeout, interval=0.5, what="sagas")
        return True
    return False


def _figures(sim, ids, started: float, *, n: int, per_minute: int, done: bool) -> dict:
    from deployments.models import Deployment, DeploymentStatus

    # A deployment's row is last written when it becomes active.
    active = Deployment.objects.filter(pk__in=ids, status=DeploymentStatus.ACTIVE)
    succeeded = sorted(at.timestamp() - started for at in active.values_list("updated_at", flat=True))
    log = sim.state()["requests"]
    answered_429 = sum(1 for r in log if r.get("status") == 429)
    accepted = [r["time"] for r in log if r.get("status") not in (429, None)]
    total = succeeded[-1] if done and succeeded else time.time() - started
    by_operation: dict[str, int] = {}
    for r in log:
        if r.get("status") not in (429, None):
            by_operation[r["operation"]] = by_operation.get(r["operation"], 0) + 1
    timeline = {}  # accepted calls and activations per 10 s after the start
    for r in log:
        if r.get("status") not in (429, None):
            bucket = timeline.setdefault(int((r["time"] - started) // 10) * 10, {"calls": 0, "active": 0})
            bucket["calls"] += 1
    for at in succeeded:
        timeline.setdefault(int(at // 10) * 10, {"calls": 0, "active": 0})["active"] += 1
    floor = n * CALLS_PER_DEPLOYMENT / per_minute * 60
    return {
        "active": len(succeeded),
        "all_active": done and len(succeeded) == n,
        "seconds_until_all_active": round(total, 1),
        "floor_seconds": round(floor, 1),
        "floor_over_actual": round(floor / total, 3) if total else None,
        "answered_429": answered_429,
        "accepted_calls": len(accepted),
        "calls_per_deployment": round(len(accepted) / max(1, len(succeeded)), 2),
        "p50_time_to_active": _quantile(succeeded, 0.5),
        "p95_time_to_active": _quantile(succeeded, 0.95),
        "p50_over_total": round(_quantile(succeeded, 0.5) / total, 3) if succeeded and total else None,
        "max_accepted_in_any_minute": most_in_any_window(accepted, 60.0),
        "by_operation": by_operation,
        "timeline": dict(sorted(timeline.items())),
    }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _print(name: str, f: dict) -> None:
    print(
        f"  {name}: {f['in_flight']} deployments at {f['per_minute']}/min, boot {f['boot_delay']:g}s: "
        f"{f['active']} active, all after {f['seconds_until_all_active']}s "
        f"(floor {f['floor_seconds']}s, floor/actual {f['floor_over_actual']}); "
        f"{f['answered_429']} x 429; {f['calls_per_deployment']} accepted calls/deployment; "
        f"time-to-active p50 {f['p50_time_to_active']}s p95 {f['p95_time_to_active']}s; "
        f"max accepted in any minute {f['max_accepted_in_any_minute']}"
    )


TARGETS = [
    Target("budget: 429s answered", ("budget", "answered_429"), "==", 0),
    Target("budget: accepted calls per deployment", ("budget", "calls_per_deployment"), "<=", 3.2),
    Target("budget: floor / time until all active", ("budget", "floor_over_actual"), ">=", 0.9),
    Target("budget: p50 time-to-active / total", ("budget", "p50_over_total"), "<=", 0.6),
    Target(
        "budget: max accepted in any minute (limit 600)", ("budget", "max_accepted_in_any_minute"), "<=", 600
    ),
    Target("scale: 429s answered", ("scale", "answered_429"), "==", 0),
    Target(
        "scale: max accepted in any minute (limit 250)", ("scale", "max_accepted_in_any_minute"), "<=", 250
    ),
]


def main() -> int:
    """``python -m bench.budget_phase``: only these phases (the full run is ``make bench``)."""
    import json
    import os

    from bench.harness import Stack

    env = {"CONN_MAX_AGE": "60", "DEBUG": "false"}
    figures = {}
    with Stack(database="arcadia_bench_budget", redis_db=5, env=env) as stack:
        stack.prepare_database()
        from dosim.client import DosimClient

        sim = DosimClient(stack.start_dosim("--boot-delay", "0"))
        os.environ.update(stack.env)
        import django

        django.setup()
        from deployments.tenants import tenant_user_create

        tenant, _user, _token = tenant_user_create(tenant_slug="bench", username="bench")
        stack.start_worker()
        figures["budget"] = bench_budget(stack, sim, tenant)
        if "--with-scale" in os.sys.argv:
            figures["scale"] = bench_scale(stack, sim, tenant, 1000, 120.0)
    print_table(figures, TARGETS)
    print(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
