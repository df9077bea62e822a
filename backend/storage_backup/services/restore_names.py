# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The names a restore gives its new volumes: ``volume_names`` ({original volume id: name}) for a whole-instance
restore, ``volume_name`` (or the older ``name``) for a single volume. Checked when the restore is asked for (400
naming the field); a volume not named keeps the proxy's default, ``<original> (restored <UTC time>)``, which only the
proxy can write since only it knows when the volume is finished."""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from storage_backup.catalog.models import RestorePoint
from storage_backup.services.errors import ValidationFailed
from storage_backup.services.restore_targets import ROOT_DISK_KEY

NAME_MAX = 255  # Cinder's limit for a volume's name


def clean_name(value: object, field: str, what: str) -> str:
    """``value`` stripped; refused (400 naming ``field``) when empty, longer than Cinder takes, or holding control
    characters (a newline or an escape sequence in a name breaks every table and terminal that shows it)."""
    if not isinstance(value, str):
        raise ValidationFailed(field, f"the name of {what} must be a string")
    name = value.strip()
    if not name:
        raise ValidationFailed(field, f"the name of {what} is empty; leave {what} out to keep the default name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(field, f"the name of {what} is {len(name)} characters long; at most {NAME_MAX}")
    control = next((char for char in name if unicodedata.category(char) == "Cc"), None)
    if control is not None:
        raise ValidationFailed(field, f"the name of {what} holds the control character U+{ord(control):04X}; use "
                                      "printable characters only")
    return name


def request_fields(point: RestorePoint, options: Mapping) -> dict:
    """What the proxy's request carries of the names asked for: ``name`` for a single volume, ``volume_names``
    for a whole instance (only the named volumes; the rest get the default name)."""
    names = options.get("volume_names") or {}
    volume_name = options.get("volume_name")
    if options.get("volume_id"):
        if names:
            raise ValidationFailed("volume_names", "is for a whole-instance restore; name the one volume restored "
                                                   "with volume_id by volume_name")
        if volume_name is None:
            return {"name": clean_name(options["name"], "name", "the new volume")} if options.get("name") else {}
        name = clean_name(volume_name, "volume_name", "the new volume")
        if options.get("name") and options["name"].strip() != name:
            raise ValidationFailed("volume_name", "name and volume_name both name the new volume, differently; "
                                                  "give volume_name only")
        return {"name": name}
    if volume_name is not None:
        raise ValidationFailed("volume_name", "is for a single-volume restore (with volume_id); name the volumes of "
                                              "a whole-instance restore by volume_names")
    if not isinstance(names, Mapping):
        raise ValidationFailed("volume_names", "must be an object of {original volume id: new name}")
    # The root disk of an image-booted server comes back as an image the server boots from, not as a volume.
    listed = {volume.get("volume_id") for volume in point.volumes or []}
    held = listed - {ROOT_DISK_KEY, None}
    cleaned = {}
    for volume_id, name in names.items():
        # A catalog row that lists no volumes (rebuilt from an old repository) leaves the check to the proxy.
        if listed and volume_id not in held:
            which = ", ".join(sorted(held)) or "none"
            raise ValidationFailed("volume_names", f"restore point {point.id} holds no volume {volume_id} that is "
                                                   f"restored as a volume (it holds: {which})")
        cleaned[volume_id] = clean_name(name, "volume_names", f"volume {volume_id}")
    return {"volume_names": cleaned} if cleaned else {}
