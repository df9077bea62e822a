# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``Destination.max_lock_days``: how far ahead a retention lock may reach there (default 100 years)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0007_restore_point_consistency"),
    ]

    operations = [
        migrations.AddField(
            model_name='destination',
            name='max_lock_days',
            field=models.PositiveIntegerField(default=36525),
        ),
    ]
