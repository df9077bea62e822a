# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Verify a restore point (``data.verify_restore_point``): is every byte it needs still there and intact?

For each volume the engine reads every distinct stored chunk its records use, decrypts and decompresses it, and
checks it against its keyed hash, in pack order so the packs are read front to back
(``Repository.verify_volume``). Nothing is written anywhere. A missing or damaged chunk fails the job naming the
chunk, its pack, the volume and the offset that need it (``ChunkMissing`` / ``ChunkCorrupt``), as a restore would.

Request ``VerifyRequest``, result ``VerifyResult`` (docs/TASKS.md ``data.verify_restore_point``): it runs on the data
worker, which mounts the destinations.
"""
from __future__ import annotations

import time

from storage_backup.contract import VerifyRequest
from storage_backup.repository import BackupCancelled

from .context import JobContext
from .errors import JobCancelled
from .repository_access import open_restore_point


def verify_restore_point(ctx: JobContext, request: VerifyRequest) -> dict:
    started = time.monotonic()
    repository, restore_point = open_restore_point(ctx, request)
    ctx.progress.set_total(sum(volume.size for volume in restore_point.volumes))
    volumes, total_chunks, total_bytes = [], 0, 0
    for volume in restore_point.volumes:
        ctx.step("verify", f"Verifying volume {volume.key} ({volume.size} bytes)")
        try:
            figures = repository.verify_volume(restore_point, volume.key, progress=ctx.progress.volume_callback(),
                                               cancel=ctx.cancel)
        except BackupCancelled:
            raise JobCancelled(f"Job {ctx.job_id} was cancelled while verifying volume {volume.key}") from None
        chunks, verified = figures["chunks"], figures["bytes"]
        ctx.progress.finish_volume(volume.size, verified)
        ctx.log.add("verify", f"volume {volume.key}: {chunks} chunk(s), {verified} bytes, every keyed hash matches")
        volumes.append({"volume_id": volume.key, "size": volume.size, "chunks": chunks, "bytes": verified})
        total_chunks += chunks
        total_bytes += verified
    ctx.log.add("done", f"restore point {restore_point.id} verified: {total_chunks} chunk(s), {total_bytes} bytes")
    return {"restore_point_id": restore_point.id, "chunks_verified": total_chunks, "bytes_verified": total_bytes,
            "volumes": volumes, "duration": round(time.monotonic() - started, 3), "warnings": list(ctx.log.warnings),
            "log": ctx.log.as_list()}
