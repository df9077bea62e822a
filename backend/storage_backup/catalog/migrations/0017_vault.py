# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The air-gapped vault copy: vault destinations, a policy's vault, the copies the vault worker reports and the
grants it issues for restores from the vault."""
import django.db.models.deletion
from django.db import migrations, models

import storage_backup.catalog.models
import storage_backup.catalog.secrets


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0016_lock_maintenance"),
    ]

    operations = [
        migrations.AddField(
            model_name="destination",
            name="vault",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="policy",
            name="vault_destination",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="vault_policies", to="catalog.destination"),
        ),
        migrations.CreateModel(
            name="RestorePointCopy",
            fields=[
                ("id", models.CharField(default=storage_backup.catalog.models.new_id, editable=False, max_length=36,
                                        primary_key=True, serialize=False)),
                ("restore_point_id", models.CharField(db_index=True, max_length=64)),
                ("project_id", models.CharField(db_index=True, max_length=64)),
                ("instance_id", models.CharField(blank=True, default="", max_length=64)),
                ("instance_name", models.CharField(blank=True, default="", max_length=255)),
                ("point_created_at", models.DateTimeField(blank=True, null=True)),
                ("state", models.CharField(choices=[("queued", "Queued"), ("copying", "Copying"),
                                                    ("copied", "Copied"), ("failed", "Failed")],
                                           db_index=True, default="queued", max_length=16)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("chunks_copied", models.BigIntegerField(default=0)),
                ("chunks_present", models.BigIntegerField(default=0)),
                ("bytes_copied", models.BigIntegerField(default=0)),
                ("copied_at", models.DateTimeField(blank=True, null=True)),
                ("error", models.TextField(blank=True, default="")),
                ("primary_deleted_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("primary", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                              related_name="copies_from", to="catalog.destination")),
                ("vault", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                            related_name="vault_copies", to="catalog.destination")),
            ],
            options={
                "ordering": ("point_created_at", "created_at", "id"),
                "constraints": [models.UniqueConstraint(fields=("restore_point_id", "vault"),
                                                        name="one_copy_per_restore_point_and_vault")],
            },
        ),
        migrations.CreateModel(
            name="VaultGrant",
            fields=[
                ("job", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                             related_name="vault_grant", serialize=False, to="catalog.job")),
                ("restore_point_id", models.CharField(max_length=64)),
                ("project_id", models.CharField(db_index=True, max_length=64)),
                ("grant", storage_backup.catalog.secrets.SealedJSONField(blank=True, null=True,
                                                                         secret_keys=("grant",))),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("granted_at", models.DateTimeField(blank=True, null=True)),
                ("vault", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                            related_name="vault_grants", to="catalog.destination")),
            ],
            options={
                "ordering": ("created_at", "job_id"),
            },
        ),
    ]
