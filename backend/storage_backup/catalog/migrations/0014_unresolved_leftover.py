# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the sweeper could not remove, for the admin overview (``UnresolvedLeftover``)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0013_policy_schedule_error"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnresolvedLeftover",
            fields=[
                ("resource_id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("resource_type", models.CharField(max_length=32)),
                ("status", models.CharField(blank=True, default="", max_length=32)),
                ("job_id", models.CharField(blank=True, default="", max_length=64)),
                ("project_id", models.CharField(blank=True, default="", max_length=64)),
                ("reason", models.TextField(blank=True, default="")),
                ("first_seen", models.DateTimeField(auto_now_add=True)),
                ("last_seen", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ("first_seen", "resource_id"),
            },
        ),
    ]
