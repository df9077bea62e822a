# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An image file (raw, usually sparse) as a source and as a target.

As a source it knows its holes: ``SEEK_DATA``/``SEEK_HOLE`` tell which ranges read as zeros, so they are neither
read nor stored. As a target a new file is created sparse and an existing one is truncated and re-extended (it is
replaced whole), so only the non-zero blocks are written.
"""
from __future__ import annotations

import errno
import os
import stat

from ..errors import InvalidRequest
from .posix import DescriptorSource, DescriptorTarget, open_for_reading, open_for_writing


def _require_regular(fd: int, name: str, owned: bool, what: str) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        if owned:
            os.close(fd)
        raise InvalidRequest(f"{name} is not {what}")


class ImageFileSource(DescriptorSource):
    kind = "image-file"

    @classmethod
    def open(cls, spec, *, detect_holes: bool = True) -> ImageFileSource:
        """``spec``: the file's path, or an open file. ``detect_holes=False`` reads every byte, holes too."""
        fd, name, owned = open_for_reading(spec)
        _require_regular(fd, name, owned, "an image file")
        return cls(fd, name, owned, os.fstat(fd).st_size, detect_holes)

    def __init__(self, fd: int, name: str, owned: bool, size: int, detect_holes: bool) -> None:
        super().__init__(fd, name, owned, size)
        self._holes = detect_holes
        # The last extents probed: [start, end) known to be a hole, and known to hold data. Batches are planned in
        # order, so most of them are answered from these without a system call.
        self._hole_span = (0, 0)
        self._data_span = (0, 0)

    def is_hole(self, offset: int, length: int) -> bool:
        if not self._holes:
            return False
        end = offset + length
        if self._hole_span[0] <= offset and end <= self._hole_span[1]:
            return True
        if self._data_span[0] <= offset < self._data_span[1]:
            return False
        try:
            data = os.lseek(self.fd, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno == errno.ENXIO:  # no data at or after offset
                self._hole_span = (offset, self.size)
                return True
            self._holes = False  # filesystem without SEEK_DATA: read everything
            return False
        if data > offset:
            self._hole_span = (offset, data)
            return data >= end
        try:
            self._data_span = (data, os.lseek(self.fd, data, os.SEEK_HOLE))
        except OSError:
            pass
        return False

    def all_data(self, offset: int, length: int) -> bool:
        if not self._holes:
            return True
        if self.is_hole(offset, length):
            return False
        # is_hole has probed the data extent holding ``offset`` (or found the filesystem has no SEEK_DATA).
        return not self._holes or self._data_span[0] <= offset and offset + length <= self._data_span[1]


class ImageFileTarget(DescriptorTarget):
    kind = "image-file"

    @classmethod
    def open(cls, spec, size: int, *, zeroed: bool | None = None, direct: bool = True) -> ImageFileTarget:
        """The file made exactly ``size`` bytes long. ``zeroed=None`` decides: a path (new or existing) is replaced
        whole, truncated to nothing and re-extended sparse, so it reads as zeros; an open file the caller gives is
        not assumed zero, so zero ranges are written."""
        fd, name, owned, existed = open_for_writing(spec)
        _require_regular(fd, name, owned, "a regular file")
        if zeroed is None and owned:
            if existed and os.fstat(fd).st_size:
                os.ftruncate(fd, 0)
            zeroed = True
        if os.fstat(fd).st_size != size:
            os.ftruncate(fd, size)
        return cls(fd, name, owned, size, bool(zeroed), direct)
