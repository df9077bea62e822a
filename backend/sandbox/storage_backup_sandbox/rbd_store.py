# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The embedded cloud's volumes and snapshots in a real Ceph pool, as Cinder's RBD driver (2024.1) keeps them.

``SANDBOX_VOLUME_BACKEND=rbd`` puts every Cinder volume in the pool ``SANDBOX_RBD_POOL`` as the image
``volume-<name_id>`` (``name_id``: the volume id unless migrated) and every Cinder snapshot on it as the RBD snapshot
``snapshot-<snapshot id>``, protected as the driver protects it. What the driver does, this store does, step for
step (cinder/volume/drivers/rbd.py, read for 24.0.0):

- volume from snapshot: a copy-on-write clone of ``volume-<src>@snapshot-<id>`` (``rbd_flatten_volume_from_snapshot``
  false), grown when bigger;
- volume from volume: a snapshot ``volume-<new>.clone_snap`` of the source, protected, cloned; the clone is flattened
  (and that snapshot dropped) once the source is itself ``rbd_max_clone_depth`` (5) clones deep;
- deleting a snapshot with clones flattens the clones, then removes it; one that stays busy raises ``SnapshotBusy``
  (the volume manager then puts the snapshot back to ``available`` with the user message "Snapshot is busy.");
- deleting a volume that still has ``.clone_snap`` snapshots renames it ``volume-<id>.deleted`` (gone once its
  clones are); otherwise it is removed, its children flattened first when it has any;
- extend is a resize, revert a rollback to the snapshot, an image's data is written into the new image.

Glance images and root disks stay files (``blockdev.BlockStore``). An attachment mounts the ONE image with
``rbd-fuse -r`` below ``servers/<server>/rbd/<volume id>/`` and links the server's ``dev/vdX`` and
``dev/disk/by-id/virtio-<id[:20]>`` to it; detaching (or deleting the server, or stopping the sandbox) unmounts it,
which closes the image (rbd-fuse keeps every image it opened open, with a watcher). A restart mounts the attached
ones again.

Needs Debian's ``rados``/``rbd`` modules on the path (``tools/ceph/start.sh`` writes ``env.sh`` with a PYTHONPATH
exposing only them) and a Ceph whose ``ceph.conf`` (and, with cephx, keyring) the settings name.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from storage_backup_sandbox import rbd_fuse
from storage_backup_sandbox.blockdev import BlockStore, SnapshotBusy

LOG = logging.getLogger(__name__)

CHUNK = 4 * 1024 * 1024  # RBD's default object size: the unit data is written and zeroes are skipped in
ZEROES = bytes(CHUNK)
MAX_CLONE_DEPTH = 5  # cinder.conf rbd_max_clone_depth (default)
UNPROTECT_TRIES = 3  # rados_connection_retries: the driver retries an unprotect that found clones, after flattening
# What Cinder would hand Nova as rbd_secret_uuid (libvirt's secret holding the cephx key); fixed, as in a deployment.
SECRET_UUID = "5f3a5a2c-6b5e-4f55-9a8e-1d0b6c1e2a12"


