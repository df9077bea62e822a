# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The repository format: its version, the object layout, and the envelope every encoded object starts with.

See ``docs/REPOSITORY_FORMAT.md`` for the full description. Rule: a reader refuses anything whose version it does
not know (``UnsupportedFormat``) instead of guessing; a writer always writes ``FORMAT_VERSION``; every older version
listed in ``READABLE_VERSIONS`` keeps a reader.
"""
from __future__ import annotations

import struct

from .errors import CorruptObject, UnsupportedFormat

#: The version this code writes. 2: restore points name their deduplication domain (``chunk_id.py``), whose key
#: their chunk ids are computed with; a reader of version 1 would check them with the wrong key, so it must refuse.
FORMAT_VERSION = 2
#: Versions this code can read (a reader per version lives next to each decoder: ``_DECODERS[version]``).
READABLE_VERSIONS = frozenset({1, 2})

CONFIG_NAME = "config"
CONFIG_KIND = "storage-backup-repository"
KEYS_PREFIX = "keys/"
DATA_PREFIX = "data/"
INDEX_PREFIX = "index/"
RESTORE_POINTS_PREFIX = "restore-points/"
LOCKS_PREFIX = "locks/"

# Object envelope: magic, format version, object kind, reserved; then the transformed body.
ENVELOPE_MAGIC = b"SBKO"
ENVELOPE = struct.Struct("<4sHBB")

KIND_RESTORE_POINT = 1
KIND_INDEX = 2
KIND_NAMES = {KIND_RESTORE_POINT: "restore point", KIND_INDEX: "index"}

# Chunk kinds inside packs.
CHUNK_DATA = 0
CHUNK_META = 1  # manifest and checksum-map segments and roots

UPGRADE_HINT = "upgrade storage-backup to a release that reads it"


def pack_name(pack_id: str) -> str:
    return f"{DATA_PREFIX}{pack_id[:2]}/{pack_id}"


def pack_id_from_name(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def index_name(index_id: str) -> str:
    return f"{INDEX_PREFIX}{index_id}"


def restore_point_name(restore_point_id: str) -> str:
    return f"{RESTORE_POINTS_PREFIX}{restore_point_id}"


def check_version(version: int, what: str) -> None:
    """Refuse, with a message an operator can act on, any version this code cannot read."""
    if version in READABLE_VERSIONS:
        return
    if version > FORMAT_VERSION:
        raise UnsupportedFormat(f"{what} uses repository format version {version}, newer than this storage-backup "
                                f"understands (up to {FORMAT_VERSION}); {UPGRADE_HINT}")
    raise UnsupportedFormat(f"{what} uses repository format version {version}, which this storage-backup "
                            f"cannot read")


def envelope_header(kind: int, version: int = FORMAT_VERSION) -> bytes:
    return ENVELOPE.pack(ENVELOPE_MAGIC, version, kind, 0)


def split_envelope(data: bytes, expected_kind: int, what: str) -> tuple[int, bytes, bytes]:
    """Return ``(version, header, body)`` of an encoded object, refusing a foreign or newer one."""
    if len(data) < ENVELOPE.size:
        raise CorruptObject(f"{what} is truncated ({len(data)} bytes)")
    magic, version, kind, _reserved = ENVELOPE.unpack_from(data)
    if magic != ENVELOPE_MAGIC:
        raise CorruptObject(f"{what} is not a storage-backup object (bad magic)")
    check_version(version, what)
    if kind != expected_kind:
        raise CorruptObject(f"{what} is a {KIND_NAMES.get(kind, kind)} object, expected a "
                            f"{KIND_NAMES.get(expected_kind, expected_kind)}")
    return version, data[:ENVELOPE.size], data[ENVELOPE.size:]
