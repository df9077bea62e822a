# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``revert`` job type: a restore point written back over the original instance's volumes (in place)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0020_notifications"),
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
                                            ("file_restore", "File Restore"), ("retention", "Retention")],
                                   max_length=16),
        ),
    ]
