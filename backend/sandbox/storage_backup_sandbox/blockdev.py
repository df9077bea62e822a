# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Real block data for the embedded cloud: volumes, snapshots, images and root disks as sparse files.

Layout under the state dir::

    volumes/<volume id>.img          a volume's bytes (sparse)
    snapshots/<snapshot id>.img      a frozen copy of the volume at snapshot time (sparse copy)
    images/<image id>                Glance image data
    servers/<server id>/disk.img     the root disk of an image-booted server
    servers/<server id>/dev/vdX      what the guest sees at /dev/vdX
    servers/<server id>/dev/disk/by-id/virtio-<volume id[:20]>
                                     what a guest (and so the backup proxy VM) sees at /dev/disk/by-id

The device links are what a proxy VM's worker opens: attaching volume V to server S creates them, detaching
removes them. Copies skip holes (SEEK_DATA/SEEK_HOLE + copy_file_range), so a 10 GiB empty volume costs nothing.
"""
from __future__ import annotations

import errno
import os
import shutil

GIB = 1024 ** 3
DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class BlockStore:
    """Where every byte of the embedded cloud lives."""

    def __init__(self, state_dir: str):
        self.root = os.path.abspath(state_dir)
        for sub in ("volumes", "snapshots", "images", "servers"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)

    # --- paths -------------------------------------------------------------------------------------------------
    def volume_path(self, volume_id: str) -> str:
        return os.path.join(self.root, "volumes", f"{volume_id}.img")

    def snapshot_path(self, snapshot_id: str) -> str:
        return os.path.join(self.root, "snapshots", f"{snapshot_id}.img")

    def image_path(self, image_id: str) -> str:
        return os.path.join(self.root, "images", image_id)

    def server_dir(self, server_id: str) -> str:
        return os.path.join(self.root, "servers", server_id)

    def root_disk_path(self, server_id: str) -> str:
        return os.path.join(self.server_dir(server_id), "disk.img")

    def device_root(self, server_id: str) -> str:
        """The directory a worker on this server uses as its '/' when looking for /dev/disk/by-id."""
        return self.server_dir(server_id)

    def by_id_path(self, server_id: str, volume_id: str) -> str:
        return os.path.join(self.server_dir(server_id), "dev", "disk", "by-id", f"virtio-{volume_id[:20]}")

    def device_path(self, server_id: str, device: str) -> str:
        """``device`` is what Nova reports (``/dev/vdb``)."""
        return os.path.join(self.server_dir(server_id), "dev", os.path.basename(device))

    # --- data ----------------------------------------------------------------------------------------------------
    def create_blank(self, path: str, size_bytes: int) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(size_bytes)

    def clone(self, source: str, target: str, size_bytes: int | None = None) -> None:
        """Copy ``source`` to ``target`` keeping holes, then size the target (grow only)."""
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = target + ".partial"
        sparse_copy(source, tmp)
        if size_bytes is not None and size_bytes > os.path.getsize(tmp):
            os.truncate(tmp, size_bytes)
        os.replace(tmp, target)

    def extend(self, path: str, size_bytes: int) -> None:
        if size_bytes < os.path.getsize(path):
            raise ValueError("a volume can only grow")
        os.truncate(path, size_bytes)

    def remove(self, path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def remove_server(self, server_id: str) -> None:
        shutil.rmtree(self.server_dir(server_id), ignore_errors=True)

    # --- device views ----------------------------------------------------------------------------------------------
    def attach(self, server_id: str, volume_id: str, device: str, target: str | None = None) -> None:
        """Make ``target`` (default: the volume's file) appear in the server's /dev, by name and by id."""
        target = target or self.volume_path(volume_id)
        for link in (self.by_id_path(server_id, volume_id), self.device_path(server_id, device)):
            os.makedirs(os.path.dirname(link), exist_ok=True)
            self.remove(link)
            os.symlink(target, link)

    def detach(self, server_id: str, volume_id: str, device: str | None) -> None:
        self.remove(self.by_id_path(server_id, volume_id))
        if device:
            self.remove(self.device_path(server_id, device))

    def attached_devices(self, server_id: str) -> list[str]:
        """Device names (``vda``, ``vdb``...) currently present in the server's /dev."""
        dev = os.path.join(self.server_dir(server_id), "dev")
        if not os.path.isdir(dev):
            return []
        return sorted(name for name in os.listdir(dev) if name.startswith("vd"))

    def next_device(self, server_id: str, taken: list[str] | None = None) -> str:
        """The next free ``/dev/vdX`` of a server, as Nova's libvirt driver picks them."""
        used = set(self.attached_devices(server_id)) | {os.path.basename(d) for d in (taken or [])}
        for letter in DEVICE_LETTERS:
            if f"vd{letter}" not in used:
                return f"/dev/vd{letter}"
        raise RuntimeError(f"server {server_id} has no free device name")


def sparse_copy(source: str, target: str) -> None:
    """Copy a file's data extents only; holes stay holes (and cost no time)."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        size = os.fstat(src.fileno()).st_size
        dst.truncate(size)
        position = 0
        while position < size:
            try:
                data_start = os.lseek(src.fileno(), position, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # only a hole remains
                    break
                raise
            data_end = os.lseek(src.fileno(), data_start, os.SEEK_HOLE)
            offset = data_start
            while offset < data_end:
                copied = os.copy_file_range(src.fileno(), dst.fileno(), data_end - offset, offset, offset)
                if copied == 0:
                    break
                offset += copied
            position = data_end
        dst.flush()
        os.fsync(dst.fileno())


def allocated_bytes(path: str) -> int:
    """Bytes a sparse file really occupies on disk."""
    return os.stat(path).st_blocks * 512
