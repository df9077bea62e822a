# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Reading a volume (block device, image file, or open file) and writing one back.

Reads are large and positional (``preadv`` into buffers the caller reuses), so they release the GIL and never
go through Python's buffered I/O. Regular files are probed with ``SEEK_DATA`` so holes of sparse images are
neither read nor stored. Restore writes only non-zero blocks: into a new or truncated (sparse) file, or a block
device whose zero ranges are cleared with ``BLKZEROOUT`` (or explicit zeros where that is not supported).
"""
from __future__ import annotations

import errno
import fcntl
import mmap
import os
import stat
import struct
import threading

from .errors import InvalidRequest

BLKGETSIZE64 = 0x80081272
BLKZEROOUT = 0x127F
ZERO_WRITE_SIZE = 4 * 1024 * 1024
DIRECT_ALIGN = 4096


def _device_size(fd: int) -> int:
    buffer = fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8)
    return struct.unpack("<Q", buffer)[0]


class VolumeSource:
    """A readable volume. ``path_or_file`` is a path, or an open binary file (anything with ``fileno()``)."""

    def __init__(self, path_or_file, size: int | None = None, detect_holes: bool = True) -> None:
        self._owns_fd = isinstance(path_or_file, (str, os.PathLike))
        if self._owns_fd:
            self.name = os.fspath(path_or_file)
            try:
                self.fd = os.open(self.name, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                raise InvalidRequest(f"{self.name} does not exist: give an image file or a block device") from None
            except IsADirectoryError:
                raise InvalidRequest(f"{self.name} is a directory: give an image file or a block device") from None
            except PermissionError:
                raise InvalidRequest(f"no permission to read {self.name}: run as a user that can") from None
        else:
            if not hasattr(path_or_file, "fileno"):
                raise InvalidRequest("a volume source must be a path or an open file with fileno()")
            self.name = getattr(path_or_file, "name", "<file>")
            self.fd = path_or_file.fileno()
        mode = os.fstat(self.fd).st_mode
        self.is_block_device = stat.S_ISBLK(mode)
        self.is_regular = stat.S_ISREG(mode)
        if not (self.is_block_device or self.is_regular):
            self.close()
            raise InvalidRequest(f"{self.name} is neither an image file nor a block device")
        actual = _device_size(self.fd) if self.is_block_device else os.fstat(self.fd).st_size
        if size is None:
            size = actual
        elif size > actual:
            self.close()
            raise InvalidRequest(f"{self.name} holds {actual} bytes, fewer than the {size} bytes asked for")
        self.size = size
        self._holes = detect_holes and self.is_regular
        # The last extents probed: [start, end) known to be a hole, and known to hold data. Batches are planned in
        # order, so most of them are answered from these without a system call.
        self._hole_span = (0, 0)
        self._data_span = (0, 0)
        try:
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except OSError:
            pass

    def read_into(self, view: memoryview, offset: int) -> None:
        """Fill ``view`` from ``offset``; a short source is an error (the volume shrank under us)."""
        done = 0
        while done < len(view):
            got = os.preadv(self.fd, [view[done:]], offset + done)
            if got == 0:
                raise InvalidRequest(f"{self.name} ended at byte {offset + done}, before its size {self.size}")
            done += got

    def is_hole(self, offset: int, length: int) -> bool:
        """True when ``[offset, offset+length)`` is entirely a hole of a sparse file (reads as zeros)."""
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
        """True when ``[offset, offset+length)`` holds no hole (always, where holes are not detected)."""
        if not self._holes:
            return True
        if self.is_hole(offset, length):
            return False
        # is_hole has probed the data extent holding ``offset`` (or found the filesystem has no SEEK_DATA).
        return not self._holes or self._data_span[0] <= offset and offset + length <= self._data_span[1]

    def close(self) -> None:
        if self._owns_fd and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> VolumeSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class VolumeTarget:
    """A writable volume of at least ``size`` bytes.

    ``zeroed``: whether it already reads as zeros everywhere. ``None`` decides: a new file is created sparse, an
    existing regular file is truncated and re-extended (it is replaced whole), a block device or an open file is not
    assumed zero, so zero ranges are written (``BLKZEROOUT`` on a device). Pass ``True`` for a fresh Cinder volume.
    """

    def __init__(self, path_or_file, size: int, zeroed: bool | None = None, direct: bool = True) -> None:
        self._owns_fd = isinstance(path_or_file, (str, os.PathLike))
        self._direct_fd = -1
        if self._owns_fd:
            self.name = os.fspath(path_or_file)
            existed = os.path.lexists(self.name)
            try:
                self.fd = os.open(self.name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
            except FileNotFoundError:
                raise InvalidRequest(f"cannot create {self.name}: its directory does not exist") from None
            except IsADirectoryError:
                raise InvalidRequest(f"{self.name} is a directory: give a file or block device to restore to")\
                    from None
            except PermissionError:
                raise InvalidRequest(f"no permission to write {self.name}") from None
        else:
            if not hasattr(path_or_file, "fileno"):
                raise InvalidRequest("a restore target must be a path or an open file with fileno()")
            self.name = getattr(path_or_file, "name", "<file>")
            self.fd = path_or_file.fileno()
            existed = True
        mode = os.fstat(self.fd).st_mode
        self.is_block_device = stat.S_ISBLK(mode)
        if self.is_block_device:
            actual = _device_size(self.fd)
            if actual < size:
                self.close()
                raise InvalidRequest(f"{self.name} holds {actual} bytes, too small for this volume of {size} bytes; "
                                     f"restore to a device of at least that size")
            self.zeroed = bool(zeroed)
        elif stat.S_ISREG(mode):
            if zeroed is None and self._owns_fd:
                if existed and os.fstat(self.fd).st_size:
                    os.ftruncate(self.fd, 0)
                zeroed = True
            if os.fstat(self.fd).st_size != size:
                os.ftruncate(self.fd, size)
            self.zeroed = bool(zeroed)
        else:
            self.close()
            raise InvalidRequest(f"{self.name} is neither a regular file nor a block device")
        self.size = size
        self._zeroout = self.is_block_device
        self._local = threading.local()
        if direct and self._owns_fd:
            # Aligned blocks go straight to the device (O_DIRECT): no page-cache copy, and the data reaches the disk
            # while the next chunks are decoded instead of in one long fsync at the end.
            try:
                self._direct_fd = os.open(self.name, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
            except OSError:
                self._direct_fd = -1

    def _aligned_buffer(self, length: int) -> mmap.mmap:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None or len(buffer) < length:
            buffer = self._local.buffer = mmap.mmap(-1, max(length, DIRECT_ALIGN))
        return buffer

    def write(self, data, offset: int) -> None:
        length = len(data)
        if self._direct_fd >= 0 and not offset % DIRECT_ALIGN and not length % DIRECT_ALIGN and length:
            buffer = self._aligned_buffer(length)
            buffer[:length] = data
            view = memoryview(buffer)[:length]
            try:
                while view:
                    written = os.pwrite(self._direct_fd, view, offset)
                    view = view[written:]
                    offset += written
                return
            except OSError as error:
                if error.errno != errno.EINVAL or len(view) != length:
                    raise
                self._close_direct()  # the filesystem refuses O_DIRECT after all: write through the cache
            finally:
                view.release()
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd, view, offset)
            view = view[written:]
            offset += written

    def zero(self, offset: int, length: int) -> None:
        """Make ``[offset, offset+length)`` read as zeros (nothing to do on a zeroed target)."""
        if self.zeroed or length <= 0:
            return
        if self._zeroout:
            try:
                fcntl.ioctl(self.fd, BLKZEROOUT, struct.pack("<QQ", offset, length))
                return
            except OSError:
                self._zeroout = False
        zeros = bytes(min(length, ZERO_WRITE_SIZE))
        while length > 0:
            n = min(length, len(zeros))
            self.write(memoryview(zeros)[:n], offset)
            offset += n
            length -= n

    def finish(self) -> None:
        if self._direct_fd >= 0:
            os.fsync(self._direct_fd)
        os.fsync(self.fd)

    def _close_direct(self) -> None:
        if self._direct_fd >= 0:
            os.close(self._direct_fd)
            self._direct_fd = -1

    def close(self) -> None:
        self._close_direct()
        if self._owns_fd and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> VolumeTarget:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
