"""What every chaos drill checks once its sagas are terminal: nothing
orphaned, duplicated, dangling or stuck. Shared by the worker-kill drill
(``bench/chaos.py``) and the outage drills (``bench/chaos_outages.py``).

Every function here runs in a drill's own process, on its own database: the
rows it reads are the drill's and nobody else's.
"""

from __future__ import annotations

import re
import time

DEPLOYMENT = "deployments.deployment"

# Small clocks so recovery happens within the run: a killed worker's
# messages come back after the visibility timeout, stalled sagas are swept
# every few seconds, and leases outlive the (short) hard limit.
CHAOS_ENV = {
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
    # The drills are about kills and outages, not the rate limit: a budget
    # far above what 100 sagas spend keeps the permit path (and its Redis
    # store, which the Redis drill takes away) without pacing the drills to
    # the default 250 calls a minute.
    "ARCADIA_DO_RATE_LIMIT_PER_MINUTE": "100000",
    "ARCADIA_DO_RATE_LIMIT_PER_HOUR": "1000000",
}


def live_sagas(ids) -> int:
    from provisioning.engine.models import SAGA_LIVE_STATUSES, Saga

    return Saga.objects.filter(
        subject_type=DEPLOYMENT, subject_id__in=[str(i) for i in ids], status__in=SAGA_LIVE_STATUSES
    ).count()


def wait_terminal(ids, timeout: float, *, ids_now=None) -> int:
    """Wait (bounded) until no saga of ``ids`` is live; the number still
    live at the deadline. ``ids_now`` re-reads the ids each round (a drill
    whose API client creates deployments as it goes). A database that is
    down (or just came back, cutting this process's connection) is waited
    out like a live saga."""
    from django.db import DatabaseError, connections

    deadline = time.monotonic() + timeout
    live = -1
    while time.monotonic() < deadline:
        try:
            live = live_sagas(ids_now() if ids_now else ids)
        except DatabaseError:
            connections.close_all()
            live = -1
        if live == 0:
            return 0
        time.sleep(1)
    return live


def inspect(sim, ids) -> dict:
    from deployments.models import Deployment
    from inventory.models import CloudResource
    from provisioning.engine.models import Saga

    deployments = {d.pk: d for d in Deployment.objects.filter(pk__in=ids)}
    sagas = list(Saga.objects.filter(subject_type=DEPLOYMENT, subject_id__in=[str(i) for i in ids]))
    saga_deployment = {str(s.id): int(s.subject_id) for s in sagas}
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
    finished = [s.finished_at for s in sagas if s.finished_at is not None]
    return {
        "deployments": count(d.status for d in deployments.values()),
        "sagas": count(s.status for s in sagas),
        "droplets": len(droplets),
        "orphans": orphans,
        "duplicates": duplicates,
        "dangling_dns": [f"{r['name']} -> {r['data']}" for r in dangling],
        "why_not_succeeded": count(reason(s.error) for s in sagas if s.status != "succeeded"),
        "last_finished_at": max(finished) if finished else None,
        "requests": state["requests"],
    }


def broken(report: dict) -> bool:
    """The invariants: any orphan, duplicate, dangling record or stuck saga."""
    return bool(report["orphans"] or report["duplicates"] or report["dangling_dns"] or report["stuck"])


def print_invariants(report: dict) -> None:
    print(f"droplets left in the simulator: {report['droplets']}")
    print(f"orphans (droplets of no active deployment): {len(report['orphans'])} {report['orphans'][:10]}")
    print(f"duplicates (deployments with more than one droplet): {len(report['duplicates'])}")
    print(f"DNS records pointing at no droplet: {len(report['dangling_dns'])} {report['dangling_dns'][:10]}")
    print(f"sagas still running: {report['stuck']}")


def reason(error: str) -> str:
    """An error without its ids (droplet, record), so equal causes count together."""
    return re.sub(r"\d{5,}", "<id>", error.split("\n")[0])[:120]


def count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
