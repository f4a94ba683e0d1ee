"""``python manage.py check_digitalocean``: before going live, check the token,
its rate limits, the DNS zone and listing by Arcadia's tag, creating nothing.

Lives in the top app because it needs both the gateway (inventory) and the
tag the provisioning steps put on every droplet.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inventory.preflight import preflight
from inventory.tags import ARCADIA_TAG


class Command(BaseCommand):
    help = "Check the DigitalOcean token, rate limits, DNS zone and tag listing without creating anything."

    def handle(self, *args, **options):
        checks = preflight(
            api_url=settings.DIGITALOCEAN_API_URL,
            token=settings.DIGITALOCEAN_TOKEN,
            zone=settings.ARCADIA_DNS_DOMAIN,
            tag=ARCADIA_TAG,
            simulator_token=settings.DOSIM_TOKEN,
        )
        styles = {"ok": self.style.SUCCESS, "warn": self.style.WARNING, "FAIL": self.style.ERROR}
        for check in checks:
            self.stdout.write(f"{styles[check.label](f'{check.label:<4}')}  {check.name:<12} {check.detail}")
            if check.fix:
                self.stdout.write(f"{'':6}{'':12} fix: {check.fix}")
        failed = [check.name for check in checks if not check.ok]
        if failed:
            raise CommandError(f"{len(failed)} check(s) failed: {', '.join(failed)}")
        self.stdout.write("DigitalOcean is ready for Arcadia.")
