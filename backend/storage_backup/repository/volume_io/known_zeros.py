# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``KnownZerosSource``: a source together with ranges known to read as zeros without reading them.

Ceph's diff names the extents discarded since the base (``exists`` false): they read as zeros on the attached device,
so a batch that lies wholly inside them is recorded as zeros unread, as a hole of a sparse file is.
"""
from __future__ import annotations

import bisect

from .base import BlockSource


class KnownZerosSource(BlockSource):
    kind = "known-zeros"

    def __init__(self, source: BlockSource, zero_ranges) -> None:
        self.source = source
        self.name = source.name
        self.size = source.size
        self.reads_wait_on_storage = source.reads_wait_on_storage
        merged: list[list[int]] = []
        for offset, length in sorted((int(o), int(n)) for o, n in zero_ranges if n > 0):
            if merged and offset <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], offset + length)
            else:
                merged.append([offset, offset + length])
        self._ranges = merged
        self._starts = [start for start, _ in merged]

    def read_into(self, view: memoryview, offset: int) -> None:
        self.source.read_into(view, offset)

    def is_hole(self, offset: int, length: int) -> bool:
        at = bisect.bisect_right(self._starts, offset) - 1
        if at >= 0 and self._ranges[at][1] >= offset + length:
            return True
        return self.source.is_hole(offset, length)

    def all_data(self, offset: int, length: int) -> bool:
        return self.source.all_data(offset, length)

    def close(self) -> None:
        self.source.close()
