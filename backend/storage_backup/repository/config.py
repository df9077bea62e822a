# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``config`` object: plaintext JSON that says what the repository is and how to read it.

It is the first thing read on open and the only object whose version is checked before any key is needed, so a
repository of a newer format is refused up front with a clear message.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .errors import CorruptObject
from .format import CONFIG_KIND, FORMAT_VERSION, check_version

MiB = 1024 * 1024

#: 256 KiB blocks: small enough that a 1 MiB write at any 4 KiB-aligned offset dirties ~1.25 MiB (the incremental
#: stores <= 1.5x what changed), big enough that per-block work stays ~1 % of the time and the index costs
#: 24 bytes of memory per 256 KiB of unique data.
DEFAULT_BLOCK_SIZE = 256 * 1024
#: Manifest and checksum-map segments cover 4096 blocks (1 GiB at the default block size).
DEFAULT_SEGMENT_BLOCKS = 4096
#: Packs close at 16 MiB (restic's default): a 1 TiB volume is some 30-60 thousand objects, a lost pack loses
#: little, and the pack buffers a writer may hold (filling, one waiting, two committing) stay under 100 MiB.
DEFAULT_PACK_SIZE = 16 * MiB

ENCRYPTION_NONE = "none"
ENCRYPTION_AES_GCM = "aes-256-gcm"


@dataclass
class RepositoryConfig:
    id: str
    created: str
    version: int = FORMAT_VERSION
    kind: str = CONFIG_KIND
    chunk_id: str = "blake3-keyed-256"
    checksum: str = "xxh3-128"
    compression: str = "zstd"
    encryption: str = ENCRYPTION_NONE
    block_size: int = DEFAULT_BLOCK_SIZE
    segment_blocks: int = DEFAULT_SEGMENT_BLOCKS
    pack_size: int = DEFAULT_PACK_SIZE
    #: Only in unencrypted repositories: the chunk-id key in hex (encrypted ones keep it in the key files).
    id_key: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def encrypted(self) -> bool:
        return self.encryption != ENCRYPTION_NONE

    def to_json(self) -> bytes:
        data = asdict(self)
        if data["id_key"] is None:
            del data["id_key"]
        return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes, location: str) -> RepositoryConfig:
        try:
            data = json.loads(raw)
        except ValueError:
            raise CorruptObject(f"{location}: the config object is not JSON; is this a storage-backup "
                                f"repository?") from None
        if not isinstance(data, dict) or data.get("kind") != CONFIG_KIND:
            raise CorruptObject(f"{location} is not a storage-backup repository (its config says "
                                f"kind={data.get('kind') if isinstance(data, dict) else None!r})")
        version = data.get("version")
        if not isinstance(version, int):
            raise CorruptObject(f"{location}: the config object has no format version")
        check_version(version, f"the repository at {location}")
        known = set(cls.__dataclass_fields__)
        extra = {key: value for key, value in data.items() if key not in known}
        config = cls(**{key: value for key, value in data.items() if key in known})
        config.extra.update(extra)
        if config.encryption not in (ENCRYPTION_NONE, ENCRYPTION_AES_GCM):
            raise CorruptObject(f"{location}: unknown encryption {config.encryption!r}")
        return config
