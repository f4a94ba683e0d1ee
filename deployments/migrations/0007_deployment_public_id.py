"""Deployments get a public id that does not count (arcadia.public_ids).

Added nullable, drawn for every existing row, then made unique and not
null; the sagas of existing deployments learn it as their subject's public
id, so the saga API names them the same way.
"""

import uuid

from django.db import migrations, models

DEPLOYMENT_SUBJECT = "deployments.deployment"


def draw_public_ids(apps, schema_editor):
    Deployment = apps.get_model("deployments", "Deployment")
    for deployment in Deployment.objects.filter(public_id__isnull=True).only("pk").iterator():
        Deployment.objects.filter(pk=deployment.pk).update(public_id=uuid.uuid4())


def name_saga_subjects(apps, schema_editor):
    # In Python, not one UPDATE: SQLite stores a UUID as 32 hex digits, and
    # the API's form (str(uuid), hyphenated) must be the one stored.
    Deployment = apps.get_model("deployments", "Deployment")
    Saga = apps.get_model("provisioning", "Saga")
    public_ids = {str(pk): str(public_id) for pk, public_id in Deployment.objects.values_list("pk", "public_id")}
    sagas = Saga.objects.filter(subject_type=DEPLOYMENT_SUBJECT, subject_public_id="")
    for saga_id, subject_id in sagas.values_list("id", "subject_id").iterator():
        if subject_id in public_ids:
            Saga.objects.filter(id=saga_id).update(subject_public_id=public_ids[subject_id])


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0006_tenant_quotas"),
        ("provisioning", "0008_saga_subject_public_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="deployment",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(draw_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deployment",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RunPython(name_saga_subjects, migrations.RunPython.noop),
    ]
