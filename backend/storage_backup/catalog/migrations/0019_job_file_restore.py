# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""File-level restore's jobs: file_browse (a listing or search) and file_restore (a download)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0018_policy_read_limit'),
    ]

    operations = [
        migrations.AlterField(
            model_name='job',
            name='type',
            field=models.CharField(choices=[('backup', 'Backup'), ('restore', 'Restore'), ('restore_volume', 'Restore Volume'), ('verify', 'Verify'), ('delete', 'Delete'), ('prune', 'Prune'), ('lock', 'Lock'), ('rebuild', 'Rebuild'), ('lock_maintenance', 'Lock Maintenance'), ('file_browse', 'File Browse'), ('file_restore', 'File Restore'), ('retention', 'Retention')], max_length=16),
        ),
    ]
