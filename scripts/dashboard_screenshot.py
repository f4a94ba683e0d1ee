"""``make dashboard-screenshot``: docs/prometheus-dashboard-queries.png, the
starting dashboard's queries (docs/grafana-dashboard.json) run in
Prometheus's own UI on a live Arcadia.

On loopback, through the bench's ``Stack`` (its own PostgreSQL database
``arcadia_screenshot`` and Redis database 9): the simulator, a prefork
worker and a gunicorn web process serving ``/metrics`` with a token. Debian's
``prometheus`` scrapes it every second from before the first saga, so the
counters' ``increase`` starts at zero. Then provisioning sagas run: some
succeed, two roll back at DNS (a permanent 422 on the A record), one at
create (a 422 on the droplet), and two stay in flight (droplets that never
boot). Once Prometheus holds every number, headless Chromium (the system's,
driven by Playwright) opens Prometheus's graph page with one table per query
and takes one full-page screenshot. Everything started is stopped at the
end, also on an error or Ctrl-C.

    .venv/bin/python scripts/dashboard_screenshot.py [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "prometheus-dashboard-queries.png"
TOKEN = "screenshot-metrics-token"
CHROMIUM = os.environ.get("ARCADIA_TEST_CHROMIUM", "/usr/bin/chromium")
# What works here for Debian's Chromium (as tests/support/browser.py launches it).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
SPEC = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
SUCCEED, AT_DNS, AT_CREATE, IN_FLIGHT = 4, 2, 1, 2

# The dashboard's expressions, Grafana's $__rate_interval made 5m. The last
# is no panel of its own: the requests the budget counted, which its
# "budget left" gauge divides.
QUERIES = [
    "sum by (kind, outcome) (increase(arcadia_sagas_finished_total[5m]))",
    'sum by (kind, step) (increase(arcadia_step_runs_total{phase="forward", outcome="failed"}[1h]))',
    "sum by (kind, status) (arcadia_sagas_live)",
    "histogram_quantile(0.95, sum by (le) (rate(arcadia_saga_duration_seconds_bucket"
    '{kind="provision_deployment", outcome="succeeded"}[5m])))',
    "arcadia_digitalocean_budget_left / arcadia_digitalocean_budget_limit",
    "arcadia_digitalocean_budget_used",
]
STACK_ENV = {
    "ARCADIA_METRICS_TOKEN": TOKEN,
    "ARCADIA_DROPLET_POLL_INTERVAL": "1",
    "ARCADIA_DROPLET_BOOT_WAIT": "0",
    "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "900",
    "ARCADIA_TAG_LISTING_SETTLE": "1",
    "CONN_MAX_AGE": "60",
    "DEBUG": "false",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"the PNG to write (default {OUT})")
    args = parser.parse_args()
    for binary in ("prometheus", CHROMIUM):
        if not shutil.which(binary):
            sys.exit(f"{binary} is missing: apt-get install -y prometheus chromium")
    # The script runs as a file: the checkout's packages import from its root.
    sys.path.insert(0, str(ROOT))
    from bench.harness import Stack
    from dosim.client import DosimClient

    # SIGTERM (and SIGINT) must still stop every process the stack started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with (
        tempfile.TemporaryDirectory(prefix="arcadia-prometheus-") as workdir,
        Stack(database="arcadia_screenshot", redis_db=9, env=STACK_ENV) as stack,
    ):
        print("database, simulator, worker, web …", flush=True)
        stack.prepare_database()
        sim = DosimClient(stack.start_dosim("--boot-delay", "0"))
        os.environ.update(stack.env)
        import django

        django.setup()
        stack.start_worker(name="screenshot-worker")
        web = stack.start_web(workers=1)
        prom = start_prometheus(stack, target=web.removeprefix("http://"), workdir=Path(workdir))
        print(f"prometheus {prom}, scraping {web}/metrics every 1s", flush=True)
        prom_wait(prom, 'up{job="arcadia"}', lambda v: v == [1.0], what="a first scrape")
        counts = run_sagas(sim)
        print(f"sagas: {counts}", flush=True)
        wait_for_series(prom, counts)
        screenshot(prom, args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size // 1024} KB)")
    return 0


# --- Prometheus -------------------------------------------------------------------
def start_prometheus(stack, *, target: str, workdir: Path) -> str:
    """Debian's prometheus on a spare port, one of the stack's processes
    (stopped with it), scraping ``target`` with the metrics token."""
    from bench.harness import free_port, http_ok, wait_until

    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "arcadia",
                "metrics_path": "/metrics",
                "authorization": {"type": "Bearer", "credentials": TOKEN},
                "static_configs": [{"targets": [target]}],
            }
        ],
    }
    path = workdir / "prometheus.yml"
    path.write_text(json.dumps(config, indent=1))  # JSON is YAML
    port = free_port()
    argv = [
        shutil.which("prometheus"),
        f"--config.file={path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1h",
    ]
    proc = stack.start("screenshot-prometheus", argv)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"prometheus exited {proc.returncode}: see bench/results/")
        return http_ok(f"{url}/-/ready")

    wait_until(ready, timeout=60, interval=0.2, what="prometheus")
    return url


def prom_values(prom: str, expr: str) -> list[float]:
    """An instant query's values (empty while it has no result)."""
    query = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{prom}/api/v1/query?{query}", timeout=10) as answer:
        body = json.load(answer)
    if body["status"] != "success":
        raise RuntimeError(f"{expr}: {body}")
    return [float(r["value"][1]) for r in body["data"]["result"]]


