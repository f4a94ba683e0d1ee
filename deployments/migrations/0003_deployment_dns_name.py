"""Store each deployment's record name. Hostnames were ``<name>-<tenant>``
(ambiguous across tenants); new ones are ``<name>.<tenant>``. Existing rows
keep their hostname and DNS record: their ``dns_name`` is the legacy label,
which is what their hostname starts with."""

from django.conf import settings
from django.db import migrations, models


def store_legacy_dns_names(apps, schema_editor):
    Deployment = apps.get_model("deployments", "Deployment")
    suffix = f".{settings.ARCADIA_DNS_DOMAIN}"
    for deployment in Deployment.objects.select_related("tenant").filter(dns_name=""):
        legacy = f"{deployment.name}-{deployment.tenant.slug}"
        hostname = deployment.hostname
        deployment.dns_name = hostname.removesuffix(suffix) if hostname.endswith(suffix) else legacy
        deployment.save(update_fields=["dns_name"])


class Migration(migrations.Migration):
    dependencies = [("deployments", "0002_saga_subjects")]

    operations = [
        migrations.AddField(
            model_name="deployment",
            name="dns_name",
            field=models.CharField(blank=True, default="", max_length=253),
        ),
        migrations.RunPython(store_legacy_dns_names, migrations.RunPython.noop),
    ]
