# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Object storage destinations: types ``s3`` and ``swift``, and their sealed ``credentials``."""
from django.db import migrations, models

import storage_backup.catalog.secrets


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0014_unresolved_leftover"),
    ]

    operations = [
        migrations.AlterField(
            model_name="destination",
            name="type",
            field=models.CharField(choices=[("filesystem", "filesystem"), ("nfs", "nfs"), ("s3", "s3"),
                                            ("swift", "swift")], default="filesystem", max_length=32),
        ),
        migrations.AddField(
            model_name="destination",
            name="credentials",
            field=storage_backup.catalog.secrets.SealedJSONField(
                blank=True, null=True,
                secret_keys=("secret_key", "session_token", "application_credential_secret", "password")),
        ),
    ]
