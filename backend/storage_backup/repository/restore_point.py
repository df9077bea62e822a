# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Restore-point documents: what was backed up, from where, and how to find every byte of it.

A document is JSON inside the object envelope (compressed, and encrypted in an encrypted repository), stored as
``restore-points/<id>`` and written last, after every pack and index object it depends on is durable: if it
exists, the restore point is complete. ``format_version`` is in the envelope and in the JSON; each version has a
decoder in ``_DECODERS``. ``consistency`` is read into the one vocabulary (``storage_backup.consistency``),
older words mapped.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ..consistency import Consistency
from .errors import CorruptObject, VolumeNotFound
from .format import FORMAT_VERSION, KIND_RESTORE_POINT, check_version, envelope_header, split_envelope
from .times import format_time, parse_time
from .transforms import BlobCodec

MAX_DOCUMENT_SIZE = 256 * 1024 * 1024


@dataclass
class VolumeEntry:
    """One backed-up volume. ``key`` is the caller's name for it (the Cinder volume id, ``image``, ...)."""

    key: str
    size: int
    block_size: int
    manifest: str  # chunk id (hex) of the manifest root: chunk id per block, zero blocks marked
    checksum_map: str  # chunk id (hex) of the checksum-map root: xxh3-128 per block
    strategy: str  # full | incremental | changed-extents
    parent: str | None = None  # restore point whose maps this one was compared against
    stats: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class RestorePoint:
    id: str
    created: str
    labels: dict
    instance_metadata: dict
    consistency: Consistency
    volumes: list[VolumeEntry]
    format_version: int = FORMAT_VERSION
    completed: str | None = None
    lock_until: str | None = None
    #: The deduplication domain whose key computed every chunk id of this restore point (``chunk_id.py``); None:
    #: the repository's id key (every version-1 restore point, and cloud-wide deduplication).
    dedup_domain: str | None = None

    def volume(self, key: str | None = None) -> VolumeEntry:
        """The volume called ``key``; with ``None``, the only one (an image backup has exactly one)."""
        if key is None:
            if len(self.volumes) == 1:
                return self.volumes[0]
            keys = ", ".join(volume.key for volume in self.volumes)
            raise VolumeNotFound(f"restore point {self.id} holds {len(self.volumes)} volumes ({keys}); say which")
        for volume in self.volumes:
            if volume.key == key:
                return volume
        keys = ", ".join(volume.key for volume in self.volumes) or "none"
        raise VolumeNotFound(f"restore point {self.id} has no volume {key!r} (it has: {keys})")

    @property
    def created_at(self) -> datetime:
        return parse_time(self.created)

    def locked(self, now: datetime | None = None) -> bool:
        """Under a retention lock now. A lock date no reader can make sense of counts as locked: a WORM lock
        errs on the side of keeping the data (the lock can be rewritten with ``set_retention_lock``)."""
        if not self.lock_until:
            return False
        try:
            return parse_time(self.lock_until) > (now or datetime.now(UTC))
        except (ValueError, TypeError):
            return True

    def to_dict(self) -> dict:
        return asdict(self)


def _context(name: str, header: bytes) -> bytes:
    return header + name.encode()


def encode_restore_point(codec: BlobCodec, name: str, restore_point: RestorePoint) -> bytes:
    header = envelope_header(KIND_RESTORE_POINT)
    body = json.dumps(restore_point.to_dict(), sort_keys=True, separators=(",", ":")).encode()
    return header + codec.encode(body, _context(name, header))


def canonical_time(value: str | None) -> str | None:
    """``value`` in the canonical form when it can be read (an older writer left year 1 as ``1-01-01...``), else as
    it is: every reader (the catalog rebuild, the CLI) then meets one form only."""
    if not value:
        return value
    try:
        return format_time(parse_time(value))
    except (ValueError, TypeError, OverflowError):
        return value


def _decode_v1(data: dict) -> RestorePoint:
    volumes = [VolumeEntry(**volume) for volume in data.pop("volumes")]
    data["consistency"] = Consistency.read(data.get("consistency")) or Consistency.UNKNOWN
    for name in ("created", "completed", "lock_until"):
        if isinstance(data.get(name), str):
            data[name] = canonical_time(data[name])
    return RestorePoint(volumes=volumes, **data)


def _decode_v2(data: dict) -> RestorePoint:
    """Version 2 added ``dedup_domain`` and nothing else."""
    domain = data.get("dedup_domain")
    if domain is not None and (not isinstance(domain, str) or not domain):
        raise ValueError(f"dedup_domain {domain!r} is not a name")
    return _decode_v1(data)


_DECODERS = {1: _decode_v1, 2: _decode_v2}


def decode_restore_point(codec: BlobCodec, name: str, raw: bytes) -> RestorePoint:
    what = f"restore point {name.rsplit('/', 1)[-1]}"
    version, header, body = split_envelope(raw, KIND_RESTORE_POINT, what)
    try:
        plain = codec.decode(body, _context(name, header), MAX_DOCUMENT_SIZE)
    except CorruptObject as error:
        raise CorruptObject(f"{what} cannot be read: {error}") from None
    try:
        data = json.loads(plain)
        check_version(int(data.get("format_version", version)), what)
        return _DECODERS[version](data)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise CorruptObject(f"{what} is malformed: {error}") from None
