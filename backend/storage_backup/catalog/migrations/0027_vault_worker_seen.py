# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""When each vault's worker last asked for work and reported a copy, and the window it keeps (services/vault_health)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0026_vanished_check"),
    ]

    operations = [
        migrations.CreateModel(
            name="VaultWorkerSeen",
            fields=[
                ("vault", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name="vault_worker_seen", serialize=False,
                                               to="catalog.destination")),
                ("asked_at", models.DateTimeField(blank=True, null=True)),
                ("reported_at", models.DateTimeField(blank=True, null=True)),
                ("window", models.CharField(blank=True, default="", max_length=32)),
                ("timezone", models.CharField(blank=True, default="", max_length=64)),
                ("interval", models.FloatField(blank=True, null=True)),
            ],
        ),
    ]
