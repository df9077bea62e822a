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
        self._buffer = bytearray(capacity or 0)
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
            if end > len(self._buffer):  # grows by doubling: appends stay linear
                self._buffer.extend(bytes(max(end - len(self._buffer), len(self._buffer))))
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
