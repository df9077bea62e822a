# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A block device (a Cinder volume attached to the proxy, a loop device, a disk) as a source and as a target.

A device knows nothing of its allocation here, so every byte is read and the data path finds zero blocks itself.
On restore, zero ranges of a device that is not known to be zeroed are cleared with ``BLKZEROOUT`` (the device
may do it without transferring zeros), or with written zeros where that is not supported.
"""
from __future__ import annotations

import fcntl
import os
import stat
import struct

from ..errors import InvalidRequest
from .posix import DescriptorSource, DescriptorTarget, device_size, open_for_reading, open_for_writing

BLKZEROOUT = 0x127F


def _require_device(fd: int, name: str, owned: bool) -> None:
    if not stat.S_ISBLK(os.fstat(fd).st_mode):
        if owned:
            os.close(fd)
        raise InvalidRequest(f"{name} is not a block device")


class BlockDeviceSource(DescriptorSource):
    kind = "block-device"
    reads_wait_on_storage = True

    @classmethod
    def open(cls, spec, *, detect_holes: bool = True) -> BlockDeviceSource:
        """``spec``: the device's path, or an open file of it. ``detect_holes`` has nothing to act on here."""
        fd, name, owned = open_for_reading(spec)
        _require_device(fd, name, owned)
        return cls(fd, name, owned, device_size(fd))


class BlockDeviceTarget(DescriptorTarget):
    kind = "block-device"

    @classmethod
    def open(cls, spec, size: int, *, zeroed: bool | None = None, direct: bool = True) -> BlockDeviceTarget:
        """A device of at least ``size`` bytes. It is assumed to hold old data unless ``zeroed=True`` (a fresh
        Cinder volume reads as zeros), so zero ranges are cleared."""
        fd, name, owned, _existed = open_for_writing(spec)
        _require_device(fd, name, owned)
        actual = device_size(fd)
        if actual < size:
            if owned:
                os.close(fd)
            raise InvalidRequest(f"{name} holds {actual} bytes, too small for this volume of {size} bytes; "
                                 f"restore to a device of at least that size")
        return cls(fd, name, owned, size, bool(zeroed), direct)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._zeroout = True

    def zero(self, offset: int, length: int) -> None:
        if self.zeroed or length <= 0:
            return
        if self._zeroout:
            try:
                fcntl.ioctl(self.fd, BLKZEROOUT, struct.pack("<QQ", offset, length))
                return
            except OSError:
                self._zeroout = False
        self.write_zeros(offset, length)
