from django.db import migrations

DEPLOYMENT = "deployments.deployment"


def name_subjects(apps, schema_editor):
    """Carry every saga's deployment across to its generic subject, before
    the engine drops the foreign key (provisioning 0005)."""
    Saga = apps.get_model("provisioning", "Saga")
    for saga_id, deployment_id in Saga.objects.exclude(deployment_id=None).values_list("id", "deployment_id"):
        Saga.objects.filter(id=saga_id).update(subject_type=DEPLOYMENT, subject_id=str(deployment_id))


def restore_deployments(apps, schema_editor):
    Saga = apps.get_model("provisioning", "Saga")
    for saga_id, subject_id in Saga.objects.filter(subject_type=DEPLOYMENT).values_list("id", "subject_id"):
        Saga.objects.filter(id=saga_id).update(deployment_id=int(subject_id))


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0001_initial"),
        ("provisioning", "0004_saga_subject"),
    ]
    run_before = [("provisioning", "0005_drop_saga_deployment")]

    operations = [migrations.RunPython(name_subjects, restore_deployments)]
