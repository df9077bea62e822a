# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""File-level restore: the files inside a restore point's volume, read lazily through the repository.

No kernel module, mount or loop device: the disk is a seekable file over the restore point's chunks
(``Repository.open_volume``), its partition table (``partitions.py``: GPT, MBR, or a bare filesystem), its LVM2
logical volumes (``lvm.py``: linear ones on this volume) and its filesystem (``ext4.py``, ``xfs.py``) are read by
small read-only parsers of our own (the permissive Python readers
of ext4 and XFS that exist are AGPL or GPL, which an Apache-2.0 product cannot take). ``browse.py`` resolves paths,
lists, searches; ``archive.py`` writes a file or a folder as tar or zip. Every parser bounds its loops and what it
holds in memory, and a damaged or hostile filesystem raises ``CorruptFilesystem`` naming what is wrong.
"""
