# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Filesystem destination: a directory on a local disk or an NFS mount.

Atomicity and durability the portable way, safe on NFS: write a temporary file in the target's own directory,
fsync it, ``rename`` it over the final name, fsync the directory. No hard links (some NFS servers and
most object-store gateways lack them), no ``flock`` (unreliable across NFS clients). Exclusive creation uses
``O_EXCL``, which NFSv3 and later implement on the server.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
import os
import threading
import time
import uuid
from collections.abc import Iterator

from ..errors import CorruptObject, ObjectNotFound, RepositoryNotFound
from .base import Destination, ObjectInfo, ObjectWriter

TMP_PREFIX = ".tmp-"
DIRECT_ALIGN = 4096
#: Parts at least this long are copied into a staging buffer with the GIL released (``ctypes.memmove``): the
#: backup workers' copies then overlap with each other's Python code. Shorter ones are not worth the call.
RELEASED_COPY = 16 * 1024


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as error:  # some filesystems refuse fsync on directories; the rename is then as durable as it gets
        if error.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


class FileObjectWriter(ObjectWriter):
    def __init__(self, destination: FilesystemDestination, name: str) -> None:
        self.name = name
        self._final = destination._path(name)
        directory = os.path.dirname(self._final)
        destination._makedirs(directory)
        self._tmp = os.path.join(directory, f"{TMP_PREFIX}{uuid.uuid4().hex}")
        self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o640)
        self._size = 0
        self._size_lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def write(self, data) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, self._size)
            view = view[written:]
            self._size += written

    def write_at(self, offset: int, *parts) -> None:
        end = offset + sum(len(part) for part in parts)
        written = os.pwritev(self._fd, parts, offset)
        if offset + written < end:  # a short write (rare): finish it
            rest = memoryview(b"".join(bytes(part) for part in parts))[written:]
            position = offset + written
            while rest:
                done = os.pwrite(self._fd, rest, position)
                rest, position = rest[done:], position + done
        with self._size_lock:
            self._size = max(self._size, end)

    def commit(self) -> None:
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = -1
        os.replace(self._tmp, self._final)
        _fsync_dir(os.path.dirname(self._final))

    def abort(self) -> None:
        try:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            os.unlink(self._tmp)
        except OSError:
            pass


