# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What block devices and image files share: a file descriptor, positional I/O that releases the GIL, and
``O_DIRECT`` writes.

Reads are large and positional (``preadv`` into buffers the caller reuses), so several workers read at once and
nothing goes through Python's buffered I/O. Writes of aligned blocks go through a second descriptor opened with
``O_DIRECT`` (no page-cache copy; the data reaches the disk while the next chunks are decoded instead of in one long
fsync at the end), falling back to the cached descriptor where the filesystem refuses it.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import struct
import threading

from ..errors import InvalidRequest
from .base import BlockSource, BlockTarget

BLKGETSIZE64 = 0x80081272
ZERO_WRITE_SIZE = 4 * 1024 * 1024
DIRECT_ALIGN = 4096


def device_size(fd: int) -> int:
    buffer = fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8)
    return struct.unpack("<Q", buffer)[0]


def is_path(spec) -> bool:
    return isinstance(spec, (str, os.PathLike))


def open_for_reading(spec) -> tuple[int, str, bool]:
    """``(fd, name, owned)`` of a path opened read-only, or of an open file (``fileno()``) the caller keeps."""
    if is_path(spec):
        name = os.fspath(spec)
        try:
            return os.open(name, os.O_RDONLY | os.O_CLOEXEC), name, True
        except FileNotFoundError:
            raise InvalidRequest(f"{name} does not exist: give an image file or a block device") from None
        except IsADirectoryError:
            raise InvalidRequest(f"{name} is a directory: give an image file or a block device") from None
        except PermissionError:
            raise InvalidRequest(f"no permission to read {name}: run as a user that can") from None
    if not hasattr(spec, "fileno"):
        raise InvalidRequest("a volume source must be a path or an open file with fileno()")
    return spec.fileno(), getattr(spec, "name", "<file>"), False


def open_for_writing(spec) -> tuple[int, str, bool, bool]:
    """``(fd, name, owned, existed)`` of a path opened read-write (created if missing), or of an open file."""
    if is_path(spec):
        name = os.fspath(spec)
        existed = os.path.lexists(name)
        try:
            return os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640), name, True, existed
        except FileNotFoundError:
            raise InvalidRequest(f"cannot create {name}: its directory does not exist") from None
        except IsADirectoryError:
            raise InvalidRequest(f"{name} is a directory: give a file or block device to restore to") from None
        except PermissionError:
            raise InvalidRequest(f"no permission to write {name}") from None
    if not hasattr(spec, "fileno"):
        raise InvalidRequest("a restore target must be a path or an open file with fileno()")
    return spec.fileno(), getattr(spec, "name", "<file>"), False, True


class DescriptorSource(BlockSource):
    """A source read through a file descriptor (the caller's, or one this object opened and closes)."""

    def __init__(self, fd: int, name: str, owned: bool, size: int) -> None:
        self.fd = fd
        self.name = name
        self.size = size
        self._owned = owned
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except OSError:
            pass

    def read_into(self, view: memoryview, offset: int) -> None:
        done = 0
        while done < len(view):
            got = os.preadv(self.fd, [view[done:]], offset + done)
            if got == 0:
                raise InvalidRequest(f"{self.name} ended at byte {offset + done}, before its size {self.size}")
            done += got

    def close(self) -> None:
        if self._owned and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class DescriptorTarget(BlockTarget):
    """A target written through a file descriptor, with aligned writes through a second, ``O_DIRECT`` one when
    this object opened the path itself."""

    def __init__(self, fd: int, name: str, owned: bool, size: int, zeroed: bool, direct: bool) -> None:
        self.fd = fd
        self.name = name
        self.size = size
        self.zeroed = zeroed
        self._owned = owned
        self._direct_fd = -1
        self._local = threading.local()
        if direct and owned:
            try:
                self._direct_fd = os.open(name, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
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
        if self.zeroed or length <= 0:
            return
        self.write_zeros(offset, length)

    def write_zeros(self, offset: int, length: int) -> None:
        """Zeros written out, for a target that has no cheaper way: each piece is read first and written only where
        it does not read as zeros already. An in-place revert overwrites a volume that holds data in a few places:
        writing all of its empty space allocated every object of an RBD image and copied each into the safety
        snapshot (a 1 GiB volume took 44 s through the genuine tier's device view)."""
        zeros = bytes(min(length, ZERO_WRITE_SIZE))
        current = bytearray(len(zeros))
        with contextlib.suppress(OSError, AttributeError):  # what the cache holds may predate the attachment
            os.posix_fadvise(self.fd, offset, length, os.POSIX_FADV_DONTNEED)
        while length > 0:
            n = min(length, len(zeros))
            with memoryview(current) as view:
                read = os.preadv(self.fd, [view[:n]], offset)
                if read != n or current[:n] != zeros[:n]:
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
        if self._owned and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
