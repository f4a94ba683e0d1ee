from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0004_saga_subject"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="saga", name="uniq_live_saga_per_deployment"),
        migrations.RemoveField(model_name="saga", name="deployment"),
        migrations.AddConstraint(
            model_name="saga",
            constraint=models.UniqueConstraint(
                condition=Q(status__in=["pending", "running", "compensating"]) & ~Q(subject_id=""),
                fields=("subject_type", "subject_id"),
                name="uniq_live_saga_per_subject",
            ),
        ),
    ]
