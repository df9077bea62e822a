# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Helpers of the repository tests (unit and functional): small deterministic images, backups of them."""
from __future__ import annotations

import os
import random

from storage_backup.repository import Repository

KiB = 1024
MiB = 1024 * KiB
BLOCK = 64 * KiB  # small blocks, so a few MiB hold many of them


def write_image(path, size: int, seed: int = 1, pattern: str = "rzt") -> bytes:
    """An image of ``size`` bytes in 1 MiB stripes following ``pattern`` (r random, z zeros, t text)."""
    rng = random.Random(seed)
    words = [bytes(rng.choices(b"etaoinshrdlu", k=rng.randint(2, 9))) for _ in range(500)]
    data = bytearray()
    stripe = 0
    while len(data) < size:
        kind = pattern[stripe % len(pattern)]
        if kind == "r":
            data += rng.randbytes(MiB)
        elif kind == "z":
            data += bytes(MiB)
        else:
            text = bytearray()
            while len(text) < MiB:
                text += b" ".join(rng.choices(words, k=12)) + b"\n"
            data += text[:MiB]
        stripe += 1
    data = bytes(data[:size])
    with open(path, "wb") as handle:
        handle.write(data)
    return data


def overwrite(path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def read(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def backup(repository: Repository, path, key: str = "disk", labels: dict | None = None, **kwargs):
    with repository.start_restore_point(labels or {"name": "test"}) as writer:
        entry = writer.backup_volume(key, str(path), **kwargs)
        return writer.commit(), entry


def repository_bytes(root) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        total += sum(os.path.getsize(os.path.join(dirpath, name)) for name in files)
    return total
