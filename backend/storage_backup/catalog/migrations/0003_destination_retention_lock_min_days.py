# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_destination_nfs'),
    ]

    operations = [
        migrations.AddField(
            model_name='destination',
            name='retention_lock_min_days',
            field=models.PositiveIntegerField(default=0),
        ),
    ]
