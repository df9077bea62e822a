# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The immutable inode flag (``chattr +i``) through the FS_IOC_GETFLAGS / FS_IOC_SETFLAGS ioctls, as chattr does.

An immutable file cannot be written, renamed, linked to or unlinked, even by root, until the flag is cleared, and
only a process with CAP_LINUX_IMMUTABLE (root) can clear it. ext4, XFS and Btrfs have it; NFS does not (the ioctl
fails with ENOTTY), which ``ImmutableUnsupported`` says plainly.
"""
from __future__ import annotations

import array
import errno
import fcntl
import os

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_IMMUTABLE_FL = 0x00000010
_UNSUPPORTED = {errno.ENOTTY, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS}


class ImmutableUnsupported(OSError):
    """The filesystem of a path has no immutable attribute (NFS, FUSE mounts, ...)."""


def _open(path: str) -> int:
    # O_NOFOLLOW: a symlink planted in the repository must not get a system file locked.
    return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)


def _flags(fd: int, path: str) -> int:
    buffer = array.array("i", [0])
    try:
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buffer, True)
    except OSError as error:
        if error.errno in _UNSUPPORTED:
            raise ImmutableUnsupported(error.errno, f"the filesystem of {path} has no immutable attribute "
                                                    f"(chattr +i): {os.strerror(error.errno)}") from None
        raise
    return buffer[0]


def is_immutable(path: str) -> bool:
    fd = _open(path)
    try:
        return bool(_flags(fd, path) & FS_IMMUTABLE_FL)
    finally:
        os.close(fd)


def set_immutable(path: str, immutable: bool) -> None:
    """Set or clear the flag (needs CAP_LINUX_IMMUTABLE: the helper runs as root)."""
    fd = _open(path)
    try:
        flags = _flags(fd, path)
        wanted = flags | FS_IMMUTABLE_FL if immutable else flags & ~FS_IMMUTABLE_FL
        if wanted != flags:
            try:
                fcntl.ioctl(fd, FS_IOC_SETFLAGS, array.array("i", [wanted]), True)
            except OSError as error:
                if error.errno in _UNSUPPORTED:
                    raise ImmutableUnsupported(error.errno, f"the filesystem of {path} has no immutable "
                                                            f"attribute (chattr +i)") from None
                raise
    finally:
        os.close(fd)
