# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lock maintenance of S3 destinations with Object Lock: job type ``lock_maintenance``, and on each destination when
its last pass succeeded (and what it left retained) or failed and why."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0015_destination_object_storage"),
    ]

    operations = [
        migrations.AddField(
            model_name="destination",
            name="lock_maintained_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="destination",
            name="lock_protected_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="destination",
            name="lock_maintenance_failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="destination",
            name="lock_maintenance_error",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AlterField(
            model_name="job",
            name="type",
            field=models.CharField(choices=[("backup", "Backup"), ("restore", "Restore"),
                                            ("restore_volume", "Restore Volume"), ("verify", "Verify"),
                                            ("delete", "Delete"), ("prune", "Prune"), ("lock", "Lock"),
                                            ("rebuild", "Rebuild"), ("lock_maintenance", "Lock Maintenance"),
                                            ("retention", "Retention")], max_length=16),
        ),
    ]
