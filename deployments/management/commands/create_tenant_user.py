"""``manage.py create_tenant_user``: a tenant, a user in it and the user's API token."""

from django.core.management.base import BaseCommand, CommandError

from arcadia.exceptions import ApplicationError
from deployments.tenants import tenant_user_create


class Command(BaseCommand):
    help = "Create a tenant, a user in it and print the user's API token (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug (a DNS label, e.g. acme)")
        parser.add_argument("--username", required=True)
        parser.add_argument("--tenant-name", default="", help="display name (defaults to the slug)")

    def handle(self, *args, tenant, username, tenant_name, **options):
        try:
            tenant_obj, user, token = tenant_user_create(
                tenant_slug=tenant, username=username, tenant_name=tenant_name
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        self.stderr.write(f"tenant {tenant_obj.slug}, user {user.username}; API token:")
        self.stdout.write(token)
