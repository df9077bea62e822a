# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Verify a restore point (``data.verify_restore_point``): is every byte it needs still there and intact?

For each volume, the manifest names a chunk per block; every distinct non-zero chunk is read from its pack, decrypted
and decompressed, and checked against its keyed hash (``Repository.read_chunk(verify=True)``), in pack order so the
packs are read front to back. Nothing is written anywhere. A missing or damaged chunk fails the job naming the chunk,
its pack, the volume and the offset that need it (``ChunkMissing`` / ``ChunkCorrupt``), as a restore would.

Request ``VerifyRequest``, result ``VerifyResult`` (docs/TASKS.md ``data.verify_restore_point``): it runs on the data
worker, which mounts the destinations.
"""
from __future__ import annotations

import time

from storage_backup.contract import VerifyRequest
from storage_backup.repository.block_map import MANIFEST, BlockMapReader
from storage_backup.repository.chunk_id import ZERO_ID

from .context import JobContext
from .repository_access import open_restore_point

RECORD = 32  # bytes per manifest record: a chunk id, or ZERO_ID for a block of zeros


def _chunks_of(repository, restore_point, volume) -> dict[bytes, int]:
    """Every distinct non-zero chunk of the volume, with the first offset that uses it."""
    reader = BlockMapReader(repository.chunk_reader(volume=volume.key, restore_point=restore_point.id),
                            bytes.fromhex(volume.manifest), MANIFEST)
    chunks: dict[bytes, int] = {}
    for number in range(len(reader.segment_ids)):
        segment = reader.segment(number)
        first = number * reader.segment_blocks
        for slot in range(len(segment) // RECORD):
            record = segment[slot * RECORD:(slot + 1) * RECORD]
            if record != ZERO_ID and record not in chunks:
                chunks[record] = (first + slot) * volume.block_size
    return chunks


def verify_restore_point(ctx: JobContext, request: VerifyRequest) -> dict:
    started = time.monotonic()
    repository, restore_point = open_restore_point(ctx, request)
    repository.refresh_index()
    ctx.progress.set_total(sum(volume.size for volume in restore_point.volumes))
    volumes, total_chunks, total_bytes = [], 0, 0
    for volume in restore_point.volumes:
        ctx.step("verify", f"Verifying volume {volume.key} ({volume.size} bytes)")
        chunks = _chunks_of(repository, restore_point, volume)
        ordered = sorted(chunks, key=lambda chunk_id: repository.index.get(chunk_id) or ("", 0, 0))
        done = verified = 0
        callback = ctx.progress.volume_callback()
        for chunk_id in ordered:
            ctx.cancel.check(f"while verifying volume {volume.key}")
            data = repository.read_chunk(chunk_id, volume=volume.key, offset=chunks[chunk_id],
                                         restore_point=restore_point.id, verify=True)
            verified += len(data)
            done += 1
            callback(min(volume.size, volume.size * done // max(len(ordered), 1)), verified, volume.size)
        ctx.progress.finish_volume(volume.size, verified)
        ctx.log.add("verify", f"volume {volume.key}: {len(ordered)} chunk(s), {verified} bytes, every keyed hash "
                              "matches")
        volumes.append({"volume_id": volume.key, "size": volume.size, "chunks": len(ordered), "bytes": verified})
        total_chunks += len(ordered)
        total_bytes += verified
    ctx.log.add("done", f"restore point {restore_point.id} verified: {total_chunks} chunk(s), {total_bytes} bytes")
    return {"restore_point_id": restore_point.id, "chunks_verified": total_chunks, "bytes_verified": total_bytes,
            "volumes": volumes, "duration": round(time.monotonic() - started, 3), "warnings": list(ctx.log.warnings),
            "log": ctx.log.as_list()}
