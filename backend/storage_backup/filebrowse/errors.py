# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What file-level restore raises; each message says what is wrong and, where it can, what to do."""
from __future__ import annotations


class FileBrowseError(Exception):
    """Base: a request that cannot be answered from this volume."""

    code = "file_browse_failed"


class UnsupportedFilesystem(FileBrowseError):
    """No filesystem this product reads (ext4, XFS v5) where one was looked for."""

    code = "unsupported_filesystem"


class CorruptFilesystem(FileBrowseError):
    """The filesystem's structures are inconsistent (damaged, or crafted): reading stopped."""

    code = "corrupt_filesystem"


class PathNotFound(FileBrowseError):
    code = "path_not_found"


class NotADirectory(FileBrowseError):
    code = "not_a_directory"


class TooLarge(FileBrowseError):
    """A download larger than the download area takes."""

    code = "too_large"
