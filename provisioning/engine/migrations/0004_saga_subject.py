from django.db import migrations, models


class Migration(migrations.Migration):
    """A saga names its subject generically. The rows' subjects are filled in
    by the client app that owns them (a data migration of its own, which runs
    before 0005 drops the old column)."""

    dependencies = [
        ("provisioning", "0003_sagastep_compensation_task_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="saga",
            name="subject_type",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="saga",
            name="subject_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="sagastep",
            name="throttled_seconds",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddIndex(
            model_name="saga",
            index=models.Index(
                fields=["subject_type", "subject_id", "created_at"], name="provisionin_subject_6aefe7_idx"
            ),
        ),
    ]
