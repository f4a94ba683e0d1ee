"""Cloud resources get a public id that does not count (arcadia.public_ids).

Added nullable, drawn for every existing row, then made unique and not null.
"""

import uuid

from django.db import migrations, models


def draw_public_ids(apps, schema_editor):
    CloudResource = apps.get_model("inventory", "CloudResource")
    for resource in CloudResource.objects.filter(public_id__isnull=True).only("pk").iterator():
        CloudResource.objects.filter(pk=resource.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_reconcile_finding"),
    ]

    operations = [
        migrations.AddField(
            model_name="cloudresource",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(draw_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cloudresource",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
