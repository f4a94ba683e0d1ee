"""Outage drills of ``make chaos``: a batch of sagas in flight (droplets
booting), then one service goes away and comes back:

- ``redis``: the worker's broker (a Redis of the drill's own, on a spare
  port) is SIGKILLed and started again *empty* ``--outage`` seconds later;
- ``postgres``: the database (a cluster the drill initdb's itself, on a
  spare port) is stopped with ``-m immediate`` and started again;
- ``provider``: the simulator answers 503 to every DigitalOcean operation
  for ``--provider-outage`` seconds, then the faults are cleared.

Throughout, an API client polls the stack's gunicorn (list, detail-free
reads, ``/healthz``; a POST a second while the service is out) and counts
the answers. Then the drill waits (bounded) until every saga is terminal
and reports stuck sagas, orphans, duplicates, dangling DNS records,
deployments rolled back (each one fails the drill), the time from the
service's return to the last saga terminal, and every answer the API gave,
by phase. The shared servers
(5432, 6379, 5672) are never touched.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import chaos_checks
from bench.harness import Stack, wait_until

OUTAGES = ("redis", "postgres", "provider")
PHASES = ("before", "outage", "after")
WORDS = {"before": "before", "outage": "during", "after": "after"}
POST_EVERY = 3.0  # seconds, while the service is out


class ApiPoller(threading.Thread):
    """A client of the API for the whole drill: what it was answered, by
    phase. While the service is out it also POSTs a deployment every few
    seconds (those the API accepted join the batch)."""

    READS = ("/api/deployments/", "/api/sagas/", "/healthz")

    def __init__(self, base: str, token: str, prefix: str):
        super().__init__(daemon=True)
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.prefix = prefix
        self.phase = "before"
        self.answers = {phase: collections.Counter() for phase in PHASES}
        self.halt = threading.Event()
        self.posted = 0

    def run(self):
        last_post = 0.0
        while not self.halt.is_set():
            phase = self.phase
            for path in self.READS:
                self._call(phase, "GET", path)
            if phase == "outage" and time.monotonic() - last_post >= POST_EVERY:
                last_post = time.monotonic()
                self.posted += 1
                body = {"name": f"{self.prefix}-api-{self.posted}", "region": "nyc3"}
                body |= {"size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
                self._call(phase, "POST", "/api/deployments/", json=body)
            self.halt.wait(0.25)

    def _call(self, phase: str, method: str, path: str, **kwargs) -> None:
        try:
            response = self.session.request(method, self.base + path, timeout=10, **kwargs)
            answer = str(response.status_code)
        except requests.RequestException as exc:
            answer = type(exc).__name__  # no answer at all (the web server itself is never stopped)
        # Counted in the phase the answer arrived in: a read sent just
        # before the kill and answered 503 is an answer of the outage.
        self.answers[self.phase][f"{method} {path} {answer}"] += 1

    def count(self, code: str) -> int:
        """Answers with this status code, in every phase."""
        answers = (self.answers[phase].items() for phase in PHASES)
        return sum(n for pairs in answers for key, n in pairs if key.endswith(f" {code}"))

    def stop(self):
        self.halt.set()
        self.join(timeout=15)


def run(kind: str, args) -> int:
    """One outage drill in this process (Django is set up once per process,
    on the drill's own database: ``bench.chaos`` runs each in its own)."""
    with contextlib.ExitStack() as servers:
        env = dict(chaos_checks.CHAOS_ENV)
        stack_args = {"database": f"arcadia_chaos_{kind}", "redis_db": 6}
        broker = pg = None
        if kind == "redis":
            from tests.support.broker_servers import PrivateRedis

            workdir = Path(tempfile.mkdtemp(prefix="arcadia-chaos-redis-"))
            servers.callback(shutil.rmtree, workdir, ignore_errors=True)
            broker = PrivateRedis(workdir)
            broker.start()
            servers.callback(broker.kill)
            env["CELERY_BROKER_URL"] = broker.url
            # The shared DigitalOcean budget (when merged) lives on a Redis too: this one.
            env["ARCADIA_RATE_LIMIT_URL"] = broker.url
        elif kind == "postgres":
            from bench.chaos_servers import PrivatePostgres

            pg = servers.enter_context(PrivatePostgres())
            stack_args = {"database": "arcadia_chaos", "redis_db": 6, "db_port": pg.port}
        stack = servers.enter_context(Stack(env=env, **stack_args))
        return _drill(kind, args, stack, broker=broker, pg=pg)


def _drill(kind: str, args, stack: Stack, *, broker, pg) -> int:
    from bench.run import _django_setup, start_sagas

    stack.prepare_database()
    base = stack.start_dosim("--boot-delay", str(args.boot_delay))
    _django_setup(stack)
    from deployments.models import Deployment
    from deployments.tenants import tenant_user_create
    from dosim.client import DosimClient

    sim = DosimClient(base)
    stack.start_worker()
    schedule = f"bench/results/chaos-{kind}-beat-schedule"
    beat = [sys.executable, "-m", "celery", "-A", "arcadia", "beat", "--loglevel=WARNING"]
    stack.start("beat", [*beat, f"--schedule={schedule}"])
    web = stack.start_web()
    tenant, _user, token = tenant_user_create(tenant_slug=f"chaos-{kind}", username=f"chaos-{kind}")
    seconds = args.provider_outage if kind == "provider" else args.outage
    print(f"\n=== outage drill {kind}: {args.outage_n} sagas, {seconds:.0f} s outage ===")

    poller = ApiPoller(web, token, prefix=kind)
    poller.start()
    ids = start_sagas(tenant, args.outage_n, prefix=f"{kind}-")
    # In flight: most droplets created and booting before the service goes.
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: len(sim.state()["droplets"]) >= args.outage_n // 2, timeout=30, what="droplets")
    booting, live = len(sim.state()["droplets"]), chaos_checks.live_sagas(ids)

    poller.phase = "outage"
    went = time.monotonic()
    _take_down(kind, sim=sim, broker=broker, pg=pg)
    print(f"  {kind} down ({booting} droplets booting, {live} sagas live)")
    time.sleep(seconds)
    _bring_back(kind, sim=sim, broker=broker, pg=pg)
    returned_at = datetime.datetime.now(datetime.UTC)
    poller.phase = "after"
    print(f"  {kind} back after {time.monotonic() - went:.1f} s")

    def all_ids():
        return list(Deployment.objects.filter(tenant=tenant).values_list("pk", flat=True))

    stuck = chaos_checks.wait_terminal(ids, args.timeout, ids_now=all_ids)
    poller.stop()
    ids = all_ids()
    report = chaos_checks.inspect(sim, ids)
    report["stuck"] = stuck
    return _print(kind, report, poller, returned_at, batch=args.outage_n, posted=len(ids) - args.outage_n)


def _take_down(kind: str, *, sim, broker, pg) -> None:
    if kind == "redis":
        broker.kill()
    elif kind == "postgres":
        pg.crash()
    else:
        sim.fault_all(failure_rate=1.0, status=503, message="chaos: provider outage")


def _bring_back(kind: str, *, sim, broker, pg) -> None:
    if kind == "redis":
        broker.start()  # empty: every message it held is gone
    elif kind == "postgres":
        pg.start()
    else:
        sim.clear_faults()


def _print(kind: str, report: dict, poller: ApiPoller, returned_at, *, batch: int, posted: int) -> int:
    from django.conf import settings

    stall = settings.SAGA_ENGINE["stall_timeout"]
    last = report["last_finished_at"]
    recovery = (last - returned_at).total_seconds() if last else None
    rolled_back = report["deployments"].get("cancelled", 0)
    answered_500 = poller.count("500")
    print(f"deployments: {report['deployments']} ({batch} started, {posted} POSTed during the outage)")
    print(f"sagas:       {report['sagas']}")
    for why, n in report["why_not_succeeded"].items():
        print(f"  {n} x {why}")
    faulted = sum(1 for r in report["requests"] if r.get("fault"))
    print(f"DigitalOcean calls answered with a fault: {faulted}")
    chaos_checks.print_invariants(report)
    print(f"deployments rolled back: {rolled_back}")
    shown = "n/a" if recovery is None else f"{recovery:.1f} s"
    print(f"last saga terminal {shown} after the service returned (stall timeout {stall:.0f} s)")
    for phase in PHASES:
        answers = ", ".join(f"{key}: {n}" for key, n in sorted(poller.answers[phase].items()))
        print(f"API answers {WORDS[phase]} the outage: {answers or '-'}")
    print(f"API answers 500: {answered_500}")

    failed = chaos_checks.broken(report) or answered_500 > 0
    missed = []
    # No drill injects a fault of its own: every rollback is the outage's,
    # and an outage of any of them is something to wait out, not a failure.
    if rolled_back:
        failed = True
        missed.append(f"{rolled_back} deployments rolled back by a {kind} outage")
    if kind == "provider" and (recovery is None or recovery > stall + 30):
        missed.append(f"last saga terminal later than stall timeout + 30 s ({shown})")
    for line in missed:
        print(f"target missed: {line}")
    print(f"\nchaos {kind}: FAILED" if failed else f"\nchaos {kind}: OK")
    return 1 if failed else 0