class _StagingBuffer:
    """A page-aligned anonymous buffer and its address (private: faulting its pages in costs half a shared one's)."""

    def __init__(self, capacity: int) -> None:
        self.memory = mmap.mmap(-1, capacity, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self._anchor = ctypes.c_char.from_buffer(self.memory)  # pins the mapping while its address is in use
        self.address = ctypes.addressof(self._anchor)

    def close(self) -> None:
        del self._anchor
        self.memory.close()


class _StagingPool:
    """Staging buffers for packs, reused so their pages are faulted in once, not per pack."""

    def __init__(self, keep: int = 5) -> None:
        self._free: list[_StagingBuffer] = []
        self._keep = keep
        self._lock = threading.Lock()

    def get(self, capacity: int) -> _StagingBuffer:
        with self._lock:
            for number, buffer in enumerate(self._free):
                if len(buffer.memory) >= capacity:
                    return self._free.pop(number)
        return _StagingBuffer(capacity)

    def put(self, buffer: _StagingBuffer) -> None:
        with self._lock:
            if len(self._free) < self._keep:
                self._free.append(buffer)
                return
        buffer.close()


class StagedObjectWriter(ObjectWriter):
    """A pack assembled in memory and written with ``O_DIRECT`` at commit.

    Large sequential writes that bypass the page cache cost a tenth of the CPU of buffered ones (no copy into
    the cache, no writeback later) and do not push the volume being read out of the cache. Falls back to a
    buffered write on filesystems without ``O_DIRECT`` (tmpfs, some FUSE mounts).
    """

    def __init__(self, destination: FilesystemDestination, name: str, capacity: int) -> None:
        self.name = name
        self._destination = destination
        self._final = destination._path(name)
        # Its directory is made at commit, by the committing thread: a new directory costs a journal commit (fsync
        # of the parent), which must not stall the backup workers that open packs.
        self._staging = destination._staging.get(capacity)
        self._buffer = self._staging.memory
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def write_at(self, offset: int, *parts) -> None:
        buffer = self._buffer
        position = offset
        for part in parts:
            length = len(part) if isinstance(part, bytes) else memoryview(part).nbytes
            if position + length > len(buffer):
                raise ValueError(f"object {self.name} outgrew its staging buffer of {len(buffer)} bytes")
            if length < RELEASED_COPY:
                buffer[position:position + length] = part
            elif isinstance(part, bytes):
                ctypes.memmove(self._staging.address + position, part, length)
            else:
                try:
                    source = ctypes.c_char.from_buffer(part)  # a writable buffer: a bytearray, or a view of one
                except TypeError:
                    buffer[position:position + length] = part
                else:
                    ctypes.memmove(self._staging.address + position, ctypes.addressof(source), length)
                    del source
            position += length
        with self._lock:
            self._size = max(self._size, position)

    def commit(self) -> None:
        directory = os.path.dirname(self._final)
        try:
            self._destination._makedirs(directory)
        except BaseException:
            self._release()
            raise
        tmp = os.path.join(directory, f"{TMP_PREFIX}{uuid.uuid4().hex}")
        try:
            self._write_file(tmp)
            os.replace(tmp, self._final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        finally:
            self._release()
        _fsync_dir(directory)

    def _write_file(self, tmp: str) -> None:
        view = memoryview(self._buffer)
        try:
            if self._destination.direct_io:
                try:
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_DIRECT, 0o640)
                except OSError as error:
                    if error.errno != errno.EINVAL:
                        raise
                    self._destination.direct_io = False
                else:
                    try:
                        padded = -(-self._size // DIRECT_ALIGN) * DIRECT_ALIGN
                        done = 0
                        while done < padded:
                            done += os.write(fd, view[done:padded])
                        os.ftruncate(fd, self._size)
                        os.fsync(fd)
                        return
                    except OSError as error:
                        if error.errno != errno.EINVAL:
                            raise
                        self._destination.direct_io = False
                        os.unlink(tmp)
                    finally:
                        os.close(fd)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o640)
            try:
                done = 0
                while done < self._size:
                    done += os.write(fd, view[done:self._size])
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            view.release()

    def _release(self) -> None:
        if self._buffer is not None:
            self._buffer = None
            self._destination._staging.put(self._staging)

    def abort(self) -> None:
        self._release()


class FilesystemDestination(Destination):
    """Objects as files under ``root``; ``a/b/c`` is ``root/a/b/c``."""

    def __init__(self, root: str, direct_io: bool = True) -> None:
        self.root = os.path.abspath(root)
        self.location = self.root
        self.direct_io = direct_io
        self._known_dirs: set[str] = set()
        self._staging = _StagingPool()
        # A root seen once is never made again: if it vanishes (an NFS export unmounted, the directory removed), a
        # write must fail, not fill the empty mount point on the local disk with half a repository.
        self._root_seen = os.path.isdir(self.root)

    def _path(self, name: str) -> str:
        if name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"bad object name {name!r}")
        return os.path.join(self.root, *name.split("/"))

    def _makedirs(self, directory: str) -> None:
        if directory in self._known_dirs:
            return
        missing = []
        probe = directory
        while not os.path.isdir(probe):
            missing.append(probe)
            probe = os.path.dirname(probe)
        if self._root_seen and any(path == self.root or not path.startswith(self.root + os.sep)
                                   for path in missing):
            raise RepositoryNotFound(f"the destination {self.root} is gone (unmounted or removed?): nothing is "
                                     "written until it is back")
        for path in reversed(missing):
            try:
                os.mkdir(path, 0o750)
            except FileExistsError:
                pass
            _fsync_dir(os.path.dirname(path))
        self._root_seen = True
        self._known_dirs.add(directory)

    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        if exclusive:
            path = self._path(name)
            self._makedirs(os.path.dirname(path))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o640)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(os.path.dirname(path))
            return
        writer = self.open_writer(name)
        try:
            writer.write(data)
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        if capacity is not None:
            return StagedObjectWriter(self, name, capacity)
        return FileObjectWriter(self, name)

    def get(self, name: str) -> bytes:
        try:
            with open(self._path(name), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise ObjectNotFound(name) from None

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        try:
            fd = os.open(self._path(name), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ObjectNotFound(name) from None
        try:
            data = os.pread(fd, length, offset)
            while len(data) < length:
                more = os.pread(fd, length - len(data), offset + len(data))
                if not more:
                    raise CorruptObject(f"object {name} is truncated: wanted {length} bytes at offset {offset}, "
                                        f"it ends at {offset + len(data)}")
                data += more
            return data
        finally:
            os.close(fd)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        # Walk only the directory the prefix points into, so listing data/ab/ does not scan the whole repository.
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = os.path.join(self.root, *directory.split("/")) if directory else self.root
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, self.root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            for filename in filenames:
                if filename.startswith(TMP_PREFIX):
                    continue
                name = rel_dir + filename
                if not name.startswith(prefix):
                    continue
                try:
                    stat = os.stat(os.path.join(dirpath, filename))
                except FileNotFoundError:
                    continue
                yield ObjectInfo(name, stat.st_size, stat.st_mtime)

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        _fsync_dir(os.path.dirname(path))

    def exists(self, name: str) -> bool:
        return os.path.isfile(self._path(name))

    def size(self, name: str) -> int:
        try:
            return os.stat(self._path(name)).st_size
        except FileNotFoundError:
            raise ObjectNotFound(name) from None

    def container_exists(self) -> bool:
        return os.path.isdir(self.root)

    def cleanup_incomplete(self, older_than: float = 3600.0) -> int:
        removed = 0
        cutoff = time.time() - older_than
        for dirpath, _dirnames, filenames in os.walk(self.root):
            for filename in filenames:
                if not filename.startswith(TMP_PREFIX):
                    continue
                path = os.path.join(dirpath, filename)
                try:
                    if os.stat(path).st_mtime <= cutoff:
                        os.unlink(path)
                        removed += 1
                except FileNotFoundError:
                    pass
        return removed
