# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Volumes Cinder encrypts stay encrypted: refused an unencrypted destination, restored into encrypted types.

Nova attaches an encrypted volume through its encryptor, so the proxy reads it decrypted; a backup of it in an
unencrypted repository would keep in clear what Cinder keeps encrypted, and a restore into an unencrypted type would
put it back in clear. The proxy refuses both as well (``pipeline.backup.refuse_clear_copy_of_encrypted``,
``pipeline.restore_disks.check_volume_type``): these checks answer first, with a 400 naming the field to change.
"""
from __future__ import annotations

from storage_backup.catalog.models import Destination, RestorePoint
from storage_backup.services import inventory
from storage_backup.services.errors import ValidationFailed


def refuse_unencrypted_destination(instance: inventory.Instance, destination: Destination, field: str) -> None:
    if destination.encrypted or not instance.volume_ids:
        return
    encrypted = inventory.encrypted_volumes(instance.volume_ids)
    if encrypted:
        names = ", ".join(f"{v['id']} ({v['name'] or 'unnamed'}, type {v['volume_type']})" for v in encrypted)
        raise ValidationFailed(field, f"instance {instance.name or instance.id} has Cinder-encrypted volume(s) "
                                      f"{names}; destination {destination.name} is not encrypted, so their data "
                                      "would be stored in clear. Protect the instance with a policy whose "
                                      "destination is encrypted.")


def check_restore_types(point: RestorePoint, options: dict) -> None:
    """Each encrypted volume the restore makes goes into a type Cinder encrypts: the one asked for, else the
    recorded one, which must still exist and still encrypt."""
    records = [v for v in (point.metadata or {}).get("block_device_mapping") or [] if v.get("encrypted")]
    if not records:
        return
    single = options.get("volume_id")
    field = "volume_type" if single else "volume_types"
    wanted_volumes = set(options.get("volumes") or [])
    for record in records:
        key = record.get("volume_id")
        if single and key != single:
            continue
        if not single and wanted_volumes and key not in wanted_volumes and record.get("boot_index") != 0:
            continue
        asked = options.get("volume_type") if single else (options.get("volume_types") or {}).get(key)
        vtype = asked or record.get("volume_type")
        what = f"volume {record.get('name') or key} ({key})"
        encrypted = inventory.volume_type_encrypted(vtype) if vtype else None
        if encrypted:
            continue
        if asked:
            reason = "does not exist" if encrypted is None else "is not encrypted"
            raise ValidationFailed(field, f"{what} was encrypted by Cinder; volume type {asked!r} {reason}. Choose a "
                                          "volume type with encryption.")
        raise ValidationFailed(field, f"{what} was encrypted by Cinder and its volume type {vtype!r} "
                                      f"{'no longer exists' if encrypted is None else 'no longer encrypts'}; choose "
                                      "a volume type with encryption.")