@dataclass(frozen=True)
class RbdSettings:
    """Where the volumes go: a pool of the Ceph that ``ceph_conf`` names, as ``client.<client_id>`` (cephx key in
    ``keyring``; None: the ceph.conf's own ``keyring``, or no cephx)."""

    pool: str
    ceph_conf: str
    client_id: str = "admin"
    keyring: str | None = None
    python_path: str | None = None  # a folder holding Debian's rados/rbd modules (tools/ceph/start.sh's pylib)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RbdSettings:
        """``SANDBOX_RBD_POOL`` (default ``volumes``), ``SANDBOX_RBD_CEPH_CONF`` (default ``CEPH_CONF``),
        ``SANDBOX_RBD_CLIENT_ID`` (default ``admin``), ``SANDBOX_RBD_KEYRING`` (optional)."""
        conf = environ.get("SANDBOX_RBD_CEPH_CONF") or environ.get("CEPH_CONF")
        if not conf:
            raise ValueError("SANDBOX_VOLUME_BACKEND=rbd needs SANDBOX_RBD_CEPH_CONF (or CEPH_CONF): the ceph.conf")
        return cls(pool=environ.get("SANDBOX_RBD_POOL") or "volumes", ceph_conf=conf,
                   client_id=environ.get("SANDBOX_RBD_CLIENT_ID") or "admin",
                   keyring=environ.get("SANDBOX_RBD_KEYRING") or None)

    def environ(self) -> dict[str, str]:
        """The variables ``from_environ`` reads, with ``SANDBOX_VOLUME_BACKEND=rbd``: for a sandbox's process."""
        env = {"SANDBOX_VOLUME_BACKEND": "rbd", "SANDBOX_RBD_POOL": self.pool, "SANDBOX_RBD_CEPH_CONF": self.ceph_conf,
               "SANDBOX_RBD_CLIENT_ID": self.client_id}
        if self.keyring:
            env["SANDBOX_RBD_KEYRING"] = self.keyring
        return env

    def process_environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` (an environment) for a sandbox process on this pool: ``environ()`` and ``python_path`` first on
        its PYTHONPATH."""
        env = dict(base)
        env.update(self.environ())
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (self.python_path, base.get("PYTHONPATH")) if p)
        return env

    @property
    def client_args(self) -> list[str]:
        """Ceph's command-line options for this client (rbd-fuse, rbd)."""
        return ["--id", self.client_id] + (["--keyring", self.keyring] if self.keyring else [])


def image_name(name_id: str) -> str:
    """Cinder's ``volume.name`` (volume_name_template ``volume-%s`` of the name id)."""
    return f"volume-{name_id}"


def snapshot_name(snapshot_id: str) -> str:
    """Cinder's ``snapshot.name`` (snapshot_name_template ``snapshot-%s``)."""
    return f"snapshot-{snapshot_id}"


class RbdBlockStore(BlockStore):
    """``BlockStore`` whose volumes and snapshots are RBD images and snapshots (see the module's docstring)."""

    backend = "rbd"
    # Cinder's API lets a snapshot with clones be deleted: the RBD driver flattens the clones (see delete_snapshot).
    snapshot_delete_checks_dependants = False

    def __init__(self, state_dir: str, settings: RbdSettings):
        super().__init__(state_dir)
        try:
            import rados
            import rbd
        except ImportError as error:
            raise RuntimeError("the RBD backend needs Debian's python3-rados/python3-rbd modules on PYTHONPATH "
                               "(source the env.sh that tools/ceph/start.sh writes)") from error
        self.rados, self.rbd = rados, rbd
        self.errors = (rados.Error, rbd.Error)
        self.settings = settings
        conf = {"keyring": settings.keyring} if settings.keyring else {}
        self.cluster = rados.Rados(conffile=settings.ceph_conf, rados_id=settings.client_id, conf=conf)
        self.cluster.connect(timeout=30)
        self.ioctx = self.cluster.open_ioctx(settings.pool)  # librados handles are thread-safe: one for all
        self.tmp_dir = os.path.join(self.root, "tmp")
        os.makedirs(self.tmp_dir, exist_ok=True)
        self._closed = False

    # --- helpers -------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _image(self, name: str, read_only: bool = False, snapshot: str | None = None) -> Iterator:
        image = self.rbd.Image(self.ioctx, name, snapshot=snapshot, read_only=read_only)
        try:
            yield image
        finally:
            image.close()

    def image_exists(self, name: str) -> bool:
        return name in self.rbd.RBD().list(self.ioctx)

    def _resize_if_smaller(self, name: str, size_bytes: int) -> None:
        with self._image(name) as image:
            if image.size() < size_bytes:
                image.resize(size_bytes)

    def _clone_info(self, name: str, snap: str | None = None) -> tuple[str | None, str | None]:
        """The driver's ``_get_clone_info``: (parent image, parent snapshot) when ``name`` is a clone of a
        volume's ``<name>.clone_snap``; (None, None) otherwise (a clone of a Cinder snapshot does not count)."""
        with self._image(name) as image:
            try:
                if snap:
                    image.set_snap(snap)
                _pool, parent, parent_snap = image.parent_info()
            except self.rbd.ImageNotFound:
                return None, None
        own = name[:-len(".deleted")] if name.endswith(".deleted") else name
        if parent_snap == f"{own}.clone_snap":
            return parent, parent_snap
        return None, None

    def _clone_depth(self, name: str, depth: int = 0) -> int:
        parent, _ = self._clone_info(name)
        return depth if not parent else self._clone_depth(parent, depth + 1)

    def _flatten_children(self, name: str, snap: str | None = None) -> None:
        with self._image(name) as image:
            if snap is not None:
                image.set_snap(snap)
            children = image.list_children()
        for _pool, child in children:
            LOG.info("flattening %s, a clone of %s%s", child, name, f"@{snap}" if snap else "")
            with self._image(child) as image:
                image.flatten()

    def _write_file(self, image, source_path: str) -> None:
        """Write a raw file's data extents into an image; holes and zero chunks are not written (a new image reads
        zeroes there already)."""
        size = min(os.path.getsize(source_path), image.size())
        with open(source_path, "rb") as source:
            for start, end in _data_extents(source.fileno(), size):
                offset = start
                while offset < end:
                    source.seek(offset)
                    data = source.read(min(CHUNK, end - offset))
                    if not data:
                        break
                    if data != ZEROES[:len(data)]:
                        image.write(data, offset)
                    offset += len(data)

    # --- Cinder's side -------------------------------------------------------------------------------------------
    def create_volume(self, name_id: str, size_bytes: int) -> None:
        self.rbd.RBD().create(self.ioctx, image_name(name_id), size_bytes, old_format=False)

    def volume_from_snapshot(self, name_id: str, snapshot_id: str, source_name_id: str, size_bytes: int) -> None:
        name = image_name(name_id)
        self.rbd.RBD().clone(self.ioctx, image_name(source_name_id), snapshot_name(snapshot_id), self.ioctx, name)
        self._resize_if_smaller(name, size_bytes)

    def volume_from_volume(self, name_id: str, source_name_id: str, size_bytes: int) -> None:
        source, name = image_name(source_name_id), image_name(name_id)
        clone_snap = f"{name}.clone_snap"
        with self._image(source) as image:
            image.create_snap(clone_snap)
            image.protect_snap(clone_snap)
            try:
                self.rbd.RBD().clone(self.ioctx, source, clone_snap, self.ioctx, name)
            except self.rbd.Error:
                image.unprotect_snap(clone_snap)
                image.remove_snap(clone_snap)
                raise
        if self._clone_depth(source) >= MAX_CLONE_DEPTH:
            LOG.info("maximum clone depth (%d) has been reached - flattening %s", MAX_CLONE_DEPTH, name)
            with self._image(name) as image:
                image.flatten()
            with self._image(source) as image:
                image.unprotect_snap(clone_snap)
                image.remove_snap(clone_snap)
        self._resize_if_smaller(name, size_bytes)

    def reimage_volume(self, name_id: str, source_path: str, size_bytes: int) -> None:
        """In place (the image may be mapped to a server): everything discarded, then the file's data written."""
        with self._image(image_name(name_id)) as image:
            image.discard(0, image.size())
            self._write_file(image, source_path)

    def volume_from_file(self, name_id: str, source_path: str, size_bytes: int) -> None:
        name = image_name(name_id)
        self.rbd.RBD().create(self.ioctx, name, size_bytes, old_format=False)
        try:
            with self._image(name) as image:
                self._write_file(image, source_path)
        except BaseException:
            self.rbd.RBD().remove(self.ioctx, name)
            raise

    def volume_from_qcow2(self, name_id: str, source_path: str, size_bytes: int) -> None:
        from storage_backup_sandbox import cinder_qcow2

        with tempfile.TemporaryDirectory(dir=self.tmp_dir) as scratch:  # qemu-img convert -O raw, then the import
            raw = os.path.join(scratch, "raw")
            cinder_qcow2.convert_to_raw(source_path, raw, size_bytes)
            self.volume_from_file(name_id, raw, size_bytes)

    def delete_volume(self, name_id: str) -> None:
        name = image_name(name_id)
        try:
            with self._image(name) as image:
                clone_snap = next((s["name"] for s in image.list_snaps() if s["name"].endswith(".clone_snap")), None)
            parent, parent_snap = self._clone_info(name, clone_snap)
        except self.rbd.ImageNotFound:
            LOG.info("volume %s no longer exists in backend", name)
            return
        if clone_snap is not None:  # clones of it remain: keep it, silently, until they are gone
            self.rbd.RBD().rename(self.ioctx, name, f"{name}.deleted")
            return
        try:
            self.rbd.RBD().remove(self.ioctx, name)
            return  # the driver's fast path (it leaves a parent's .clone_snap behind, as here)
        except (self.rbd.ImageHasSnapshots, self.rbd.ImageBusy):
            self._flatten_children(name)
        except self.rbd.ImageNotFound:
            return
        for attempt in range(UNPROTECT_TRIES):
            try:
                self.rbd.RBD().remove(self.ioctx, name)
                break
            except (self.rbd.ImageHasSnapshots, self.rbd.ImageBusy):
                if attempt == UNPROTECT_TRIES - 1:
                    raise
                time.sleep(0.5)
        if parent:
            self._delete_clone_parent_refs(parent, parent_snap)

    def _delete_clone_parent_refs(self, parent: str, parent_snap: str) -> None:
        """Walk up the clone chain removing the ``.clone_snap`` and the ``.deleted`` parents nothing needs now."""
        grand_parent, grand_parent_snap = self._clone_info(parent, parent_snap)
        with self._image(parent) as image:
            image.unprotect_snap(parent_snap)
            image.remove_snap(parent_snap)
            has_snaps = bool(list(image.list_snaps()))
        if not has_snaps and parent.endswith(".deleted"):
            self.rbd.RBD().remove(self.ioctx, parent)
            if grand_parent:
                self._delete_clone_parent_refs(grand_parent, grand_parent_snap)

    def extend_volume(self, name_id: str, size_bytes: int) -> None:
        with self._image(image_name(name_id)) as image:
            if size_bytes < image.size():
                raise ValueError("a volume can only grow")
            image.resize(size_bytes)

    def snapshot_volume(self, snapshot_id: str, name_id: str) -> None:
        with self._image(image_name(name_id)) as image:
            image.create_snap(snapshot_name(snapshot_id))
            image.protect_snap(snapshot_name(snapshot_id))

    def delete_snapshot(self, snapshot_id: str, name_id: str) -> None:
        name, snap = image_name(name_id), snapshot_name(snapshot_id)
        for attempt in range(UNPROTECT_TRIES):
            try:
                with self._image(name) as image:
                    image.unprotect_snap(snap)
                break
            except self.rbd.InvalidArgument:  # not protected
                break
            except self.rbd.ImageNotFound:
                return
            except self.rbd.ImageBusy:  # clones of it: flatten them and try again (cinder 2024.1)
                if attempt == UNPROTECT_TRIES - 1:
                    raise SnapshotBusy(f"snapshot {snap} of {name} still has clones") from None
                try:
                    self._flatten_children(name, snap)
                except self.rbd.Error:
                    LOG.exception("flattening the clones of %s@%s failed", name, snap)
        try:
            with self._image(name) as image:
                image.remove_snap(snap)
        except self.rbd.ImageNotFound:
            LOG.info("Snapshot %s does not exist in backend.", snap)

    def revert_volume(self, name_id: str, snapshot_id: str, size_bytes: int) -> None:
        with self._image(image_name(name_id)) as image:
            image.rollback_to_snap(snapshot_name(snapshot_id))

    @contextlib.contextmanager
    def volume_file(self, name_id: str) -> Iterator[str]:
        """The image's bytes in a scratch file (sparse); what the ``with`` changed goes back into the image."""
        name = image_name(name_id)
        with tempfile.TemporaryDirectory(dir=self.tmp_dir) as scratch:
            path = os.path.join(scratch, name)
            with self._image(name, read_only=True) as image, open(path, "wb") as target:
                size = image.size()
                target.truncate(size)
                for offset, length in _allocated(image, size):
                    target.seek(offset)
                    target.write(image.read(offset, length))
            before = os.stat(path).st_mtime_ns
            yield path
            if os.stat(path).st_mtime_ns != before:
                with self._image(name) as image:
                    image.discard(0, image.size())
                    self._write_file(image, path)

    def connection_data(self, name_id: str) -> dict:
        """The driver's ``initialize_connection`` data: the mons' v1 addresses, cephx user when auth is on."""
        status, out, _ = self.cluster.mon_command(json.dumps({"prefix": "mon dump", "format": "json"}), b"")
        hosts, ports = [], []
        if status == 0:
            for mon in json.loads(out)["mons"]:
                host, port = mon["addr"][:mon["addr"].rindex("/")].rsplit(":", 1)
                hosts.append(host.strip("[]"))
                ports.append(port)
        cephx = self.cluster.conf_get("auth_client_required") != "none"
        return {"name": f"{self.settings.pool}/{image_name(name_id)}", "hosts": hosts, "ports": ports,
                "cluster_name": "ceph", "auth_enabled": cephx,  # rbd_cluster_name
                "auth_username": self.settings.client_id if cephx else None, "secret_type": "ceph",
                "secret_uuid": SECRET_UUID if cephx else None, "keyring": None}

    # --- device views ----------------------------------------------------------------------------------------------
    def mount_dir(self, server_id: str, volume_id: str) -> str:
        return os.path.join(self.server_dir(server_id), "rbd", volume_id)

    def attach(self, server_id: str, volume_id: str, device: str, target: str | None = None,
               name_id: str | None = None) -> None:
        if target is None:
            name = image_name(name_id or volume_id)
            directory = rbd_fuse.mount_image(self.settings.pool, name, self.mount_dir(server_id, volume_id),
                                             self.settings.ceph_conf, client_args=self.settings.client_args)
            target = os.path.join(directory, name)
        super().attach(server_id, volume_id, device, target=target)

    def detach(self, server_id: str, volume_id: str, device: str | None) -> None:
        super().detach(server_id, volume_id, device)
        self._unmount(self.mount_dir(server_id, volume_id))

    def remove_server(self, server_id: str) -> None:
        self._unmount_server(server_id)  # never rmtree into a mount: rbd-fuse would remove the image
        super().remove_server(server_id)

    def reattach(self, attachments: list[tuple[str, str, str, str]]) -> None:
        for server_id, volume_id, name_id, device in attachments:
            try:
                self.attach(server_id, volume_id, device, name_id=name_id)
            except (RuntimeError, OSError):
                LOG.exception("volume %s could not be shown to server %s again", volume_id, server_id)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        servers = os.path.join(self.root, "servers")
        for server_id in os.listdir(servers) if os.path.isdir(servers) else ():
            self._unmount_server(server_id)
        self.ioctx.close()
        self.cluster.shutdown()

    def _unmount_server(self, server_id: str) -> None:
        mounts = os.path.join(self.server_dir(server_id), "rbd")
        if os.path.isdir(mounts):
            for name in os.listdir(mounts):
                if not name.endswith(".pid"):
                    self._unmount(os.path.join(mounts, name))

    @staticmethod
    def _unmount(directory: str) -> None:
        if os.path.isdir(directory) or os.path.exists(directory + ".pid"):
            rbd_fuse.unmount_image(directory)
            with contextlib.suppress(OSError):
                os.rmdir(directory)


def _data_extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of a file's data, by SEEK_DATA/SEEK_HOLE (the whole file where holes are not reported)."""
    position = 0
    while position < size:
        try:
            start = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole remains
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if start >= size:
            return
        yield start, end
        position = end


def _allocated(image, size: int) -> Iterator[tuple[int, int]]:
    """The image's allocated extents (``diff_iterate`` from its creation), merged into chunks of at most CHUNK."""
    extents: list[tuple[int, int]] = []
    image.diff_iterate(0, size, None, lambda offset, length, exists: extents.append((offset, length)) if exists
                       else None)
    for offset, length in extents:
        end = offset + length
        while offset < end:
            step = min(CHUNK, end - offset)
            yield offset, step
            offset += step

