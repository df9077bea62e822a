# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A policy's read-bandwidth cap (``read_limit_mbps``), and an index for the metrics' count of jobs by state and
type (``services/metrics.py``), which a scrape asks every 15 s or so."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0017_vault"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="read_limit_mbps",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["state", "type"], name="job_state_type"),
        ),
    ]
