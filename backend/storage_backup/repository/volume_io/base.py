# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the engine needs of a volume it backs up (``BlockSource``) and of one it restores into (``BlockTarget``).

Benji's ``io/`` split: the backup and restore pipelines see only these two interfaces, so a block device and a
sparse image file (and an RBD image, once its kind is registered in ``factory.py``) are interchangeable on either
side. ``factory.py`` opens one by kind.

Both are used by several worker threads at once: ``read_into`` and ``write`` are positional and must be thread-safe;
everything else is called from one thread.
"""
from __future__ import annotations

import abc
from typing import ClassVar


class BlockSource(abc.ABC):
    """A volume to read: its size, positional reads, and what it knows of its zero (unallocated) ranges."""

    #: The factory's name for this kind of source (``SOURCE_KINDS``).
    kind: ClassVar[str]
    #: Reads usually wait on storage rather than come from the page cache (a volume just attached to the proxy):
    #: the backup then runs one worker more than cores, so a read in flight overlaps the others' hashing.
    reads_wait_on_storage: ClassVar[bool] = False

    #: For messages: the path, device or image name.
    name: str
    #: Bytes readable from offset 0.
    size: int

    @abc.abstractmethod
    def read_into(self, view: memoryview, offset: int) -> None:
        """Fill ``view`` from ``offset``. Ending early is an ``InvalidRequest`` naming the offset (the volume
        shrank while it was read)."""

    def is_hole(self, offset: int, length: int) -> bool:
        """True when ``[offset, offset + length)`` is known to read as zeros without reading it (a hole of a sparse
        file, a discarded extent). False means "not known", never "holds data": the default for a source that
        knows nothing of its allocation."""
        return False

    def all_data(self, offset: int, length: int) -> bool:
        """True when ``[offset, offset + length)`` is known to hold no hole, so it may be read in one large batch.
        The default, for a source without allocation knowledge, is True."""
        return True

    @abc.abstractmethod
    def close(self) -> None:
        """Release what ``open`` took; closing twice is harmless."""

    def __enter__(self) -> BlockSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BlockTarget(abc.ABC):
    """A volume to write: at least ``size`` bytes, positional writes, zeroing, and a durable finish."""

    kind: ClassVar[str]

    name: str
    size: int
    #: The target already reads as zeros everywhere (a new sparse file, a fresh Cinder volume): ranges of zeros in
    #: the backup need not be written.
    zeroed: bool

    @abc.abstractmethod
    def write(self, data, offset: int) -> None:
        """Write ``data`` (bytes-like) at ``offset``; the whole of it, or raise."""

    @abc.abstractmethod
    def zero(self, offset: int, length: int) -> None:
        """Make ``[offset, offset + length)`` read as zeros (nothing to do on a zeroed target)."""

    @abc.abstractmethod
    def finish(self) -> None:
        """Make everything written durable (fsync, or the storage's acknowledgement)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what ``open`` took; closing twice is harmless."""

    def __enter__(self) -> BlockTarget:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
