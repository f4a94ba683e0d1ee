"""``python manage.py reconcile``: one reconcile pass now, findings printed."""

import time

from django.core.management.base import BaseCommand

from deployments.reconcile import reconcile_pass, report_lines


class Command(BaseCommand):
    help = "Compare DigitalOcean with inventory and the saga ledger; record and print the findings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace", type=float, default=None, help="seconds (default ARCADIA_RECONCILE_GRACE)"
        )
        parser.add_argument(
            "--destroy-orphans",
            action="store_true",
            default=None,
            help="destroy orphans of ended sagas (default ARCADIA_RECONCILE_DESTROY_ORPHANS)",
        )

    def handle(self, *args, grace, destroy_orphans, **options):
        began = time.perf_counter()
        report = reconcile_pass(grace=grace, destroy_orphans=destroy_orphans)
        elapsed = time.perf_counter() - began
        for line in report_lines(report):
            self.stdout.write(line)
        self.stdout.write(f"took {elapsed:.2f}s")
