"""``make bench``: Arcadia's speed and cost, next to Celery's own, in one run.

Phases (each prints as it goes; the table and a JSON file come at the end):

0. counted — SQL statements per saga: a few sagas on a worker that counts
   every statement its pool processes send (``bench/sql_count.py``), and
   the service layer's, counted in this process;
1. plain Celery, then sagas, in interleaved rounds (``--rounds``; medians):
   N chains of the plain-Celery baseline (``bench/plain/``: no Arcadia code,
   the same delivery settings and external work), then N provisioning sagas
   started through the service layer, the simulator with zero delays, each
   timed until every chain or deployment is done, with the worker's CPU
   seconds (``/proc``: main and pool processes) over the phase;
2. observability (bench/observability_phase.py) — the same saga round with
   tracing off and no scrape, with ``/metrics`` scraped every second, and
   with spans exported over OTLP to nothing listening (``--obs-rounds``,
   interleaved; medians): throughput, worker CPU per saga, each one's cost;
3. cost — DB queries per step transition, DigitalOcean calls per
   deployment with the simulator's boot delay at 20 s and 100 in flight;
4. API — requests/s and p50/p99 of GET detail, POST create and a trivial
   authenticated endpoint, 16 loopback clients each;
5. budget, tenants and scale (bench/budget_phase.py, bench/tenants_phase.py)
   — 200 deployments at 600/minute (boot 10 s); fairness: tenant A's 200 at
   250/minute then tenant B's 3 (B's time-to-active, A's floor / actual);
   an hourly window of 120 running out under 60 deployments (active,
   droplets bought and waiting, 429s, rollbacks); last, 1,000 at 250/minute
   bounded in time. The budget and scale phases print time until all active
   against the floor the limit allows, 429s, calls per deployment, p50/p95
   time-to-active, the most accepted requests in any minute. The two
   bounded phases come last: their unfinished sagas keep the countdowns
   their budget gave them, and would share a later phase's budget.

Figures are printed, never asserted: these machines are noisy; compare
ratios from the same run.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

from bench import budget_phase, observability_phase, tenants_phase
from bench.harness import ROOT, Stack, wait_until
from bench.targets import Target, print_table

sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
REGION, SIZE, IMAGE = "nyc3", "s-1vcpu-1gb", "ubuntu-24-04-x64"


def main(argv=None) -> int:
    args = _parse(argv)
    # SIGTERM (and SIGINT, which a shell ignores in background jobs) must
    # still stop every process the stack started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
        # The plain baseline's python-digitalocean: the same timeout as the gateway's.
        "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC": "15",
    }
    # Several checkouts share the machine's PostgreSQL and Redis: each can
    # name its own database and Redis db so that two runs never collide.
    database = os.environ.get("BENCH_DATABASE", "arcadia_bench")
    redis_db = int(os.environ.get("BENCH_REDIS_DB", "4"))
    with Stack(database=database, redis_db=redis_db, env=fast) as stack:
        stack.prepare_database()
        sim = _start_simulator(stack)
        _django_setup(stack)
        tenant = _tenant()
        print(f"  machine: {_uptime()}")

        if args.only:
            # One or more of the long phases alone, on a worker of their own.
            stack.start_worker(concurrency=args.concurrency)
            _long_phases(stack, sim, tenant, args, figures, args.only)
        else:
            _all_phases(stack, sim, tenant, args, figures)
        figures["worker_peak_rss_mb"] = round(stack.worker_peak_rss_mb(), 1)
        figures["machine_after"] = _uptime()
    _report(figures, args.output)
    return 0


LONG_PHASES = ("calls", "api", "budget", "fairness", "exhausted", "scale")


def _all_phases(stack, sim, tenant, args, figures: dict) -> None:
    figures["sql"] = bench_sql_per_saga(stack, sim, tenant, args.count_n)
    stack.start_worker(concurrency=args.concurrency)
    stack.start_worker(name="plain", app="bench.plain.app", concurrency=args.concurrency)
    plain_prepare(stack)
    rounds = []
    for r in range(args.rounds):
        plain = bench_plain(stack, sim, args.n, prefix=f"p{r}-")
        with _profiled(stack, figures, on=args.profile and r == 0):
            sagas = bench_sagas(sim, tenant, args.n, prefix=f"thr{r}-", stack=stack)
        rounds.append({"plain": plain, "sagas": sagas})
    figures["rounds"] = rounds
    figures["plain"] = _median_phase([x["plain"] for x in rounds])
    figures["sagas"] = _median_phase([x["sagas"] for x in rounds])
    figures["ratio"] = round(figures["sagas"]["per_s"] / figures["plain"]["per_s"], 3)
    figures["ratio_by_round"] = [round(x["sagas"]["per_s"] / x["plain"]["per_s"], 3) for x in rounds]
    print(
        f"  sagas/s / plain chains/s: {figures['ratio']} (rounds: {figures['ratio_by_round']}); "
        f"worker CPU per saga {figures['sagas']['cpu_ms_per']} ms, "
        f"per plain chain {figures['plain']['cpu_ms_per']} ms"
    )
    stack.stop("plain")
    figures["queries"] = bench_queries_per_transition()
    figures["rss_after_throughput_mb"] = round(stack.worker_peak_rss_mb(), 1)
    if args.obs_rounds:
        figures["observability"] = observability_phase.bench_observability(
            stack,
            sim,
            tenant,
            run_sagas=bench_sagas,
            n=args.n,
            rounds=args.obs_rounds,
            concurrency=args.concurrency,
        )
    if not args.quick:
        _long_phases(stack, sim, tenant, args, figures, LONG_PHASES)


def _long_phases(stack, sim, tenant, args, figures: dict, names) -> None:
    """The phases ``names`` names, always in this order."""
    if "calls" in names:
        figures["calls"] = bench_api_calls(stack, sim, tenant, args.in_flight, args.boot_delay)
    if "api" in names:
        figures["api"] = bench_api(stack, tenant, args.api_seconds)
    if "budget" in names:
        figures["budget"] = budget_phase.bench_budget(stack, sim, tenant)
    if "fairness" in names:
        figures["fairness"] = tenants_phase.bench_fairness(stack, sim)
    # Last, the two bounded phases, whose unfinished sagas keep their
    # budget's countdowns: the exhausted window's (an hour away, they
    # take nothing from the scale phase), then the scale phase's
    # (~850 left; run earlier, they shared the fairness phase's budget
    # and held A at 0.16 of its floor).
    if "exhausted" in names:
        figures["exhausted"] = tenants_phase.bench_exhausted(stack, sim)
    if "scale" in names:
        figures["scale"] = budget_phase.bench_scale(stack, sim, tenant, args.scale_n, args.scale_seconds)


@contextlib.contextmanager
def _profiled(stack, figures: dict, on: bool):
    """Sample the worker's pool processes with py-spy while the block runs."""
    if not on:
        yield
        return
    from bench import profile

    raw = RESULTS / "profile-sagas.txt"
    pid = stack.procs["worker"].pid
    with profile.Profile(pid, raw):
        yield
    figures["profile"] = profile.top(raw, exclude_pid=pid)
    profile.print_top(figures["profile"])


