# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Damaged chunks, recorded in the repository so deduplication stops trusting them.

When a read finds a chunk missing or altered (``repo check --read-data``, a verify, a restore, a backup reading the
previous maps), ``damaged/<chunk id hex>`` is written: a small plaintext JSON object naming the copy that is bad
(pack, offset, length) and what was wrong. While the index still points at that copy the chunk counts as absent to
every writer, so the next backup that meets the same data stores it again instead of referencing the damaged copy;
``repo repair --source`` stores it again from an image or device. When the index loads a second copy of a chunk
whose first copy is recorded bad, the good one wins (``store.py``), which also heals every older restore point that
uses the chunk. Prune drops the bad copy and then the record. A record written for nothing (a transient read error)
costs one extra stored copy, never data.

Kept out of ``chunk_id.py`` / ``keys.py`` on purpose: the record is keyed by the chunk id whatever keys it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from .destinations import Destination
from .errors import ObjectNotFound, RepositoryError
from .times import format_time

DAMAGED_PREFIX = "damaged/"
RECORD_VERSION = 1
LOG = logging.getLogger(__name__)


@dataclass
class DamagedChunk:
    """One recorded damaged chunk: ``pack``/``offset``/``length`` locate the bad copy (None: it was in no index)."""

    chunk_id: str  # hex
    problem: str
    found_by: str
    found_at: str
    pack: str | None = None
    offset: int | None = None
    length: int | None = None
    version: int = RECORD_VERSION

    @property
    def location(self) -> tuple[str, int, int] | None:
        if self.pack is None or self.offset is None or self.length is None:
            return None
        return self.pack, self.offset, self.length

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode() + b"\n"


def damaged_name(chunk_id: bytes) -> str:
    return f"{DAMAGED_PREFIX}{chunk_id.hex()}"


def write_record(destination: Destination, chunk_id: bytes, location: tuple[str, int, int] | None, problem: str,
                 found_by: str) -> DamagedChunk:
    pack, offset, length = location if location is not None else (None, None, None)
    record = DamagedChunk(chunk_id=chunk_id.hex(), problem=problem, found_by=found_by,
                          found_at=format_time(datetime.now(UTC)), pack=pack, offset=offset, length=length)
    destination.put(damaged_name(chunk_id), record.to_json())
    return record


def read_records(destination: Destination) -> dict[bytes, DamagedChunk]:
    """Every record, by chunk id. One that cannot be parsed still marks its chunk (its name is the id): unknown
    location, so the chunk is not trusted until it is stored again."""
    records: dict[bytes, DamagedChunk] = {}
    for info in destination.list(DAMAGED_PREFIX):
        name = info.name[len(DAMAGED_PREFIX):]
        try:
            chunk_id = bytes.fromhex(name)
        except ValueError:
            continue
        try:
            data = json.loads(destination.get(info.name))
            record = DamagedChunk(**{key: data.get(key) for key in ("chunk_id", "problem", "found_by", "found_at",
                                                                     "pack", "offset", "length")})
        except ObjectNotFound:
            continue
        except (ValueError, TypeError, AttributeError, RepositoryError) as error:
            LOG.warning("%s: damage record %s cannot be read (%s); its chunk counts as damaged", destination.location,
                        info.name, error)
            record = DamagedChunk(chunk_id=name, problem="unreadable damage record", found_by="?", found_at="?")
        records[chunk_id] = record
    return records


def delete_record(destination: Destination, chunk_id: bytes) -> None:
    destination.delete(damaged_name(chunk_id))
