# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A source whose reads wait for a read limit first (``storage_backup.pipeline.read_limit``): every byte read from
the volume is charged before it is read; what the source knows without reading (holes) costs nothing."""
from __future__ import annotations

from collections.abc import Callable

from .base import BlockSource

SLICE = 1024 * 1024  # bytes charged and read at a time


class ThrottledSource(BlockSource):
    kind = "throttled"

    def __init__(self, source: BlockSource, take: Callable[[int], None]) -> None:
        self.source = source
        self.take = take
        self.name = source.name
        self.size = source.size
        self.reads_wait_on_storage = source.reads_wait_on_storage

    def read_into(self, view: memoryview, offset: int) -> None:
        # In slices, each charged before it is read: a batch of many MiB goes out at the cap's pace rather than in
        # one burst after one long wait.
        for start in range(0, len(view), SLICE):
            piece = view[start:start + SLICE]
            self.take(len(piece))
            self.source.read_into(piece, offset + start)

    def is_hole(self, offset: int, length: int) -> bool:
        return self.source.is_hole(offset, length)

    def all_data(self, offset: int, length: int) -> bool:
        return self.source.all_data(offset, length)

    def close(self) -> None:
        self.source.close()