def prom_wait(prom: str, expr: str, good, *, what: str, timeout: float = 120) -> list[float]:
    deadline, seen = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        seen = prom_values(prom, expr)
        if good(seen):
            return seen
        time.sleep(0.5)
    raise TimeoutError(f"{what}: {expr} was {seen} after {timeout:g}s")


def wait_for_series(prom: str, counts: dict[str, int]) -> None:
    """Until Prometheus holds the ledger's numbers and every query of the
    screenshot has a non-zero value to show."""
    finished = 'sum(arcadia_sagas_finished_total{kind="provision_deployment", outcome="%s"})'
    for outcome in ("succeeded", "compensated"):
        prom_wait(prom, finished % outcome, lambda v, o=outcome: v == [counts[o]], what=outcome)
    live = 'sum(arcadia_sagas_live{kind="provision_deployment"})'
    prom_wait(prom, live, lambda v: v == [counts["in flight"]], what="live sagas")
    # increase() and rate() need two samples after the change: a few scrapes more.
    for expr in QUERIES:
        prom_wait(prom, expr, lambda v: any(x > 0 for x in v), what="a non-zero value")


# --- sagas ----------------------------------------------------------------------
def run_sagas(sim) -> dict[str, int]:
    """Successes, rollbacks at DNS and at create, then sagas left in flight."""
    from deployments.models import Tenant
    from provisioning.engine import SagaStatus

    tenant = Tenant.objects.get_or_create(slug="acme", defaults={"name": "Acme"})[0]
    sim.configure(boot_delay=1.5)
    # A labelled series is born at its first observation, and rate() sees no
    # increase in a series' first sample: one success, a few scrapes, the rest.
    _wait_all(tenant, ["web0"], SagaStatus.SUCCEEDED)
    time.sleep(3)
    _wait_all(tenant, [f"web{i}" for i in range(1, SUCCEED)], SagaStatus.SUCCEEDED)
    for i in range(AT_DNS):
        sim.faults(
            record_create={"fail_next": 1, "status": 422, "message": "Invalid record."},
            record_update={"fail_next": 1, "status": 422, "message": "Invalid record."},
        )
        _wait_all(tenant, [f"shop{i}"], SagaStatus.COMPENSATED)
    for i in range(AT_CREATE):
        sim.faults("droplet_create", fail_next=1, status=422, message="Region is unavailable.")
        _wait_all(tenant, [f"api{i}"], SagaStatus.COMPENSATED)
    # Droplets that stay "new" for an hour: their sagas poll at wait_droplet_active.
    sim.configure(boot_delay=3600)
    _wait_all(tenant, [f"batch{i}" for i in range(IN_FLIGHT)], SagaStatus.RUNNING, step="wait_droplet_active")
    return {"succeeded": SUCCEED, "compensated": AT_DNS + AT_CREATE, "in flight": IN_FLIGHT}


def _wait_all(tenant, names: list[str], status: str, *, step: str = "") -> None:
    from bench.harness import wait_until
    from deployments.services import deployment_create
    from provisioning.engine import SAGA_TERMINAL_STATUSES, Saga

    ids = [
        str(deployment_create(tenant=tenant, name=name, provision=True, **SPEC).deployment.pk)
        for name in names
    ]

    def there() -> bool:
        sagas = list(Saga.objects.filter(subject_id__in=ids, kind="provision_deployment"))
        for saga in sagas:
            if saga.status in SAGA_TERMINAL_STATUSES and saga.status != status:
                raise RuntimeError(f"saga {saga.pk} ended {saga.status}, not {status}")
        done = [s for s in sagas if s.status == status and (not step or _current_step(s) == step)]
        return len(done) == len(ids)

    wait_until(there, timeout=120, interval=0.2, what=f"{names} {status}")


def _current_step(saga) -> str:
    running = saga.steps.filter(status="running").order_by("index").first()
    return running.name if running else ""


# --- the screenshot ---------------------------------------------------------------
def screenshot(prom: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    params = {}
    for i, expr in enumerate(QUERIES):
        params[f"g{i}.expr"], params[f"g{i}.tab"] = expr, "1"  # tab 1: the table ("Console")
    # Every reserved character escaped: the page splits its parameters on "=" and reads "+" as a space.
    url = f"{prom}/graph?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="")
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url, wait_until="networkidle")
            # Each query's table filled, its "Load time … Total time series" written.
            page.wait_for_function(
                """n => {
                    const graphs = [...document.querySelectorAll('.graph_wrapper')];
                    return graphs.length === n && graphs.every(g =>
                        g.querySelector('.eval_stats').textContent.includes('Total time series')
                        && g.querySelector('.console_table tbody tr'));
                }""",
                arg=len(QUERIES),
                timeout=30_000,
            )
            problems = page.evaluate(
                """() => [...document.querySelectorAll('.graph_wrapper')].flatMap(g => {
                    const error = g.querySelector('.error');
                    const shown = error && error.offsetParent !== null ? [error.textContent] : [];
                    const empty = g.querySelector('.console_table tbody').textContent.includes('no data');
                    return empty ? [...shown, 'no data: ' + g.querySelector('textarea').value] : shown;
                })"""
            )
            if problems:
                raise RuntimeError(f"Prometheus's page shows {problems}")
            # The fixed navigation bar would land mid-page in a full-page shot.
            page.add_style_tag(content=".navbar { position: absolute !important; top: 0; }")
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
