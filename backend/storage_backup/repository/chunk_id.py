# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Chunk identity: keyed BLAKE3-256 with a per-repository secret, derived per deduplication domain.

Identical blocks get the same id within one deduplication domain of a repository (deduplication across restore
points, volumes and instances of that domain), but nobody without the repository's id key can compute an id, so
nobody can craft a block that collides with another tenant's and poison the shared store. The key never leaves the
repository's key material.

A domain (format version 2) is a name, ``project:<id>`` as the service uses it: its key is derived from the
repository's id key with BLAKE3's key derivation, so the same block in two domains gets two unrelated ids and is
stored twice. That is the point: were ids shared, a project writing a block would learn from its own
``bytes_deduplicated`` whether another project had backed that block up. No domain (``None``) is the repository's
id key itself: what format version 1 used for everything, and what a destination opened to cloud-wide
deduplication uses.
"""
from __future__ import annotations

import blake3

ID_SIZE = 32
#: The manifest's marker for an all-zero block: never stored, never written on restore.
ZERO_ID = bytes(ID_SIZE)
#: BLAKE3 ``derive_key`` context: fixed for ever, or every domain's ids change.
DOMAIN_KEY_CONTEXT = "storage-backup 2026-12-02 chunk-id key of a deduplication domain"


def domain_key(id_key: bytes, domain: str | None) -> bytes:
    """The chunk-id key of ``domain`` (``None``: the repository's id key itself)."""
    if domain is None:
        return id_key
    if not domain:
        raise ValueError("a deduplication domain needs a name")
    # id_key has a fixed length, so key || name is unambiguous.
    return blake3.blake3(id_key + domain.encode(), derive_key_context=DOMAIN_KEY_CONTEXT).digest()


class ChunkHasher:
    def __init__(self, id_key: bytes, domain: str | None = None) -> None:
        if len(id_key) != 32:
            raise ValueError("the chunk id key must be 32 bytes")
        self._key = domain_key(id_key, domain)
        self.domain = domain

    def chunk_id(self, data) -> bytes:
        return blake3.blake3(data, key=self._key).digest()

    def matches(self, data, chunk_id: bytes) -> bool:
        return self.chunk_id(data) == chunk_id
