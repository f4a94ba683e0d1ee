"""Sagas store their subject's public id (what the API shows and filters on).

A subject's own app fills it for its existing sagas (deployments 0006): the
engine knows no client model.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0007_fleet_liveness"),
    ]

    operations = [
        migrations.AddField(
            model_name="saga",
            name="subject_public_id",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
    ]
