"""``make chaos``: provision M deployments while the worker is SIGKILLed at
random moments and restarted, 20% of DigitalOcean calls fail transiently
and a few fail for good; then check that nothing is orphaned, duplicated,
dangling or stuck. Bounded: it stops by itself. Exit status 1 when any
invariant is broken."""

from __future__ import annotations

import argparse
import random
import re
import sys
import threading
import time

from bench.harness import Stack
from bench.run import _django_setup, _tenant, start_sagas

CHAOS_ENV = {
    # Small clocks so recovery happens within the run: a killed worker's
    # messages come back after the visibility timeout, stalled sagas are
    # swept every few seconds, and leases outlive the (short) hard limit.
    "CELERY_VISIBILITY_TIMEOUT": "30",
    "CELERY_TASK_SOFT_TIME_LIMIT": "15",
    "CELERY_TASK_TIME_LIMIT": "20",
    "ARCADIA_STEP_LEASE_SECONDS": "25",
    "ARCADIA_SAGA_STALL_TIMEOUT": "8",
    "ARCADIA_SWEEP_INTERVAL": "3",
    "ARCADIA_DROPLET_POLL_INTERVAL": "0.5",
    "ARCADIA_DROPLET_BOOT_WAIT": "0",
    "ARCADIA_TAG_LISTING_SETTLE": "2",
    "DEBUG": "false",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-m", type=int, default=100, help="sagas to start")
    parser.add_argument("--kills", type=int, default=6, help="worker SIGKILLs during the run")
    parser.add_argument("--transient-rate", type=float, default=0.2)
    parser.add_argument("--permanent", type=int, default=3, help="DNS writes that fail for good")
    parser.add_argument("--timeout", type=float, default=600.0, help="bound of the wait for terminal states")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    with Stack(database="arcadia_chaos", redis_db=6, env=CHAOS_ENV) as stack:
        stack.prepare_database()
        base = stack.start_dosim("--boot-delay", "1")
        _django_setup(stack)
        from dosim.control import DosimControl

        sim = DosimControl(base)
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
            f"chaos: {args.m} sagas, {args.kills} worker kills, {args.transient_rate:.0%} transient faults, "
            f"{args.permanent} permanent DNS faults"
        )
        ids = start_sagas(tenant, args.m, prefix="chaos")
        killer = threading.Thread(target=_kill_loop, args=(stack, rng, args.kills), daemon=True)
        killer.start()
        killer.join()
        sim.fault_all(failure_rate=0)  # let the stragglers finish cleanly
        stuck = _wait_terminal(ids, args.timeout)
        report = _inspect(sim, ids)
        report["stuck"] = stuck
    return _print(report)


def _kill_loop(stack: Stack, rng: random.Random, kills: int) -> None:
    for n in range(kills):
        time.sleep(rng.uniform(1.0, 5.0))
        stack.stop("worker", sig=9)
        print(f"  kill {n + 1}/{kills}: worker SIGKILLed; restarting")
        stack.start_worker()


def _wait_terminal(ids, timeout: float) -> int:
    from provisioning.engine.models import SAGA_LIVE_STATUSES, Saga

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = Saga.objects.filter(deployment_id__in=ids, status__in=SAGA_LIVE_STATUSES).count()
        if not live:
            return 0
        time.sleep(1)
    return live


def _inspect(sim, ids) -> dict:
    from deployments.models import Deployment
    from inventory.models import CloudResource
    from provisioning.engine.models import Saga

    deployments = {d.pk: d for d in Deployment.objects.filter(pk__in=ids)}
    sagas = Saga.objects.filter(deployment_id__in=ids)
    saga_deployment = {str(s.id): s.deployment_id for s in sagas}
    state = sim.state()
    droplets = state["droplets"]

    per_deployment: dict[int, list[int]] = {}
    for droplet in droplets:
        saga_id = next(
            (t.removeprefix("arcadia-saga-") for t in droplet["tags"] if t.startswith("arcadia-saga-")), ""
        )
        per_deployment.setdefault(saga_deployment.get(saga_id), []).append(droplet["id"])
    linked = dict(
        CloudResource.objects.filter(deployment_id__in=ids, status="active").values_list(
            "external_id", "deployment"
        )
    )
    orphans = [
        d["id"]
        for d in droplets
        if deployments.get(linked.get(str(d["id"]))) is None
        or deployments[linked[str(d["id"])]].status != "active"
    ]
    duplicates = {dep: ds for dep, ds in per_deployment.items() if dep is not None and len(ds) > 1}
    live_ips = {net["ip_address"] for d in droplets for net in d["networks"]["v4"] if net["type"] == "public"}
    dangling = [r for r in state["records"] if r["type"] == "A" and r["data"] not in live_ips]
    return {
        "deployments": _count(d.status for d in deployments.values()),
        "sagas": _count(sagas.values_list("status", flat=True)),
        "droplets": len(droplets),
        "orphans": orphans,
        "duplicates": duplicates,
        "dangling_dns": [f"{r['name']} -> {r['data']}" for r in dangling],
        # A refusal can reach a worker that is killed before it reads it: the
        # redelivered step writes again, gets through, and the saga succeeds.
        "why_not_succeeded": _count(_reason(s.error) for s in sagas if s.status != "succeeded"),
        "dns_refusals_answered": sum(
            1 for r in state["requests"] if r["operation"] == "record_create" and r["status"] == 422
        ),
    }


def _reason(error: str) -> str:
    """An error without its ids (droplet, record), so equal causes count together."""
    return re.sub(r"\d{5,}", "<id>", error.split("\n")[0])[:120]


def _count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _print(report: dict) -> int:
    print(f"\ndeployments: {report['deployments']}")
    print(f"sagas:       {report['sagas']}")
    for reason, count in report["why_not_succeeded"].items():
        print(f"  {count} x {reason}")
    print(f"DNS writes refused for good (422 answered): {report['dns_refusals_answered']}")
    print(f"droplets left in the simulator: {report['droplets']}")
    print(f"orphans (droplets of no active deployment): {len(report['orphans'])} {report['orphans'][:10]}")
    print(f"duplicates (deployments with more than one droplet): {len(report['duplicates'])}")
    print(f"DNS records pointing at no droplet: {len(report['dangling_dns'])} {report['dangling_dns'][:10]}")
    print(f"sagas still running: {report['stuck']}")
    broken = report["orphans"] or report["duplicates"] or report["dangling_dns"] or report["stuck"]
    print("\nchaos: FAILED" if broken else "\nchaos: OK — nothing orphaned, duplicated, dangling or stuck")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
