# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""qcow2 to raw, as Cinder's ``qemu-img convert -O raw`` does when it makes a volume from a qcow2 image.

Pure Python for the images a sandbox meets (qcow2 v2/v3, no backing file, no encryption, no compressed clusters):
walk the L1 and L2 tables and write each allocated cluster at its guest offset; unallocated and zero clusters stay
holes, so the raw result is sparse.
"""
from __future__ import annotations

import os
import struct

MAGIC = b"QFI\xfb"
OFFSET_MASK = 0x00FFFFFFFFFFFE00
COMPRESSED = 1 << 62
ZERO = 1  # v3: the cluster reads as zeros


class UnsupportedImage(ValueError):
    """A qcow2 feature the sandbox cannot convert (qemu-img could)."""


def is_qcow2(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == MAGIC


def virtual_size(path: str) -> int:
    with open(path, "rb") as handle:
        header = handle.read(32)
    return struct.unpack(">Q", header[24:32])[0]


def convert_to_raw(source: str, target: str, size_bytes: int | None = None) -> int:
    """Write the guest-visible disk of qcow2 ``source`` to ``target`` (sparse); returns the virtual size."""
    with open(source, "rb") as src:
        header = src.read(72)
        if header[:4] != MAGIC:
            raise UnsupportedImage("not a qcow2 image")
        (version, backing_offset, _backing_size, cluster_bits, disk_size, crypt_method, l1_size,
         l1_offset) = struct.unpack(">IQIIQIIQ", header[4:48])
        if version not in (2, 3):
            raise UnsupportedImage(f"qcow2 version {version}")
        if backing_offset:
            raise UnsupportedImage("qcow2 images with a backing file")
        if crypt_method:
            raise UnsupportedImage("encrypted qcow2 images")
        cluster_size = 1 << cluster_bits
        entries_per_l2 = cluster_size // 8
        src.seek(l1_offset)
        l1 = struct.unpack(f">{l1_size}Q", src.read(8 * l1_size))
        tmp = target + ".partial"
        with open(tmp, "wb") as dst:
            dst.truncate(max(disk_size, size_bytes or 0))
            for l1_index, l1_entry in enumerate(l1):
                l2_offset = l1_entry & OFFSET_MASK
                if not l2_offset:
                    continue
                src.seek(l2_offset)
                l2 = struct.unpack(f">{entries_per_l2}Q", src.read(cluster_size))
                for l2_index, entry in enumerate(l2):
                    if entry & COMPRESSED:
                        raise UnsupportedImage("compressed qcow2 clusters")
                    data_offset = entry & OFFSET_MASK
                    if not data_offset or (version == 3 and entry & ZERO):
                        continue
                    guest = (l1_index * entries_per_l2 + l2_index) * cluster_size
                    if guest >= disk_size:
                        break
                    src.seek(data_offset)
                    dst.seek(guest)
                    dst.write(src.read(min(cluster_size, disk_size - guest)))
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, target)
        return disk_size
