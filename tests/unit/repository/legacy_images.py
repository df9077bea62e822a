# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The images backed up into the committed repositories of older formats (``data/format-v1-*``).

Those repositories were written by the code of their format (format version 1: commit 241dbfc) from exactly these
bytes, so a test can restore them and compare; the bytes compress to little, so the committed files stay small.
"""
from __future__ import annotations

from tests.support.repository_images import BLOCK

#: Two full backups' restore points in each legacy repository: the first and an incremental over it.
BLOCKS = 16


def legacy_image() -> bytes:
    """16 blocks of 64 KiB: distinct compressible text, one zero block, and one block twice (deduplicated)."""
    blocks = []
    for number in range(BLOCKS):
        if number == 5:
            blocks.append(bytes(BLOCK))
        elif number == 9:
            blocks.append(blocks[2])
        else:
            line = f"legacy block {number:02d} of a format-1 repository\n".encode()
            blocks.append((line * (BLOCK // len(line) + 1))[:BLOCK])
    return b"".join(blocks)


def legacy_change(image: bytes) -> bytes:
    """The image after a guest's write: block 3 changed."""
    line = b"block 3 was rewritten before the second backup\n"
    changed = (line * (BLOCK // len(line) + 1))[:BLOCK]
    return image[:3 * BLOCK] + changed + image[4 * BLOCK:]
