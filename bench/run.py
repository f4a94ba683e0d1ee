"""``make bench``: Arcadia's speed and cost, next to Celery's own, in one run.

Phases (each prints as it goes; the table and a JSON file come at the end):

1. bare chains — N chains of 7 no-op tasks, same delivery settings;
2. sagas — N provisioning sagas started through the service layer, the
   simulator with zero delays, timed until every deployment is active;
3. cost — DB queries per step transition, DigitalOcean calls per
   deployment with the simulator's boot delay at 20 s and 100 in flight;
4. API — requests/s and p50/p99 of GET detail, POST create and a trivial
   authenticated endpoint, 16 loopback clients each;
5. budget and scale (bench/budget_phase.py) — 200 deployments at 600/minute
   (boot 10 s), then 1,000 at 250/minute bounded in time: time until all
   active against the floor the limit allows, 429s, calls per deployment,
   p50/p95 time-to-active, the most accepted requests in any minute.

Figures are printed, never asserted: these machines are noisy; compare
ratios from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from bench import budget_phase
from bench.harness import ROOT, Stack, wait_until

sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
REGION, SIZE, IMAGE = "nyc3", "s-1vcpu-1gb", "ubuntu-24-04-x64"


def main(argv=None) -> int:
    args = _parse(argv)
    figures: dict = {"args": vars(args)}
    fast = {
        "ARCADIA_DROPLET_POLL_INTERVAL": "0.2",
        "ARCADIA_DROPLET_BOOT_WAIT": "0",
        # No simulated limit here: the budget's cost is a permit check (budget_phase sets limits).
        "ARCADIA_DO_RATE_LIMIT_PER_MINUTE": "0",
        "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "0",
        "CONN_MAX_AGE": "60",
        # Production-like: with DEBUG every query is kept in memory.
        "DEBUG": "false",
    }
    with Stack(database="arcadia_bench", redis_db=4, env=fast) as stack:
        stack.prepare_database()
        sim = _start_simulator(stack)
        _django_setup(stack)
        stack.start_worker(concurrency=args.concurrency, include="bench.tasks")
        tenant = _tenant()

        figures["bare"] = bench_bare_chains(args.n)
        figures["sagas"] = bench_sagas(sim, tenant, args.n, prefix="thr")
        figures["ratio"] = round(figures["sagas"]["per_s"] / figures["bare"]["per_s"], 3)
        figures["queries"] = bench_queries_per_transition()
        figures["rss_after_throughput_mb"] = round(stack.worker_peak_rss_mb(), 1)
        if not args.quick:
            figures["calls"] = bench_api_calls(stack, sim, tenant, args.in_flight, args.boot_delay)
            figures["api"] = bench_api(stack, tenant, args.api_seconds)
            figures["budget"] = budget_phase.bench_budget(stack, sim, tenant)
            figures["scale"] = budget_phase.bench_scale(stack, sim, tenant, args.scale_n, args.scale_seconds)
        figures["worker_peak_rss_mb"] = round(stack.worker_peak_rss_mb(), 1)
    _report(figures, args.output)
    return 0


def _parse(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="sagas and bare chains in the throughput phase")
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes of the worker")
    parser.add_argument("--in-flight", type=int, default=100, help="sagas in the API-call-count phase")
    parser.add_argument("--boot-delay", type=float, default=20.0, help="simulated droplet boot, seconds")
    parser.add_argument("--api-seconds", type=float, default=8.0, help="duration of each API load")
    parser.add_argument("--scale-n", type=int, default=1000, help="sagas in flight in the scale phase")
    parser.add_argument("--scale-seconds", type=float, default=120.0, help="bound of the scale phase")
    parser.add_argument("--quick", action="store_true", help="throughput and queries only")
    parser.add_argument("--output", default=str(RESULTS / "bench.json"))
    return parser.parse_args(argv)


def _start_simulator(stack: Stack):
    base = stack.start_dosim("--boot-delay", "0")
    from dosim.control import DosimControl

    return DosimControl(base)


def _django_setup(stack: Stack) -> None:
    os.environ.update(stack.env)
    import django

    django.setup()


def _tenant():
    from deployments.services import tenant_user_create

    tenant, _user, _token = tenant_user_create(tenant_slug="bench", username="bench")
    return tenant


# --- 1. bare chains -------------------------------------------------------------
def bench_bare_chains(n: int) -> dict:
    import redis
    from celery import chain
    from django.conf import settings

    from bench.tasks import DONE_KEY, done, noop

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(DONE_KEY)
    started = time.perf_counter()
    for _ in range(n):
        chain(*[noop.si() for _ in range(6)], done.si()).apply_async()
    wait_until(lambda: int(client.get(DONE_KEY) or 0) >= n, timeout=600, interval=0.05, what="bare chains")
    elapsed = time.perf_counter() - started
    return _rate("bare chains", n, elapsed)


# --- 2. sagas ----------------------------------------------------------------------
def start_sagas(tenant, n: int, prefix: str) -> list[int]:
    from deployments.services import deployment_create

    ids = []
    for i in range(n):
        created = deployment_create(
            tenant=tenant, name=f"{prefix}{i}", region=REGION, size=SIZE, image=IMAGE, provision=True
        )
        ids.append(created.deployment.pk)
    return ids


def wait_settled(ids: list[int], timeout: float) -> dict:
    """Wait (bounded) until no deployment is provisioning; count outcomes."""
    from deployments.models import Deployment, DeploymentStatus

    def settled():
        return not Deployment.objects.filter(pk__in=ids, status=DeploymentStatus.PROVISIONING).exists()

    # A timeout is a figure too: the outcome counts say what did not finish.
    with contextlib.suppress(TimeoutError):
        wait_until(settled, timeout=timeout, interval=0.1, what="sagas")
    rows = Deployment.objects.filter(pk__in=ids).values_list("status", flat=True)
    return {status: list(rows).count(status) for status in set(rows)}


def bench_sagas(sim, tenant, n: int, prefix: str) -> dict:
    sim.reset(boot_delay=0)
    started = time.perf_counter()
    ids = start_sagas(tenant, n, prefix)
    outcome = wait_settled(ids, timeout=900)
    elapsed = time.perf_counter() - started
    figures = _rate("provisioning sagas", outcome.get("active", 0), elapsed)
    figures["outcome"] = outcome
    figures["api_calls_per_deployment"] = round(_api_calls(sim) / max(1, n), 2)
    return figures


# --- 3. cost -------------------------------------------------------------------------
def bench_queries_per_transition() -> dict:
    """Claim + record of one step of a real saga, in this process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provisioning.models import Saga, SagaStatus, SagaStep, StepStatus
    from provisioning.runner import step_claim, step_record_success

    saga = Saga.objects.create(kind="provision_deployment", status=SagaStatus.RUNNING, context={})
    names = ["a", "b", "c"]
    SagaStep.objects.bulk_create(SagaStep(saga=saga, index=i, name=n) for i, n in enumerate(names))
    SagaStep.objects.filter(saga=saga, index=0).update(status=StepStatus.SUCCEEDED)
    with CaptureQueriesContext(connection) as queries:
        claim = step_claim(saga_id=saga.id, index=1, owner="bench")
        step_record_success(claim, {"out": 1})
    statements = len(queries.captured_queries)
    print(f"  DB round trips per step transition (claim + record): {statements}, each autocommitted")
    return {"per_transition": statements}


