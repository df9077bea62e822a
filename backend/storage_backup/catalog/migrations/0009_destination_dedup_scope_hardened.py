# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Destinations: ``dedup_scope`` (per project by default; cloud-wide when an administrator opts in) and
``hardened`` (filesystem WORM through the immutable attribute); restore points: ``missing_since``, when a pass
found the document gone from the repository. Existing destinations become per-project: their
next backups start a new deduplication domain per project (a full backup each), their restore points stay
readable as they are."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0008_destination_max_lock_days"),
    ]

    operations = [
        migrations.AddField(
            model_name='destination',
            name='dedup_scope',
            field=models.CharField(choices=[('project', 'project'), ('cloud', 'cloud')], default='project',
                                   max_length=16),
        ),
        migrations.AddField(
            model_name='destination',
            name='hardened',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='restorepoint',
            name='missing_since',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
