# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How the disks of a restore point were captured: the one vocabulary of the pipeline (the backup result), the
repository's restore-point documents, the catalog and the REST API.

Repositories written before this vocabulary hold other words for the same things (``group-snapshot``,
``back-to-back``, ``crash-consistent``, ``offline-image``); ``Consistency.parse`` maps them on read, so those
restore points keep reading as they are.
"""
from __future__ import annotations

from enum import StrEnum


class Consistency(StrEnum):
    #: One Cinder group snapshot of every volume: all disks at the same instant.
    GROUP = "group"
    #: One snapshot per disk, requested back to back: each disk crash-consistent, the disks a moment apart.
    PER_VOLUME = "per-volume"
    #: A single disk, crash-consistent (as after a power cut).
    CRASH = "crash"
    #: An image file or device read directly by the operator's CLI: consistent if nothing wrote to it meanwhile.
    OFFLINE = "offline"
    #: A restore-point document whose value this release does not know (written by a newer one): still readable.
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: str | Consistency) -> Consistency:
        """The member a backup may record for ``value``, accepting the words of older repositories; ``ValueError``
        for anything else (``UNKNOWN`` included: it is only ever read)."""
        text = str(value).strip().lower()
        member = cls._value2member_map_.get(LEGACY_VALUES.get(text, text))
        if member is None or member is cls.UNKNOWN:
            raise ValueError(f"unknown consistency {str(value)!r}: use one of {', '.join(WRITABLE)}")
        return member

    @classmethod
    def read(cls, value: str | None) -> Consistency | None:
        """As stored in a document or a catalog row: ``None`` or empty stays ``None``; a value this release does
        not know is ``UNKNOWN`` rather than an error (the restore point must stay readable)."""
        if value is None or value == "":
            return None
        try:
            return cls.parse(value)
        except ValueError:
            return cls.UNKNOWN

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """``(value, label)`` pairs for Django model fields and REST choice fields."""
        return [(member.value, member.value) for member in cls]


#: The words of repositories written before this vocabulary (docs/REPOSITORY_FORMAT.md, "Consistency").
LEGACY_VALUES = {
    "group-snapshot": Consistency.GROUP.value,
    "back-to-back": Consistency.PER_VOLUME.value,
    "crash-consistent": Consistency.CRASH.value,
    "offline-image": Consistency.OFFLINE.value,
}
#: What a backup may record (``UNKNOWN`` is only ever read).
WRITABLE = tuple(member.value for member in Consistency if member is not Consistency.UNKNOWN)
