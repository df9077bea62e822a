# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``vanished_check`` job type: the periodic look for locked restore points whose documents were removed."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0023_vault_only_restore_points"),
    ]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="type",
            field=models.CharField(choices=[("backup", "Backup"), ("restore", "Restore"),
                                            ("restore_volume", "Restore Volume"), ("revert", "Revert"),
                                            ("verify", "Verify"), ("delete", "Delete"), ("prune", "Prune"),
                                            ("lock", "Lock"), ("rebuild", "Rebuild"),
                                            ("lock_maintenance", "Lock Maintenance"), ("file_browse", "File Browse"),
                                            ("file_restore", "File Restore"), ("vanished_check", "Vanished Check"),
                                            ("retention", "Retention")],
                                   max_length=16),
        ),
    ]
