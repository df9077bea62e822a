# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Policies remember why the scheduler could not run them (``schedule_error``, ``schedule_failed_at``): one failing
policy is reported on the administrators' overview and beside the policy while the others go on running."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0011_proxy_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="schedule_error",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="policy",
            name="schedule_failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
