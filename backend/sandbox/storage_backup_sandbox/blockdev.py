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

Cinder's model (``cinder.py``) speaks to the store in volumes and snapshots ("Cinder's side" below), never in paths,
so that ``rbd_store.RbdBlockStore`` can keep volumes and snapshots in a real Ceph pool instead; images and root disks
are files in both. ``open_block_store`` picks the store a sandbox runs on (``SANDBOX_VOLUME_BACKEND``).
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator

GIB = 1024 ** 3
DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class SnapshotBusy(Exception):
    """A snapshot's data cannot go yet: volumes made from it still need it (Cinder's ``SnapshotIsBusy``)."""


class BlockStore:
    """Where every byte of the embedded cloud lives: volumes and snapshots as sparse files."""

    backend = "file"
    # Cinder's API accepts deleting a snapshot that volumes were made from; this store refuses it up front, as the
    # snapshot-with-clones case of an RBD backend once did (the RBD store does what cinder 2024.1 does instead).
    snapshot_delete_checks_dependants = True
    errors: tuple[type[Exception], ...] = ()  # what else than OSError a failed data operation raises

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

    # --- Cinder's side: volumes and snapshots by id -----------------------------------------------------------------
    # ``name_id`` is the id a volume's data is named after (Cinder's ``_name_id``, the volume id unless migrated).
    def create_volume(self, name_id: str, size_bytes: int) -> None:
        self.create_blank(self.volume_path(name_id), size_bytes)

    def volume_from_snapshot(self, name_id: str, snapshot_id: str, source_name_id: str, size_bytes: int) -> None:
        """A new volume holding exactly the snapshot's bytes (``source_name_id``: the snapshot's volume)."""
        self.clone(self.snapshot_path(snapshot_id), self.volume_path(name_id), size_bytes)

    def volume_from_volume(self, name_id: str, source_name_id: str, size_bytes: int) -> None:
        self.clone(self.volume_path(source_name_id), self.volume_path(name_id), size_bytes)

    def volume_from_file(self, name_id: str, source_path: str, size_bytes: int) -> None:
        """A volume holding a raw file's bytes (an image's data), cut or grown to ``size_bytes``."""
        target = self.volume_path(name_id)
        self.clone(source_path, target, size_bytes)
        if os.path.getsize(target) > size_bytes:
            os.truncate(target, size_bytes)

    def reimage_volume(self, name_id: str, source_path: str, size_bytes: int) -> None:
        """Cinder's ``os-reimage``: the volume's data becomes a raw image's, the rest zeros (same id, same size)."""
        self.volume_from_file(name_id, source_path, size_bytes)

    def volume_from_qcow2(self, name_id: str, source_path: str, size_bytes: int) -> None:
        from storage_backup_sandbox import cinder_qcow2

        cinder_qcow2.convert_to_raw(source_path, self.volume_path(name_id), size_bytes)

    def delete_volume(self, name_id: str) -> None:
        self.remove(self.volume_path(name_id))

    def extend_volume(self, name_id: str, size_bytes: int) -> None:
        self.extend(self.volume_path(name_id), size_bytes)

    def snapshot_volume(self, snapshot_id: str, name_id: str) -> None:
        """Freeze the volume's bytes now as the snapshot's."""
        self.clone(self.volume_path(name_id), self.snapshot_path(snapshot_id))

    def delete_snapshot(self, snapshot_id: str, name_id: str) -> None:
        self.remove(self.snapshot_path(snapshot_id))

    def revert_volume(self, name_id: str, snapshot_id: str, size_bytes: int) -> None:
        self.clone(self.snapshot_path(snapshot_id), self.volume_path(name_id), size_bytes)

    @contextlib.contextmanager
    def volume_file(self, name_id: str) -> Iterator[str]:
        """The volume's bytes as a file for the ``with``: read them, or write them (what is written stays)."""
        yield self.volume_path(name_id)

    def connection_data(self, name_id: str) -> dict:
        """The ``data`` of an RBD connection (``os-initialize_connection``) to the volume: this store imitates an RBD
        backend without cephx, on a pool named ``volumes``."""
        return {"name": f"volumes/volume-{name_id}", "hosts": ["127.0.0.1"], "ports": ["6789"],
                "cluster_name": "ceph", "auth_enabled": False, "auth_username": None, "secret_type": "ceph",
                "secret_uuid": None, "keyring": None}

    def reattach(self, attachments: list[tuple[str, str, str, str]]) -> None:
        """At start: (server id, volume id, name id, device) of every attachment the state holds. Files need
        nothing: their links survive a restart."""

    def close(self) -> None:
        """At stop: let go of what the store holds open (nothing for files)."""

    # --- device views ----------------------------------------------------------------------------------------------
    def attach(self, server_id: str, volume_id: str, device: str, target: str | None = None,
               name_id: str | None = None) -> None:
        """Make ``target`` (default: the volume's file) appear in the server's /dev, by name and by id."""
        target = target or self.volume_path(name_id or volume_id)
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


def open_block_store(state_dir: str, environ: dict | None = None) -> BlockStore:
    """The store a sandbox runs on: ``SANDBOX_VOLUME_BACKEND`` ``file`` (default) or ``rbd`` (see ``rbd_store``)."""
    environ = os.environ if environ is None else environ
    backend = environ.get("SANDBOX_VOLUME_BACKEND", "file")
    if backend == "file":
        return BlockStore(state_dir)
    if backend == "rbd":
        from storage_backup_sandbox import rbd_store

        return rbd_store.RbdBlockStore(state_dir, rbd_store.RbdSettings.from_environ(environ))
    raise ValueError(f"SANDBOX_VOLUME_BACKEND must be file or rbd, not {backend!r}")


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
