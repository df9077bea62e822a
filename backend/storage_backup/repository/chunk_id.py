# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Chunk identity: keyed BLAKE3-256 with a per-repository secret.

Identical blocks get the same id within one repository (deduplication across restore points, volumes and
instances), but nobody without the repository's id key can compute an id, so nobody can craft a block that
collides with another tenant's and poison the shared store. The key never leaves the repository's key material.
"""
from __future__ import annotations

import blake3

ID_SIZE = 32
#: The manifest's marker for an all-zero block: never stored, never written on restore.
ZERO_ID = bytes(ID_SIZE)


class ChunkHasher:
    def __init__(self, id_key: bytes) -> None:
        if len(id_key) != 32:
            raise ValueError("the chunk id key must be 32 bytes")
        self._key = id_key

    def chunk_id(self, data) -> bytes:
        return blake3.blake3(data, key=self._key).digest()

    def matches(self, data, chunk_id: bytes) -> bool:
        return self.chunk_id(data) == chunk_id
