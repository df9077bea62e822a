# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Vault-only restore points: a deleted restore point's row kept on its vault copy (``point_record``), and the flag
of a restore point put back from that copy (``vault_only``: it restores from the vault alone)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0022_webhook_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="restorepoint",
            name="vault_only",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="restorepointcopy",
            name="point_record",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
