"""The tenant phases of ``make bench``: fair share and a window running out.

``bench_fairness``: a simulator limited to 250 accepted requests a minute,
droplets booting 10 s, ``ARCADIA_DO_BUDGET_SHARE=1.0``. Tenant A POSTs 200
deployments, then tenant B POSTs 3. Prints B's time-to-active from its own
POST (p50, max), A's time until all active against its floor (200 x 3 / 250
minutes = 144 s), 429s, and the largest gap between two consecutive permits
B waited (from the simulator's log of B's requests).

``bench_exhausted``: an hourly limit of 120 (Arcadia told so), no minute
limit, 60 deployments, boot 2 s. After 150 s: deployments active, droplets
bought but not active, 429s and sagas rolled back.
"""

from __future__ import annotations

import os
import time

from bench.budget_phase import IMAGE, REGION, SIZE, _budget_reset, _quantile, _wait, same_limits
from bench.targets import Target

FAIR_PER_MINUTE, FAIR_BOOT, FAIR_A, FAIR_B = 250, 10.0, 200, 3
EXHAUSTED_PER_HOUR, EXHAUSTED_N, EXHAUSTED_BOOT, EXHAUSTED_AFTER = 120, 60, 2.0, 150.0


def bench_fairness(stack, sim) -> dict:
    limits = {"ARCADIA_DO_RATE_LIMIT_PER_MINUTE": str(FAIR_PER_MINUTE), "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "0"}
    with same_limits({**limits, "ARCADIA_DO_BUDGET_SHARE": "1.0"}):
        return _fairness(stack, sim, limits)


def _fairness(stack, sim, limits: dict) -> dict:
    acme, globex = _tenant("fair-a"), _tenant("fair-b")
    poll = {"ARCADIA_DROPLET_BOOT_WAIT": "8", "ARCADIA_DROPLET_POLL_INTERVAL": "2"}
    _fresh(stack, sim, {**limits, **poll}, boot=FAIR_BOOT, per_minute=FAIR_PER_MINUTE)
    started = time.time()
    a_ids = _post(acme, FAIR_A, "a")
    b_posted = time.time()
    b_ids = _post(globex, FAIR_B, "b")
    done = _wait(a_ids + b_ids, timeout=900)
    a_active, b_active = _active_at(a_ids), _active_at(b_ids)
    a_total = (max(a_active) if done and a_active else time.time()) - started
    b_times = sorted(at - b_posted for at in b_active)
    floor = FAIR_A * 3 / FAIR_PER_MINUTE * 60
    log = sim.state()["requests"]
    figures = {
        "b_active": len(b_times),
        "b_p50_time_to_active": _quantile(b_times, 0.5),
        "b_max_time_to_active": round(b_times[-1], 1) if len(b_times) == FAIR_B else None,
        "a_active": len(a_active),
        "a_seconds_until_all_active": round(a_total, 1),
        "a_floor_seconds": round(floor, 1),
        "a_floor_over_actual": round(floor / a_total, 3) if a_total else None,
        "answered_429": sum(1 for r in log if r.get("status") == 429),
        "b_largest_gap_between_permits": _largest_gap(log, globex.slug, b_posted),
    }
    print(
        f"  fairness: A {FAIR_A} then B {FAIR_B} at {FAIR_PER_MINUTE}/min, boot {FAIR_BOOT:g}s: "
        f"B time-to-active p50 {figures['b_p50_time_to_active']}s max {figures['b_max_time_to_active']}s; "
        f"A all active after {figures['a_seconds_until_all_active']}s (floor {figures['a_floor_seconds']}s, "
        f"floor/actual {figures['a_floor_over_actual']}); {figures['answered_429']} x 429; "
        f"largest gap between B's permits {figures['b_largest_gap_between_permits']}s"
    )
    _restore(stack)
    return figures


def bench_exhausted(stack, sim) -> dict:
    limits = {
        "ARCADIA_DO_RATE_LIMIT_PER_MINUTE": "0",
        "ARCADIA_DO_RATE_LIMIT_PER_HOUR": str(EXHAUSTED_PER_HOUR),
    }
    with same_limits({**limits, "ARCADIA_DO_BUDGET_SHARE": "1.0"}):
        return _exhausted(stack, sim, limits)


def _exhausted(stack, sim, limits: dict) -> dict:
    tenant = _tenant("window")
    poll = {"ARCADIA_DROPLET_BOOT_WAIT": "2", "ARCADIA_DROPLET_POLL_INTERVAL": "1"}
    _fresh(stack, sim, {**limits, **poll}, boot=EXHAUSTED_BOOT, per_hour=EXHAUSTED_PER_HOUR)
    ids = _post(tenant, EXHAUSTED_N, "w")
    time.sleep(EXHAUSTED_AFTER)
    from deployments.models import Deployment, DeploymentStatus
    from provisioning.engine import Saga, SagaStatus

    active = Deployment.objects.filter(pk__in=ids, status=DeploymentStatus.ACTIVE).count()
    bought = [d for d in sim.state()["droplets"] if any(t.startswith("arcadia-saga-") for t in d["tags"])]
    rolled_back = Saga.objects.filter(
        subject_id__in=[str(i) for i in ids], status__in=[SagaStatus.COMPENSATING, SagaStatus.COMPENSATED]
    ).count()
    log = sim.state()["requests"]
    figures = {
        "active": active,
        "droplets_waiting": len(bought) - active,
        "answered_429": sum(1 for r in log if r.get("status") == 429),
        "rolled_back": rolled_back,
        "accepted_calls": sum(1 for r in log if r.get("status") not in (429, None)),
        "by_operation": _by_operation(log),
    }
    print(
        f"  exhausted window: {EXHAUSTED_N} deployments, {EXHAUSTED_PER_HOUR}/hour, "
        f"boot {EXHAUSTED_BOOT:g}s, "
        f"after {EXHAUSTED_AFTER:g}s: {active} active, {figures['droplets_waiting']} droplets bought and "
        f"waiting, {figures['answered_429']} x 429, {rolled_back} rolled back, "
        f"{figures['accepted_calls']} calls accepted"
    )
    _restore(stack)
    return figures


def _by_operation(log: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in log:
        if r.get("status") not in (429, None):
            counts[r["operation"]] = counts.get(r["operation"], 0) + 1
    return counts


def _tenant(slug: str):
    from deployments.models import Tenant

    return Tenant.objects.get_or_create(slug=slug, defaults={"name": slug})[0]


def _fresh(stack, sim, env: dict, *, boot: float, per_minute: int = 0, per_hour: int = 0) -> None:
    stack.stop("worker")
    sim.reset(
        boot_delay=boot, rate_limit_per_minute=per_minute, rate_limit_per_hour=per_hour, log_size=40_000
    )
    _budget_reset()
    env = {**env, "ARCADIA_DO_BUDGET_SHARE": "1.0"}
    stack.start_worker(env={**env, "LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG_LEVEL", "WARNING")})


def _restore(stack) -> None:
    stack.stop("worker")
    _budget_reset()
    stack.start_worker()


def _post(tenant, n: int, prefix: str) -> list[int]:
    from deployments.services import deployment_create

    stamp = int(time.time()) % 100_000
    return [
        deployment_create(
            tenant=tenant, name=f"{prefix}{stamp}-{i}", region=REGION, size=SIZE, image=IMAGE, provision=True
        ).deployment.pk
        for i in range(n)
    ]


def _active_at(ids: list[int]) -> list[float]:
    from deployments.models import Deployment, DeploymentStatus

    # A deployment's row is last written when it becomes active.
    rows = Deployment.objects.filter(pk__in=ids, status=DeploymentStatus.ACTIVE)
    return [at.timestamp() for at in rows.values_list("updated_at", flat=True)]


def _largest_gap(log: list[dict], slug: str, since: float) -> float | None:
    """The longest wait between two consecutive accepted requests of B's
    deployments, from B's POST on: its creates and DNS writes carry a name
    with B's slug, its DNS look-ups ask for one."""

    def whose(r: dict) -> bool:
        return slug in (r.get("name") or "") or any(slug in str(v) for v in (r.get("query") or {}).values())

    times = sorted(r["time"] for r in log if r.get("status") not in (429, None) and whose(r))
    times = [since, *times] if times else []
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    return round(max(gaps), 1) if gaps else None


TARGETS = [
    Target("fairness: B's max time-to-active (s)", ("fairness", "b_max_time_to_active"), "<=", 30.0),
    Target("fairness: A's floor / time until all active", ("fairness", "a_floor_over_actual"), ">=", 0.85),
    Target("fairness: 429s answered", ("fairness", "answered_429"), "==", 0),
    Target("exhausted: droplets bought and waiting", ("exhausted", "droplets_waiting"), "<=", 2),
    Target("exhausted: 429s answered", ("exhausted", "answered_429"), "==", 0),
    Target("exhausted: rolled back", ("exhausted", "rolled_back"), "==", 0),
    Target("exhausted: active (of 60)", ("exhausted", "active"), ">=", 36),
]


def main() -> int:
    """``python -m bench.tenants_phase``: only these phases (the full run is ``make bench``)."""
    import json
    import sys

    from bench.harness import Stack
    from bench.targets import print_table

    figures = {}
    with Stack(
        database=os.environ.get("BENCH_DATABASE", "arcadia_bench_tenants"),
        redis_db=int(os.environ.get("BENCH_REDIS_DB", "6")),
        env={"CONN_MAX_AGE": "60", "DEBUG": "false"},
    ) as stack:
        stack.prepare_database()
        from dosim.client import DosimClient

        sim = DosimClient(stack.start_dosim("--boot-delay", "0"))
        os.environ.update(stack.env)
        import django

        django.setup()
        stack.start_worker()
        if "--exhausted-only" not in sys.argv:
            figures["fairness"] = bench_fairness(stack, sim)
        if "--fairness-only" not in sys.argv:
            figures["exhausted"] = bench_exhausted(stack, sim)
    print_table(figures, [t for t in TARGETS if t.path[0] in figures])
    print(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
