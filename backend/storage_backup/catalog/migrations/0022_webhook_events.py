# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A webhook"s ``events`` filter: the event types it wants; empty (every hook made before) wants every event."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0021_revert_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhook",
            name="events",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