def bench_api_calls(stack, sim, tenant, n: int, boot_delay: float) -> dict:
    """DigitalOcean calls per deployment with real-ish boot times: the
    worker runs with the real API's defaults (boot wait, 5 s polls)."""
    real_ish = {"ARCADIA_DROPLET_BOOT_WAIT": str(boot_delay), "ARCADIA_DROPLET_POLL_INTERVAL": "5"}
    stack.stop("worker")
    stack.start_worker(include="bench.tasks", env=real_ish)
    sim.reset(boot_delay=boot_delay)
    started = time.perf_counter()
    ids = start_sagas(tenant, n, prefix="calls")
    outcome = wait_settled(ids, timeout=boot_delay * 10 + 300)
    elapsed = time.perf_counter() - started
    calls = _api_calls(sim)
    per = round(calls / max(1, n), 2)
    counts = sim.state()["counts"]
    print(f"  {n} sagas with boot delay {boot_delay:g}s: {outcome} in {elapsed:.1f}s; {per} calls/deployment")
    stack.stop("worker")
    stack.start_worker(include="bench.tasks")
    return {
        "in_flight": n,
        "boot_delay": boot_delay,
        "per_deployment": per,
        "by_operation": counts,
        "outcome": outcome,
        "seconds": round(elapsed, 1),
    }


def _api_calls(sim) -> int:
    return sum(sim.state()["counts"].values())


