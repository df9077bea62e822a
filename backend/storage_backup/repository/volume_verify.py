# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Verify one volume of a restore point: is every chunk it needs still there and intact?

Every distinct stored chunk of the volume's records is read from its pack, decrypted, decompressed and checked
against its keyed hash, in pack order so the packs are read front to back. Nothing is written anywhere. A missing
or damaged chunk raises ``ChunkMissing`` / ``ChunkCorrupt`` naming the chunk, its pack, the volume and the first
offset that needs it, as a restore would.
"""
from __future__ import annotations

import threading
import time

from .errors import BackupCancelled
from .restore_point import RestorePoint, VolumeEntry
from .store import RepositoryStore


def verify_volume(store: RepositoryStore, restore_point: RestorePoint, entry: VolumeEntry, *, progress=None,
                  cancel: threading.Event | None = None) -> dict:
    """``progress(bytes_done, bytes_verified, total)`` as a restore's. Returns ``{"chunks", "bytes",
    "duration"}``: distinct chunks read and their plaintext bytes."""
    started = time.monotonic()
    first_use: dict[bytes, int] = {}
    for record in store.volume_maps(restore_point, entry).records():
        if record.chunk_id is not None and record.chunk_id not in first_use:
            first_use[record.chunk_id] = record.offset
    index = store.index
    ordered = sorted(first_use, key=lambda chunk_id: index.get(chunk_id) or ("", 0, 0))
    hasher = store.hasher_for(restore_point.dedup_domain)
    verified = 0
    for done, chunk_id in enumerate(ordered, 1):
        if cancel is not None and cancel.is_set():
            raise BackupCancelled(f"verification of volume {entry.key} cancelled after {done - 1} chunk(s)")
        data = store.read_chunk(chunk_id, volume=entry.key, offset=first_use[chunk_id],
                                restore_point=restore_point.id, verify=True, hasher=hasher)
        verified += len(data)
        if progress is not None:
            progress(min(entry.size, entry.size * done // len(ordered)), verified, entry.size)
    return {"chunks": len(ordered), "bytes": verified, "duration": round(time.monotonic() - started, 3)}
