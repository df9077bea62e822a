# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Encrypt the secrets already in the catalog (backend/storage_backup/catalog/secrets.py); the reverse decrypts them again.

Runs before the fields become sealed fields, so both directions see the stored text as it is and convert it
explicitly. Needs the catalog key every control plane process uses (the default key file is created here).
"""
from django.db import migrations

import storage_backup.catalog.secrets
from storage_backup.catalog.secrets import is_sealed, seal, unseal

COMMANDS = ("pre_command", "post_command")
SECRET_KEYS = ("private_key",)


def _convert_value(value: str, seal_them: bool, what: str) -> str:
    if seal_them:
        return value if is_sealed(value) else seal(value)
    return unseal(value, what)


def _convert_command(command, seal_them: bool, what: str):
    if not isinstance(command, dict):
        return command
    return {key: _convert_value(value, seal_them, f"The {key} of {what}")
            if key in SECRET_KEYS and isinstance(value, str) and value else value
            for key, value in command.items()}


def _convert(apps, seal_them: bool) -> None:
    Destination = apps.get_model("catalog", "Destination")
    Policy = apps.get_model("catalog", "Policy")
    for destination in Destination.objects.exclude(repository_secret="").only("id", "name", "repository_secret"):
        value = destination.repository_secret
        converted = _convert_value(value, seal_them, f"The repository secret of destination {destination.name!r} "
                                                     f"({destination.id})")
        if converted != value:
            Destination.objects.filter(pk=destination.pk).update(repository_secret=converted)
    for policy in Policy.objects.only("id", "name", *COMMANDS):
        changes = {}
        for name in COMMANDS:
            command = getattr(policy, name)
            converted = _convert_command(command, seal_them, f"{name} of policy {policy.name!r} ({policy.id})")
            if converted != command:
                changes[name] = converted
        if changes:
            Policy.objects.filter(pk=policy.pk).update(**changes)


def seal_secrets(apps, schema_editor) -> None:
    _convert(apps, seal_them=True)


def unseal_secrets(apps, schema_editor) -> None:
    _convert(apps, seal_them=False)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_destination_retention_lock_min_days'),
    ]

    operations = [
        migrations.RunPython(seal_secrets, unseal_secrets, elidable=False),
        migrations.AlterField(
            model_name='destination',
            name='repository_secret',
            field=storage_backup.catalog.secrets.SealedTextField(blank=True, default=''),
        ),
        migrations.AlterField(
            model_name='policy',
            name='post_command',
            field=storage_backup.catalog.secrets.SealedJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='policy',
            name='pre_command',
            field=storage_backup.catalog.secrets.SealedJSONField(blank=True, null=True),
        ),
    ]