# --- 4. API ------------------------------------------------------------------------
def bench_api(stack, tenant, seconds: float) -> dict:
    from rest_framework.authtoken.models import Token

    from bench.loadgen import run_load
    from deployments.models import Deployment

    base = stack.start_web(workers=2)
    token = Token.objects.get(user__username="bench").key
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    detail = Deployment.objects.filter(tenant=tenant, status="active").order_by("pk").first()
    results = [
        run_load("trivial GET /api/me/", f"{base}/api/me/", headers=headers, duration=seconds),
        run_load(
            "GET /api/deployments/{id}/",
            f"{base}/api/deployments/{detail.pk}/",
            headers=headers,
            duration=seconds,
        ),
        run_load(
            "POST /api/deployments/",
            f"{base}/api/deployments/",
            method="POST",
            headers=headers,
            body_factory=lambda i: json.dumps(
                {"name": f"api{i}", "region": REGION, "size": SIZE, "image": IMAGE, "provision": False}
            ).encode(),
            duration=seconds,
            expect=(201,),
        ),
    ]
    stack.stop("web")
    for result in results:
        print(
            f"  {result.label:32} {result.rps:8.1f} req/s  p50 {result.p50_ms:7.2f} ms"
            f"  p99 {result.p99_ms:7.2f} ms  errors {result.errors}"
        )
    trivial, get_detail = results[0], results[1]
    return {
        "results": [r.as_dict() for r in results],
        "detail_p99_over_trivial_p99": round(get_detail.p99_ms / max(trivial.p99_ms, 1e-6), 2),
    }


# --- 5. scale --------------------------------------------------------------------------
def bench_scale(stack, sim, tenant, n: int, seconds: float) -> dict:
    from deployments.models import Deployment

    sim.reset(boot_delay=0, rate_limit_per_minute=250)
    started = time.perf_counter()
    ids = start_sagas(tenant, n, prefix="scale")
    outcome = wait_settled(ids, timeout=seconds)
    elapsed = time.perf_counter() - started
    state = sim.state()
    too_many = sum(1 for r in state.get("requests", []) if r.get("status") == 429)
    calls = sum(state["counts"].values())
    active = Deployment.objects.filter(pk__in=ids, status="active").count()
    rss = stack.worker_peak_rss_mb()
    print(
        f"  {n} sagas under 250 req/min: {active} active after {elapsed:.0f}s, {calls} calls, "
        f"{too_many} answered 429 (in the request log), worker peak RSS {rss:.0f} MB"
    )
    return {
        "in_flight": n,
        "seconds": round(elapsed, 1),
        "active": active,
        "outcome": outcome,
        "api_calls": calls,
        "answered_429": too_many,
        "worker_peak_rss_mb": round(rss, 1),
    }


# --- report ----------------------------------------------------------------------------
def _rate(label: str, count: int, elapsed: float) -> dict:
    per_s = count / elapsed if elapsed else 0.0
    print(f"  {label}: {count} in {elapsed:.2f}s = {per_s:.1f}/s")
    return {"count": count, "seconds": round(elapsed, 2), "per_s": round(per_s, 2)}


TARGETS = [
    ("saga throughput / bare-chain throughput", lambda f: f["ratio"], ">= 0.6", lambda v: v >= 0.6),
    (
        "DB round trips per step transition",
        lambda f: f["queries"]["per_transition"],
        "<= 5",
        lambda v: v <= 5,
    ),
    (
        "DO calls per deployment (boot 20 s, 100 in flight)",
        lambda f: f["calls"]["per_deployment"],
        "<= 5",
        lambda v: v <= 5,
    ),
    ("worker peak RSS per process, MB", lambda f: f["worker_peak_rss_mb"], "<= 150", lambda v: v <= 150),
    (
        "GET detail p99 / trivial p99",
        lambda f: f["api"]["detail_p99_over_trivial_p99"],
        "<= 3",
        lambda v: v <= 3,
    ),
]


def _report(figures: dict, output: str) -> None:
    print("\n{:52} {:>10} {:>8}  {}".format("figure", "value", "target", "met"))
    for label, get, target, ok in TARGETS + budget_phase.TARGETS:
        try:
            value = get(figures)
        except KeyError:
            continue
        print(f"{label:52} {value:>10} {target:>8}  {'yes' if ok(value) else 'NO'}")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(figures, indent=2, default=str))
    print(f"\nwritten to {output}")


if __name__ == "__main__":
    sys.exit(main())
