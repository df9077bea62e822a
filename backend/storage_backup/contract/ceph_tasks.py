# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Request and result of the Ceph diff task (queue ``ceph``): which extents of an RBD image changed between two of
its snapshots, answered by the diff worker that runs beside Ceph with a read-only key (docs/TASKS.md)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .message import Message


@dataclass(frozen=True)
class DiffRequest(Message):
    image: str  # the volume's RBD image: volume-<name_id>, as Cinder's RBD driver names it
    snapshot: str  # the RBD snapshot the diff ends at: snapshot-<Cinder snapshot id>
    base_snapshot: str | None = None  # where it starts; None: only say whether image and snapshot are there
    whole_object: bool = True


@dataclass(frozen=True)
class DiffResult(Message):
    found: bool
    reason: str = ""
    pool: str = ""
    image: str = ""
    size: int = 0
    base_size: int = 0
    extents: list[list[int]] = field(default_factory=list)  # [offset, length, 1 data | 0 discarded]
    changed_bytes: int = 0
    duration: float = 0.0
