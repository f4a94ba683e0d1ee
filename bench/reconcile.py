"""``make bench-reconcile``: one reconcile pass over a fleet in the simulator.

``python -m dosim`` on a port, a fresh PostgreSQL database: N active
deployments, each with its droplet (tagged as Arcadia tags them), its
inventory row and its A record; then a few facts made behind Arcadia's back
(droplets by hand, resized droplets, a droplet destroyed, records pointed
elsewhere). Two passes run; each prints the requests it used (counted by
the gateway and, separately, in the simulator's request log) and its time.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import uuid

from bench.harness import ROOT, Stack

sys.path.insert(0, str(ROOT))

DOMAIN = "arcadia.test"


def _seed(sim, n: int) -> None:
    from django.utils import timezone

    from deployments.models import Deployment, DeploymentStatus, Tenant
    from dosim.client import droplet_ipv4
    from inventory.models import CloudResource, ResourceStatus
    from provisioning.engine.models import Saga, SagaStatus

    tenant = Tenant.objects.create(slug="fleet", name="Fleet")
    sagas = [uuid.uuid4() for _ in range(n)]
    # One control call per droplet: each carries its own saga's tag.
    droplets = [
        sim.droplet_create_behind(f"app{i}-fleet", tags=["arcadia", f"arcadia-saga-{sagas[i]}"], age=3600)
        for i in range(n)
    ]
    deployments = Deployment.objects.bulk_create(
        Deployment(
            tenant=tenant,
            name=f"app{i}",
            hostname=f"app{i}-fleet.{DOMAIN}",
            region="nyc3",
            size="s-1vcpu-1gb",
            image="ubuntu-24-04-x64",
            status=DeploymentStatus.ACTIVE,
        )
        for i in range(n)
    )
    now = timezone.now()
    Saga.objects.bulk_create(
        Saga(
            id=sagas[i],
            kind="provision_deployment",
            subject_type="deployments.deployment",
            subject_id=str(dep.pk),
            subject_public_id=str(dep.public_id),
            status=SagaStatus.SUCCEEDED,
            finished_at=now - timezone.timedelta(hours=1),
        )
        for i, dep in enumerate(deployments)
    )
    rows = CloudResource.objects.bulk_create(
        CloudResource(
            external_id=str(d["id"]),
            name=d["name"],
            region="nyc3",
            size="s-1vcpu-1gb",
            ipv4=droplet_ipv4(d),
            status=ResourceStatus.ACTIVE,
            tenant=tenant,
            deployment=dep,
        )
        for d, dep in zip(droplets, deployments, strict=True)
    )
    CloudResource.objects.filter(pk__in=[r.pk for r in rows]).update(
        created_at=now - timezone.timedelta(hours=1)
    )
    for i, d in enumerate(droplets):
        sim.record_add_behind(DOMAIN, f"app{i}-fleet", droplet_ipv4(d), ttl=300)
    # Behind Arcadia's back: 3 droplets by hand, 3 resized, 1 destroyed, 2 records moved.
    sim.droplet_create_behind("by-hand", tags=["arcadia"], age=3600, count=3)
    for d in droplets[1:4]:
        sim.droplet_change_behind(d["id"], size="s-2vcpu-4gb")
    sim.droplet_destroy_behind(droplets[0]["id"])
    for record in [r for r in sim.records(DOMAIN) if r["name"] in ("app10-fleet", "app11-fleet")]:
        sim.record_change_behind(DOMAIN, record["id"], data="198.51.100.99")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1000, help="deployments, each with a droplet and a record")
    args = parser.parse_args(argv)
    with Stack(database="arcadia_bench_reconcile", redis_db=5, env={"DEBUG": "false"}) as stack:
        stack.prepare_database()
        base = stack.start_dosim("--boot-delay", "0", "--domain", DOMAIN)
        import os

        os.environ.update(stack.env)
        import django

        django.setup()
        from deployments.reconcile import reconcile_pass
        from dosim.client import DosimClient

        sim = DosimClient(base)
        began = time.perf_counter()
        _seed(sim, args.n)
        print(f"seeded {args.n} deployments with droplets and records in {time.perf_counter() - began:.1f}s")
        for label in ("first pass", "second pass"):
            before = len(sim.requests())
            began = time.perf_counter()
            report = reconcile_pass(grace=600)
            took = time.perf_counter() - began
            logged = len(sim.requests()) - before
            expected = math.ceil(report.droplets / 200) + math.ceil(report.records / 200)
            print(
                f"{label}: {report.droplets} droplets, {report.records} records → {report.requests} requests "
                f"(simulator log {logged}; ceil(d/200)+ceil(r/200) = {expected}) in {took:.2f}s; "
                f"{len(report.recorded.opened)} new, {len(report.recorded.seen_again)} seen again, "
                f"{len(report.open)} open"
            )
        for finding in report.open:
            print(f"  {finding.kind:<9} {finding.summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
