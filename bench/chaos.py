"""``make chaos``: drills that try to leave something behind, each bounded
in time, each on servers it starts itself; exit status 1 when any drill
broke an invariant (an orphan, a duplicate, a dangling DNS record, a stuck
saga) or missed a hard target (a 500 from the API; a deployment rolled back
by a provider outage).

- ``kill``: provision M deployments while the worker is SIGKILLed at random
  moments and restarted, 20% of DigitalOcean calls fail transiently and a
  few DNS writes fail for good;
- ``redis``, ``postgres``, ``provider``: outage drills
  (``bench/chaos_outages.py``): the worker's broker, the database, or the
  provider goes away mid-run and comes back;
- ``fleet``: three worker hosts in network namespaces, one lost (crash,
  partition, beat's host) at a time, on Redis and on RabbitMQ
  (``bench/fleet_drill.py``; needs root).

``CHAOS_ARGS="--drills redis,provider"`` picks drills; ``CHAOS_ARGS=--fleet-only``
runs only the fleet drill (``--fleet-sagas 20`` for a quick one). Each runs in its own
process (Django is set up once per process, on the drill's own database).
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import threading
import time

from bench import chaos_checks, fleet_drill
from bench.harness import ROOT, Stack

DRILLS = ("kill", "redis", "postgres", "provider", "fleet")


def main(argv=None) -> int:
    args = _parse(argv)
    # SIGTERM must still stop every process (and server) a drill started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    drills = ["fleet"] if args.fleet_only else [d.strip() for d in args.drills.split(",") if d.strip()]
    unknown = [d for d in drills if d not in DRILLS]
    if unknown:
        raise SystemExit(f"unknown drills {unknown}; pick from {', '.join(DRILLS)}")
    if len(drills) == 1:
        return _run_one(drills[0], args)
    results = {}
    for drill in drills:
        started = time.monotonic()
        again = list(argv if argv is not None else sys.argv[1:])  # the last --drills wins
        again = [a for a in again if a != "--fleet-only"]  # it would override --drills
        argv_one = [sys.executable, "-m", "bench.chaos", *again, f"--drills={drill}"]
        run = subprocess.run(argv_one, cwd=ROOT, check=False)
        results[drill] = (run.returncode, time.monotonic() - started)
    print("\n=== chaos summary ===")
    for drill, (code, took) in results.items():
        print(f"  {drill:9} {'OK' if code == 0 else f'FAILED (exit {code})'} in {took:.0f} s")
    if "fleet" in results:
        fleet_drill.print_summary()
    return 0 if all(code == 0 for code, _ in results.values()) else 1


def _parse(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drills", default=",".join(DRILLS), help=f"comma-separated, of {', '.join(DRILLS)}")
    kill = parser.add_argument_group("kill drill")
    kill.add_argument("-m", type=int, default=100, help="sagas to start")
    kill.add_argument("--kills", type=int, default=6, help="worker SIGKILLs during the run")
    kill.add_argument("--transient-rate", type=float, default=0.2)
    kill.add_argument("--permanent", type=int, default=3, help="DNS writes that fail for good")
    kill.add_argument("--seed", type=int, default=None)
    outage = parser.add_argument_group("outage drills")
    outage.add_argument("--outage-n", type=int, default=30, help="sagas in flight when the service goes")
    outage.add_argument("--outage", type=float, default=10.0, help="seconds Redis or PostgreSQL stays down")
    outage.add_argument("--provider-outage", type=float, default=60.0, help="seconds of provider 503s")
    outage.add_argument("--boot-delay", type=float, default=6.0, help="seconds a simulated droplet boots")
    fleet_drill.add_arguments(parser)
    parser.add_argument("--timeout", type=float, default=600.0, help="bound of the wait for terminal states")
    args = parser.parse_args(argv)
    return args


def _run_one(drill: str, args) -> int:
    if drill == "kill":
        return kill_drill(args)
    if drill == "fleet":
        return fleet_drill.run(args)
    from bench import chaos_outages

    return chaos_outages.run(drill, args)


def kill_drill(args) -> int:
    from bench.run import _django_setup, _tenant, start_sagas

    rng = random.Random(args.seed)
    with Stack(database="arcadia_chaos", redis_db=6, env=chaos_checks.CHAOS_ENV) as stack:
        stack.prepare_database()
        base = stack.start_dosim("--boot-delay", "1")
        _django_setup(stack)
        from dosim.client import DosimClient

        sim = DosimClient(base)
        stack.start_worker()
        stack.start(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "arcadia",
                "beat",
                "--loglevel=WARNING",
                "--schedule=bench/results/chaos-beat-schedule",
            ],
        )
        tenant = _tenant()
        # A running service has the provider's catalog cached (read at its
        # first POST, refreshed in the background) before any storm; read
        # under one, each of its three lists fails 20% of the time, and half
        # the drills stopped at their first POST with a 503.
        from inventory.catalog import catalog_refresh

        catalog_refresh()
        sim.fault_all(failure_rate=args.transient_rate, status=503)
        # Its own operation without random failures: a fault's status is
        # per operation, so a 422 here would also turn the 20% into 422s.
        sim.faults(
            "record_create",
            fail_next=args.permanent,
            status=422,
            failure_rate=0,
            message="chaos: refused for good",
        )
        print(
            f"\n=== kill drill: {args.m} sagas, {args.kills} worker kills, "
            f"{args.transient_rate:.0%} transient faults, {args.permanent} permanent DNS faults ==="
        )
        ids = start_sagas(tenant, args.m, prefix="chaos")
        killer = threading.Thread(target=_kill_loop, args=(stack, rng, args.kills), daemon=True)
        killer.start()
        killer.join()
        sim.fault_all(failure_rate=0)  # let the stragglers finish cleanly
        stuck = chaos_checks.wait_terminal(ids, args.timeout)
        report = chaos_checks.inspect(sim, ids)
        report["stuck"] = stuck
    return _print(report)


def _kill_loop(stack: Stack, rng: random.Random, kills: int) -> None:
    for n in range(kills):
        time.sleep(rng.uniform(1.0, 5.0))
        stack.stop("worker", sig=9)
        print(f"  kill {n + 1}/{kills}: worker SIGKILLed; restarting")
        stack.start_worker()


def _print(report: dict) -> int:
    print(f"\ndeployments: {report['deployments']}")
    print(f"sagas:       {report['sagas']}")
    # A refusal can reach a worker that is killed before it reads it: the
    # redelivered step writes again, gets through, and the saga succeeds.
    for reason, count in report["why_not_succeeded"].items():
        print(f"  {count} x {reason}")
    refusals = sum(1 for r in report["requests"] if r["operation"] == "record_create" and r["status"] == 422)
    print(f"DNS writes refused for good (422 answered): {refusals}")
    chaos_checks.print_invariants(report)
    broken = chaos_checks.broken(report)
    verdict = "FAILED" if broken else "OK — nothing orphaned, duplicated, dangling or stuck"
    print(f"\nchaos kill: {verdict}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
