"""``make demo``: the main job on embedded defaults, with no services.

SQLite, the embedded Celery worker (memory:// broker, in this process) and
the DigitalOcean simulator in a thread. Provisions one deployment through
the HTTP API, printing each step as it happens; then a second one whose DNS
step fails for good, printing the compensation; then a third whose name
already has an A record Arcadia did not create, refused before a droplet is
bought; then the simulator's state; then one reconcile pass, which finds
nothing left behind.
"""

import logging
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from deployments.models import Deployment
from deployments.reconcile import reconcile_pass, report_lines
from deployments.saga_watch import saga_follow
from deployments.tenants import tenant_user_create
from dosim.client import DosimClient, droplet_ipv4
from dosim.server import start_in_thread
from inventory.dns_records import dns_snapshot_forget
from inventory.models import CloudResource
from provisioning.engine import embedded_worker

SPEC = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "provision": True}
# Someone else's record already sits at the third deployment's hostname:
# the POST is refused and the record stays exactly as it was.
PREVIOUS_IP = "198.51.100.7"


class Command(BaseCommand):
    help = "Provision one deployment, then roll back one that fails at DNS, on the bundled simulator."

    def add_arguments(self, parser):
        parser.add_argument("--boot-delay", type=float, default=2.0, help="seconds a droplet stays 'new'")

    def handle(self, *args, boot_delay, **options):
        if not settings.ARCADIA_EMBEDDED_WORKER:
            raise CommandError("The demo runs its own in-process worker: unset CELERY_BROKER_URL.")
        # The engine and Celery log every step (and a failing step's
        # traceback); the demo prints its own account from the saga rows.
        logging.disable(logging.ERROR)
        self.say(f"Database: {settings.DATABASES['default']['NAME']} (migrating)")
        call_command("migrate", verbosity=0)
        sim = self.start_simulator(boot_delay)
        with embedded_worker():
            _, _, token = tenant_user_create(tenant_slug="demo", username="demo")
            client = Client(HTTP_AUTHORIZATION=f"Token {token}")
            self.provision(client, "web", "1. Provision 'web': every step, live")
            sim.faults(
                record_create={"fail_next": 1, "status": 422, "message": "Injected by the demo."},
            )
            self.say("\nThe next DNS write will fail (422).")
            self.provision(client, "shop", "2. Provision 'shop': permanent fault at point_deployment_dns")
            sim.add_record(settings.ARCADIA_DNS_DOMAIN, "mail.demo", PREVIOUS_IP, ttl=1800)
            self.say(f"\nA record mail.demo → {PREVIOUS_IP} made by hand (not by Arcadia).")
            # A POST reads the zone's A records from one listing at most every
            # ARCADIA_DNS_POST_CHECK_SECONDS (30 s); the earlier POSTs listed it
            # a moment ago. Past that, the next POST sees the record; sooner,
            # the DNS step refuses it and the saga rolls back. The demo shows
            # the POST's refusal without the wait.
            dns_snapshot_forget(settings.ARCADIA_DNS_DOMAIN)
            self.say("(the POST's 30 s zone snapshot dropped, as if it had aged out)")
            self.refused(client, "mail", "3. Provision 'mail': a DNS record Arcadia did not create")
        self.report(sim)
        self.reconcile()

    def say(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def start_simulator(self, boot_delay: float) -> DosimClient:
        token = settings.DOSIM_TOKEN
        handle = start_in_thread(
            port=0, boot_delay=boot_delay, token=token, domains=[settings.ARCADIA_DNS_DOMAIN]
        )
        settings.DIGITALOCEAN_API_URL, settings.DIGITALOCEAN_TOKEN = handle.api_url, token
        os.environ["DIGITALOCEAN_END_POINT"] = handle.api_url
        self.say(f"Simulator: {handle.api_url} (droplets boot in {boot_delay:g}s)")
        return DosimClient(handle.base_url, token=token)

    def provision(self, client: Client, name: str, title: str) -> None:
        self.say(f"\n== {title}")
        response = client.post("/api/deployments/", {"name": name, **SPEC}, content_type="application/json")
        if response.status_code != 202:
            raise CommandError(
                f"POST /api/deployments/ answered {response.status_code}: {response.content!r}"
            )
        body = response.json()
        self.say(f"POST /api/deployments/ → 202, Location {response['Location']}, status {body['status']}")
        saga_follow(saga_id=body["saga"]["id"], emit=self.say, timeout=60)
        detail = client.get(response["Location"]).json()
        self.say(
            f"GET {response['Location']} → {detail['hostname']} is {detail['status']}, "
            f"saga {detail['saga']['status']} ({detail['saga']['progress']} steps succeeded)"
        )

    def refused(self, client: Client, name: str, title: str) -> None:
        self.say(f"\n== {title}")
        response = client.post("/api/deployments/", {"name": name, **SPEC}, content_type="application/json")
        if response.status_code != 409:
            raise CommandError(
                f"POST /api/deployments/ answered {response.status_code}: {response.content!r}"
            )
        self.say(f"POST /api/deployments/ → 409: {response.json()['name'][0]}")

    def report(self, sim: DosimClient) -> None:
        domain = settings.ARCADIA_DNS_DOMAIN
        self.say("\n== 4. Simulator state")
        droplets = sim.droplets()
        self.say(f"droplets ({len(droplets)}):")
        for d in droplets:
            self.say(
                f"  #{d['id']} {d['name']:<12} {d['status']:<8} {droplet_ipv4(d) or '-':<15} {d['tags']}"
            )
        self.say(f"A records in {domain}:")
        for r in sim.records(domain):
            if r["type"] == "A":
                self.say(f"  {r['name']:<12} → {r['data']:<15} ttl {r['ttl']}")
        self.say("deployments:")
        for dep in Deployment.objects.order_by("id"):
            self.say(f"  {dep.hostname:<24} {dep.status}")
        shop, mail = sim.a_record("shop.demo", domain), sim.a_record("mail.demo", domain)
        leftover = [d for d in droplets if d["name"] == "shop.demo"]
        self.say(
            f"rolled back: shop droplets left {len(leftover)}, shop.demo A record {shop and shop['data']}"
        )
        self.say(
            f"refused: no droplet bought for mail, mail.demo A record still "
            f"{mail and mail['data']} (ttl {mail and mail['ttl']})"
        )
        self.say("inventory:")
        for res in CloudResource.objects.order_by("id"):
            owner = f"deployment {res.deployment_id or '-'}" + (" (unlinked)" if res.unlinked_at else "")
            self.say(f"  droplet #{res.external_id} {res.status:<9} {owner}")

    def reconcile(self) -> None:
        # Grace 0: the strictest pass (no droplet is young enough to excuse).
        self.say("\n== 5. Reconcile: DigitalOcean against inventory and the saga ledger (grace 0 s)")
        for line in report_lines(reconcile_pass(grace=0, destroy_orphans=False)):
            self.say(line)
