"""``manage.py create_tenant_user``: a tenant, a user in it and a new API token
for the user, printed once (the database keeps only its digest)."""

from django.core.management.base import BaseCommand, CommandError

from arcadia.exceptions import ApplicationError
from deployments.tenants import tenant_user_create


class Command(BaseCommand):
    help = (
        "Create a tenant and a user in it, and print a new API token for the user: shown this once, "
        "valid ARCADIA_TOKEN_TTL_DAYS days. Safe to run again (each run issues another token)."
    )

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
        self.stderr.write(
            f"tenant {tenant_obj.slug}, user {user.username}; a new API token (shown only now; "
            "list or revoke tokens at /api/tokens/):"
        )
        self.stdout.write(token)
