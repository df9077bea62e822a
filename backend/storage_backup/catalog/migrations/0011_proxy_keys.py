# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Enrolled worker keys: task secrets are sealed to them (docs/TASKS.md "Sealed secrets")."""
from django.db import migrations, models

import storage_backup.catalog.models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_destination_dedup_scope_hardened")]

    operations = [
        migrations.CreateModel(
            name="ProxyKey",
            fields=[
                ("id", models.CharField(default=storage_backup.catalog.models.new_id, editable=False, max_length=36,
                                        primary_key=True, serialize=False)),
                ("proxy_name", models.CharField(db_index=True, max_length=255)),
                ("queue", models.CharField(db_index=True, max_length=255)),
                ("public_key", models.CharField(max_length=128)),
                ("key_id", models.CharField(max_length=16, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("created_by", models.CharField(blank=True, default="", max_length=255)),
                ("revoked_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("revoked_by", models.CharField(blank=True, default="", max_length=255)),
            ],
            options={"ordering": ("queue", "proxy_name", "created_at")},
        ),
    ]
