# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An object writer that assembles the object in memory and hands it whole to its destination at ``commit``.

What object stores need: they take an object in one request (or in parts they join at the end), so there is nothing
to stream into. A pack's size is bounded by the repository's pack size, so memory stays bounded too.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from .base import ObjectWriter


class BufferedObjectWriter(ObjectWriter):
    """Fills a buffer (several threads at once, at any offsets) and calls ``store(name, buffer)`` at ``commit``."""

    def __init__(self, name: str, capacity: int | None, store: Callable[[str, bytearray], None]) -> None:
        self.name = name
        self._store = store
        # Empty, not ``capacity`` zeros: a pack's capacity (33 MiB for 16 MiB packs) zero-filled cost 40-60 ms per
        # pack under the GIL, in the pack writer's lock (bench/S3_RESULTS.md); appended blobs grow it by realloc.
        self._buffer = bytearray()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def write_at(self, offset: int, *parts) -> None:
        views = []
        for part in parts:
            view = memoryview(part)
            views.append(view if view.format == "B" and view.ndim == 1 else view.cast("B"))
        end = offset + sum(view.nbytes for view in views)
        with self._lock:
            length = len(self._buffer)
            if offset >= length:
                # The next blob of the pack (most writes): appended, nothing zero-filled but a gap that a thread
                # with an earlier place is about to fill. bytearray grows its allocation in proportion (realloc,
                # mremap for large ones): appends stay linear.
                if offset > length:
                    self._buffer += bytes(offset - length)
                for view in views:
                    self._buffer += view
                self._size = max(self._size, end)
                return
            if end > length:
                self._buffer += bytes(end - length)
            self._size = max(self._size, end)
        # Slice assignments of equal length never resize and run whole under the GIL: threads filling different
        # ranges of one pack need no lock, and a concurrent growth cannot interleave with a copy.
        position = offset
        for view in views:
            self._buffer[position:position + view.nbytes] = view
            position += view.nbytes

    def commit(self) -> None:
        buffer, self._buffer = self._buffer, bytearray()
        del buffer[self._size:]
        self._store(self.name, buffer)

    def abort(self) -> None:
        self._buffer = bytearray()
