from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0002_step_polls_event_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="sagastep",
            name="compensation_task_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
