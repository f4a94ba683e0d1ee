"""The fleet drill of ``make chaos``: three worker hosts, one fault at a
time, on each broker.

Each host is a network and UTS namespace of its own (``bench/fleet_netns.py``)
running one prefork worker; ``host1`` also runs ``celery beat``. The
drill's own PostgreSQL, Redis (the broker, or the rate-limit store beside
RabbitMQ), RabbitMQ and simulator listen on the bridge's address
(``bench/fleet_servers.py``). ``--fleet-sagas`` deployments are started
through the service layer; once most droplets are booting, one fault:

- ``host``: every process of ``host2`` SIGKILLed at once (a host crash);
- ``partition``: ``host3``'s link down for ``--partition-seconds`` while it
  holds leases and reserved messages, then up again (its connections
  resume: whatever it then records must not override a new owner);
- ``beat``: every process of ``host1``, beat's host, SIGKILLed.

Each prints the time from the fault (and, for a partition, from the heal)
to the last saga terminal, and fails on a duplicate droplet, an orphan, a
dangling DNS record, a saga still live at ``--fleet-timeout``, a rollback,
or a step recorded succeeded twice (a record applied by a holder whose
lease had been taken over). The product's own clocks are kept (lease,
stall timeout, sweep interval, visibility timeout): the figures are what an
operator's fleet would see.

Every (broker, fault) pair runs in a process of its own, on fresh servers
and namespaces, all torn down at its end, on failure too.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import chaos_checks
from bench.fleet_netns import BRIDGE_IP, Fleet, Host
from bench.harness import PYTHON, ROOT, Stack, http_ok, wait_until

FAULTS = ("host", "partition", "beat")
BROKERS = ("redis", "rabbitmq")
DATABASE = "arcadia_fleet"
RESULTS = ROOT / "bench" / "results"
# What a worker logs when it refuses a late record of a holder whose lease
# was taken over (the fencing token): counted, never a failure by itself.
FENCED_LOG = re.compile(r"fenc", re.IGNORECASE)

# Only what is not about liveness: the drill measures the product's own
# recovery clocks. The rate limit is far above what the drill spends.
FLEET_ENV = {
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "ARCADIA_DO_RATE_LIMIT_PER_MINUTE": "100000",
    "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "1000000",
}


def add_arguments(parser) -> None:
    fleet = parser.add_argument_group("fleet drill (needs root)")
    fleet.add_argument("--fleet-only", action="store_true", help="run only the fleet drill")
    fleet.add_argument("--fleet-sagas", type=int, default=60, help="sagas in flight at each fault")
    fleet.add_argument("--fleet-faults", default=",".join(FAULTS), help=f"of {', '.join(FAULTS)}")
    fleet.add_argument("--fleet-brokers", default=",".join(BROKERS), help=f"of {', '.join(BROKERS)}")
    fleet.add_argument("--partition-seconds", type=float, default=60.0, help="how long the link stays down")
    fleet.add_argument("--fleet-boot-delay", type=float, default=20.0, help="seconds a droplet boots")
    fleet.add_argument("--fleet-timeout", type=float, default=480.0, help="bound of the wait after a fault")


def run(args) -> int:
    if os.geteuid() != 0:
        print("chaos fleet: REFUSED — the fleet drill needs root (ip netns, veth pairs, a bridge)")
        return 2
    pairs = [(b, f) for b in _pick(args.fleet_brokers, BROKERS) for f in _pick(args.fleet_faults, FAULTS)]
    for broker, fault in pairs:  # a figure printed at the end is this run's, never an earlier one's
        _figures_path(broker, fault).unlink(missing_ok=True)
    if len(pairs) == 1:
        return run_one(*pairs[0], args)
    codes = []
    for broker, fault in pairs:
        argv = [PYTHON, "-m", "bench.chaos", *sys.argv[1:], "--drills=fleet"]
        argv += [f"--fleet-brokers={broker}", f"--fleet-faults={fault}"]
        codes.append(subprocess.run(argv, cwd=ROOT, check=False).returncode)
    print("\n=== fleet drill summary ===")
    print_summary()
    return 0 if not any(codes) else 1


def print_summary() -> None:
    """One line per (broker, fault) run that left its figures: the closing
    note of ``make chaos`` prints these too."""
    for broker in BROKERS:
        for fault in FAULTS:
            figures = _figures(broker, fault)
            if figures:
                verdict = "FAILED" if figures["failed"] else "OK"
                print(f"  fleet {broker:8} {fault:9} {verdict:6} {figures['line']}")


def _pick(text: str, known: tuple[str, ...]) -> list[str]:
    picked = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in picked if p not in known]
    if unknown:
        raise SystemExit(f"unknown {unknown}; pick from {', '.join(known)}")
    return picked


def _figures_path(broker: str, fault: str) -> Path:
    return RESULTS / f"fleet-{broker}-{fault}.json"


def _figures(broker: str, fault: str) -> dict:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(_figures_path(broker, fault).read_text())
    return {}


def run_one(broker: str, fault: str, args) -> int:
    """One fault on one broker, in this process (Django is set up once per
    process, on this drill's database)."""
    from bench.fleet_servers import FleetPostgres, FleetRabbitMQ, FleetRedis

    fleet = Fleet(size=3)
    # atexit too: a SIGTERM (sys.exit) or an exception anywhere still
    # leaves no namespace, veth or bridge behind; teardown is idempotent.
    atexit.register(fleet.teardown)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(fleet.teardown)
        fleet.setup()
        workdir = Path(tempfile.mkdtemp(prefix="arcadia-fleet-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        pg = cleanup.enter_context(FleetPostgres())
        redis = FleetRedis(workdir / "redis")
        cleanup.callback(redis.kill)
        redis.start()
        broker_url = redis.url
        if broker == "rabbitmq":
            rabbit = FleetRabbitMQ(workdir / "rabbitmq")
            cleanup.callback(rabbit.kill)
            rabbit.start()
            broker_url = rabbit.url
        env = {
            **FLEET_ENV,
            "DATABASE_URL": pg.url(DATABASE),
            "CELERY_BROKER_URL": broker_url,
            "ARCADIA_RATE_LIMIT_URL": redis.url,
        }
        # Entered last, closed first: every process stops before its servers go.
        stack = cleanup.enter_context(Stack(database=DATABASE, db_port=pg.port, env=env))
        return _drill(broker, fault, args, stack, fleet, workdir)


def _drill(broker: str, fault: str, args, stack: Stack, fleet: Fleet, workdir: Path) -> int:
    from bench.run import _django_setup, start_sagas

    _create_database(stack)
    stack.manage("migrate", "--noinput", "-v0")
    sim = _start_dosim(stack, args.fleet_boot_delay)
    _django_setup(stack)
    from deployments.tenants import tenant_user_create

    for host in fleet.hosts:
        _start_worker(stack, host)
    beat_host = fleet.hosts[0]
    schedule = workdir / "beat-schedule"
    beat = [PYTHON, "-m", "celery", "-A", "arcadia", "beat", "--loglevel=WARNING", f"--schedule={schedule}"]
    stack.start(f"fleet-{beat_host.name}-beat", beat_host.wrap(beat))
    tenant, _user, _token = tenant_user_create(tenant_slug="fleet", username="fleet")

    victim = {"host": fleet.hosts[1], "partition": fleet.hosts[2], "beat": beat_host}[fault]
    print(f"\n=== fleet drill {broker}/{fault}: {args.fleet_sagas} sagas on {len(fleet.hosts)} hosts ===")
    ids = start_sagas(tenant, args.fleet_sagas, prefix=f"fleet-{fault}-")
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: len(sim.state()["droplets"]) >= args.fleet_sagas // 2, timeout=60, what="droplets")
    if fault == "partition":
        # Cut it while it runs something: a lease of its own, unexpired.
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: _leases_held(victim) > 0, timeout=30, interval=0.05, what="a lease")
    booting, held = len(sim.state()["droplets"]), _leases_held(victim)
    live_before = chaos_checks.live_sagas(ids)

    fault_at = datetime.datetime.now(datetime.UTC)
    healed_at = None
    if fault == "partition":
        victim.link(up=False)
        state = f"{booting} droplets booting, {live_before} sagas live, {held} leases held"
        print(f"  {victim.name} cut off ({state})")
        time.sleep(args.partition_seconds)
        victim.link(up=True)
        healed_at = datetime.datetime.now(datetime.UTC)
        print(f"  {victim.name} back after {(healed_at - fault_at).total_seconds():.1f} s")
    else:
        killed = victim.crash()
        for name in [n for n in stack.procs if n.startswith(f"fleet-{victim.name}-")]:
            stack.stop(name, sig=9)  # reaps them (already dead)
        what = "beat's host" if fault == "beat" else "a worker host"
        print(
            f"  {victim.name} ({what}) crashed: {killed} processes SIGKILLed "
            f"({booting} droplets booting, {live_before} sagas live, {held} leases held)"
        )

    stuck = chaos_checks.wait_terminal(ids, args.fleet_timeout)
    report = chaos_checks.inspect(sim, ids)
    report["stuck"] = stuck
    report |= _ledger(ids)
    report["fenced_log_lines"] = _fenced_log_lines(stack)
    report["last_saga"] = _last_saga_timeline(ids, fault_at)
    return _judge(broker, fault, report, fault_at=fault_at, healed_at=healed_at, victim=victim)


def _create_database(stack: Stack) -> None:
    # Not Stack.prepare_database: that also flushes a database of the shared Redis.
    psql = ["psql", "-h", "127.0.0.1", "-p", str(stack.db_port), "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"CREATE DATABASE {stack.database}"], check=True)


def _start_dosim(stack: Stack, boot_delay: float):
    from bench.harness import free_port
    from dosim.client import DosimClient

    port = free_port()
    # The drill's own calls to the control API come from the bridge's
    # address, not loopback; only the drill's hosts can reach it.
    argv = [PYTHON, "-m", "dosim", "--host", BRIDGE_IP, "--port", str(port)]
    stack.start("fleet-dosim", [*argv, "--boot-delay", str(boot_delay), "--control-from-anywhere"])
    base = f"http://{BRIDGE_IP}:{port}"
    wait_until(lambda: http_ok(f"{base}/_dosim/state"), timeout=30, what="the simulator")
    stack.env["DIGITALOCEAN_API_URL"] = f"{base}/v2/"
    stack.env["DIGITALOCEAN_END_POINT"] = f"{base}/v2/"
    return DosimClient(base)


def _start_worker(stack: Stack, host: Host) -> None:
    hostname = f"worker@{host.name}"
    argv = [PYTHON, "-m", "celery", "-A", "arcadia", "worker", "--pool=prefork", "--concurrency=2"]
    argv += ["--loglevel=WARNING", f"--hostname={hostname}"]
    proc = stack.start(f"fleet-{host.name}-worker", host.wrap(argv))
    wait_until(lambda: stack._worker_ready(proc, hostname), timeout=90, what=f"the worker of {host.name}")


def _leases_held(host: Host) -> int:
    from django.utils import timezone

    from provisioning.engine.models import SagaStep

    # A lease owner starts with its host's name (provisioning/engine/owners.py).
    return SagaStep.objects.filter(
        lease_owner__startswith=f"{host.name}|", lease_expires_at__gt=timezone.now()
    ).count()


def _ledger(ids) -> dict:
    """What the sagas' timelines say: steps recorded succeeded more than
    once (a second holder's record applied over the first's), takeovers."""
    from django.db.models import Count

    from provisioning.engine.models import SagaEvent

    events = SagaEvent.objects.filter(
        saga__subject_type=chaos_checks.DEPLOYMENT, saga__subject_id__in=[str(i) for i in ids]
    )
    twice = (
        events.filter(event="step_succeeded", step__isnull=False)
        .values("step")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {"recorded_twice": twice, "takeovers": events.filter(event="lease_taken_over").count()}


def _last_saga_timeline(ids, fault_at) -> list[str]:
    """The timeline of the saga that ended last, each event's time from the
    fault: what the figure is made of (the drill's database is dropped)."""
    from provisioning.engine.models import Saga, SagaEvent

    last = (
        Saga.objects.filter(subject_type=chaos_checks.DEPLOYMENT, subject_id__in=[str(i) for i in ids])
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .first()
    )
    if last is None:
        return []
    events = SagaEvent.objects.filter(saga=last).select_related("step")
    return [
        f"{(e.at - fault_at).total_seconds():+7.1f} s {e.event}"
        f"{' ' + e.step.name if e.step else ''} {json.dumps(e.detail, default=str)[:160]}"
        for e in events
    ]


def _fenced_log_lines(stack: Stack) -> int:
    lines = 0
    for log in RESULTS.glob("fleet-host*-worker.log"):
        lines += sum(1 for line in log.read_text(errors="replace").splitlines() if FENCED_LOG.search(line))
    return lines


def _judge(broker, fault, report, *, fault_at, healed_at, victim: Host) -> int:
    last = report["last_finished_at"]
    since_fault = (last - fault_at).total_seconds() if last and not report["stuck"] else None
    since_heal = (last - healed_at).total_seconds() if last and healed_at and not report["stuck"] else None
    from provisioning.engine.models import SAGA_LIVE_STATUSES

    # A live saga is counted as stuck, not here: these ended but not as asked.
    ended_otherwise = (s for s in report["sagas"] if s != "succeeded" and s not in SAGA_LIVE_STATUSES)
    rolled_back = sum(report["sagas"][s] for s in ended_otherwise)
    print(f"deployments: {report['deployments']}")
    print(f"sagas:       {report['sagas']}")
    for why, n in report["why_not_succeeded"].items():
        print(f"  {n} x {why}")
    chaos_checks.print_invariants(report)
    print(f"sagas rolled back (ended other than succeeded): {rolled_back}")
    twice, fenced = report["recorded_twice"], report["fenced_log_lines"]
    print(f"steps recorded succeeded twice (a fenced-off holder's record applied): {twice}")
    print(f"leases taken over: {report['takeovers']}; worker log lines about fencing: {fenced}")
    shown = "never (stuck)" if since_fault is None else f"{since_fault:.1f} s"
    line = f"last saga terminal {shown} after the fault"
    if healed_at is not None:
        line += "" if since_heal is None else f", {since_heal:.1f} s after the heal"
    print(line)
    failed = chaos_checks.broken(report) or rolled_back > 0 or report["recorded_twice"] > 0
    figures = {"since_fault": since_fault, "since_heal": since_heal, "line": line, "failed": failed}
    figures |= {k: report[k] for k in ("stuck", "recorded_twice", "takeovers", "fenced_log_lines")}
    figures |= {"duplicates": len(report["duplicates"]), "orphans": len(report["orphans"])}
    figures["last_saga_timeline"] = report["last_saga"]
    _figures_path(broker, fault).write_text(json.dumps(figures, indent=2))
    print(f"\nchaos fleet {broker}/{fault} ({victim.name}): {'FAILED' if failed else 'OK'}")
    return 1 if failed else 0