def _uptime() -> str:
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"load average {', '.join(load)} on {os.cpu_count()} cores"


def _median_phase(phases: list[dict]) -> dict:
    """The median round of a phase (by rate), with every round's rate."""
    ordered = sorted(phases, key=lambda p: p["per_s"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["per_s_rounds"] = [p["per_s"] for p in phases]
    middle["cpu_ms_per"] = round(statistics.median(p["cpu_ms_per"] for p in phases), 1)
    return middle


def _parse(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="sagas and plain chains per throughput round")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds of plain chains and sagas")
    parser.add_argument("--count-n", type=int, default=20, help="sagas in the counted (SQL) phase")
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes of the worker")
    parser.add_argument("--in-flight", type=int, default=100, help="sagas in the API-call-count phase")
    parser.add_argument("--boot-delay", type=float, default=20.0, help="simulated droplet boot, seconds")
    parser.add_argument("--api-seconds", type=float, default=8.0, help="duration of each API load")
    parser.add_argument("--scale-n", type=int, default=1000, help="sagas in flight in the scale phase")
    parser.add_argument("--scale-seconds", type=float, default=120.0, help="bound of the scale phase")
    parser.add_argument(
        "--obs-rounds", type=int, default=2, help="rounds of the observability phase's three modes (0: skip)"
    )
    parser.add_argument("--quick", action="store_true", help="throughput, queries and observability only")
    parser.add_argument(
        "--only",
        type=_phase_names,
        default=[],
        metavar="PHASE,...",
        help=f"only these of the long phases ({', '.join(LONG_PHASES)}), no throughput rounds; "
        "figures to compare with each other, not with a full run's targets",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the pool processes in the first saga round"
    )
    parser.add_argument("--output", default=str(RESULTS / "bench.json"))
    return parser.parse_args(argv)


def _phase_names(value: str) -> list[str]:
    names = [name for name in value.split(",") if name]
    unknown = sorted(set(names) - set(LONG_PHASES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"no phase {', '.join(unknown)}: choose from {', '.join(LONG_PHASES)}"
        )
    return names


def _start_simulator(stack: Stack):
    base = stack.start_dosim("--boot-delay", "0")
    from dosim.client import DosimClient

    return DosimClient(base)


def _django_setup(stack: Stack) -> None:
    os.environ.update(stack.env)
    import django

    django.setup()


def _tenant():
    from deployments.tenants import tenant_user_create

    tenant, _user, _token = tenant_user_create(tenant_slug="bench", username="bench")
    return tenant


# --- 0. counted ---------------------------------------------------------------------
WRITE_KEYWORDS = ("INSERT", "UPDATE", "DELETE", "WITH")  # WITH: the fast path's data-modifying CTE


def bench_sql_per_saga(stack, sim, tenant, n: int) -> dict:
    """SQL statements per saga, counted: the worker's (every statement its
    pool processes send, ``bench/sql_count.py``) and the service layer's
    (``deployment_create`` in this process)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import sql_count

    stack.start_worker(name="counted", include="bench.sql_count")
    sql_count.reset()
    sim.reset(boot_delay=0)
    with CaptureQueriesContext(connection) as service:
        ids = start_sagas(tenant, n, prefix="count")
    outcome = wait_settled(ids, timeout=300)
    time.sleep(1.0)  # the last task's counts leave after it returns
    worker = sql_count.counts()
    stack.stop("counted")
    service_kinds = collections.Counter(sql_count.keyword(q["sql"]) for q in service)
    per = {k: round(v / n, 2) for k, v in sorted(worker.items())}
    figures = {
        "sagas": n,
        "outcome": outcome,
        "worker_per_saga": round(sum(worker.values()) / n, 2),
        "worker_writes_per_saga": round(sum(v for k, v in worker.items() if k in WRITE_KEYWORDS) / n, 2),
        "worker_by_keyword": per,
        "service_per_saga": round(len(service) / n, 2),
        "service_writes_per_saga": round(
            sum(v for k, v in service_kinds.items() if k in WRITE_KEYWORDS) / n, 2
        ),
        "service_by_keyword": {k: round(v / n, 2) for k, v in sorted(service_kinds.items())},
        "api_calls_per_deployment": round(_api_calls(sim) / n, 2),
    }
    figures["per_saga"] = round(figures["worker_per_saga"] + figures["service_per_saga"], 2)
    print(
        f"  SQL statements per saga (counted, {n} sagas {outcome}): {figures['per_saga']} = "
        f"worker {figures['worker_per_saga']} {per} + service layer {figures['service_per_saga']} "
        f"{figures['service_by_keyword']}; writes: worker {figures['worker_writes_per_saga']}, "
        f"service {figures['service_writes_per_saga']}"
    )
    return figures


# --- 1. plain Celery -----------------------------------------------------------------
def plain_prepare(stack) -> None:
    import psycopg2

    from bench.plain.chain import SCHEMA

    with psycopg2.connect(stack.env["DATABASE_URL"]) as db, db.cursor() as cur:
        cur.execute(SCHEMA)


def bench_plain(stack, sim, n: int, prefix: str) -> dict:
    import psycopg2
    import redis

    from bench.plain.chain import DONE_KEY, WRITES, publish

    sim.reset(boot_delay=0)
    client = redis.Redis.from_url(stack.env["CELERY_BROKER_URL"])
    client.delete(DONE_KEY)
    db = psycopg2.connect(stack.env["DATABASE_URL"])
    cpu = stack.worker_cpu_seconds("plain")
    started = time.perf_counter()
    with db.cursor() as cur:
        for i in range(n):
            publish(cur, f"{prefix}{i}", service_writes=PLAIN_SERVICE_WRITES)
    wait_until(lambda: int(client.get(DONE_KEY) or 0) >= n, timeout=600, interval=0.05, what="plain chains")
    elapsed = time.perf_counter() - started
    db.close()
    figures = _rate("plain Celery chains", n, elapsed, cpu=stack.worker_cpu_seconds("plain") - cpu)
    figures["api_calls_per_chain"] = round(_api_calls(sim) / max(1, n), 2)
    figures["sql_writes_per_chain"] = sum(map(len, WRITES)) + PLAIN_SERVICE_WRITES
    return figures


# The service layer's writes per saga (``make bench``, counted phase), which
# the plain publisher makes too, in one transaction.
PLAIN_SERVICE_WRITES = 5


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


def bench_sagas(sim, tenant, n: int, prefix: str, stack) -> dict:
    sim.reset(boot_delay=0)
    cpu = stack.worker_cpu_seconds()
    started = time.perf_counter()
    ids = start_sagas(tenant, n, prefix)
    outcome = wait_settled(ids, timeout=900)
    elapsed = time.perf_counter() - started
    cpu = stack.worker_cpu_seconds() - cpu
    figures = _rate("provisioning sagas", outcome.get("active", 0), elapsed, cpu=cpu)
    figures["outcome"] = outcome
    figures["api_calls_per_deployment"] = round(_api_calls(sim) / max(1, n), 2)
    return figures


# --- 3. cost -------------------------------------------------------------------------
def bench_queries_per_transition() -> dict:
    """Claim + record of one step of a real saga, in this process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provisioning.engine import claims
    from provisioning.engine.models import Saga, SagaStatus, SagaStep, StepStatus

    saga = Saga.objects.create(kind="provision_deployment", status=SagaStatus.RUNNING, context={})
    names = ["a", "b", "c"]
    SagaStep.objects.bulk_create(SagaStep(saga=saga, index=i, name=n) for i, n in enumerate(names))
    SagaStep.objects.filter(saga=saga, index=0).update(status=StepStatus.SUCCEEDED)
    with CaptureQueriesContext(connection) as queries:
        claim = claims.claim_forward(saga_id=saga.id, index=1, owner="bench")
        claims.record_success(claim, {"out": 1}, last=False)
    statements = len(queries.captured_queries)
    print(f"  DB round trips per step transition (claim + record): {statements}, each autocommitted")
    return {"per_transition": statements}


def bench_api_calls(stack, sim, tenant, n: int, boot_delay: float) -> dict:
    """DigitalOcean calls per deployment with real-ish boot times: the
    worker runs with the real API's defaults (boot wait, 5 s polls)."""
    real_ish = {"ARCADIA_DROPLET_BOOT_WAIT": str(boot_delay), "ARCADIA_DROPLET_POLL_INTERVAL": "5"}
    stack.stop("worker")
    stack.start_worker(env=real_ish)
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
    stack.start_worker()
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
    from django.contrib.auth import get_user_model

    from arcadia.tokens.services import api_token_create
    from bench.loadgen import run_load
    from deployments.models import Deployment

    base = stack.start_web(workers=2)
    # Tokens are shown once, so this phase issues its own.
    _, token = api_token_create(user=get_user_model().objects.get(username="bench"))
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    detail = Deployment.objects.filter(tenant=tenant, status="active").order_by("pk").first()
    results = [
        run_load("trivial GET /api/me/", f"{base}/api/me/", headers=headers, duration=seconds),
        run_load(
            "GET /api/deployments/{id}/",
            f"{base}/api/deployments/{detail.public_id}/",
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


# --- report ----------------------------------------------------------------------------
def _rate(label: str, count: int, elapsed: float, cpu: float) -> dict:
    per_s = count / elapsed if elapsed else 0.0
    cpu_ms = 1000 * cpu / max(1, count)
    print(f"  {label}: {count} in {elapsed:.2f}s = {per_s:.1f}/s, worker CPU {cpu_ms:.1f} ms each")
    return {
        "count": count,
        "seconds": round(elapsed, 2),
        "per_s": round(per_s, 2),
        "worker_cpu_s": round(cpu, 2),
        "cpu_ms_per": round(cpu_ms, 1),
    }


TARGETS = [
    Target("saga throughput / plain-Celery chain throughput", ("ratio",), ">=", 0.6),
    Target("worker CPU per saga, ms", ("sagas", "cpu_ms_per"), "<=", 30),
    Target("worker CPU per plain chain, ms (reference)", ("plain", "cpu_ms_per")),
    Target("SQL statements per saga (worker + service)", ("sql", "per_saga")),
    Target("DB round trips per step transition", ("queries", "per_transition"), "<=", 5),
    Target("DO calls per deployment (boot 20 s, 100 in flight)", ("calls", "per_deployment"), "<=", 5),
    Target("worker peak RSS per process, MB", ("worker_peak_rss_mb",), "<=", 150),
    Target("GET detail p99 / trivial p99", ("api", "detail_p99_over_trivial_p99"), "<=", 3),
]


def _report(figures: dict, output: str) -> None:
    print_table(figures, TARGETS + observability_phase.TARGETS + budget_phase.TARGETS + tenants_phase.TARGETS)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(figures, indent=2, default=str))
    print(f"\nwritten to {output}")


if __name__ == "__main__":
    sys.exit(main())
