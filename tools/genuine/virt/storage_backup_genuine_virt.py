# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A Nova virt driver for the genuine-OpenStack test tier: Nova's own ``fake.FakeDriver`` plus a device view.

With the fake driver no guest exists, so a volume Nova attaches shows up nowhere. A hypervisor would give the guest a
virtio disk whose serial is the volume id, and udev would link it at ``/dev/disk/by-id/virtio-<volume id[:20]>``.
This driver does the same for every instance, below ``$STORAGE_BACKUP_GENUINE_SERVERS/<instance uuid>/`` (the
instance's "/"): attaching an RBD volume mounts that one image with ``rbd-fuse -r`` (below
``$STORAGE_BACKUP_GENUINE_RBD_MOUNT/<instance>/<volume id>/``) and links ``dev/disk/by-id/virtio-<id[:20]>`` to its
file; detaching removes the link and unmounts, which closes the image. (One mount per attachment, never one for the
whole pool: rbd-fuse keeps every image it has opened open, and Cinder cannot delete an image that has a watcher.)
A proxy worker whose device root is its proxy server's folder finds the volume exactly where it looks on a proxy VM.

An image-booted instance gets a root disk, ``disk.img`` (the Glance image's bytes, as libvirt's file backend would
copy them), and ``snapshot`` uploads it to Glance, which the fake driver never does (its snapshots stay queued).

Loaded by ``nova_compute.py`` beside this file as ``compute_driver = storage_backup_genuine.DeviceViewDriver``
(Nova only loads drivers below ``nova.virt``).
"""
from __future__ import annotations

import os

from nova import exception
from nova.image import glance
from nova.virt import fake
from oslo_log import log as logging


def _rbd_fuse():
    """The sandbox's ``rbd_fuse.py`` (stdlib only), loaded by its path: with the sandbox package importable here,
    the launcher's loopback guard would start inside nova-compute and refuse the UDP probe Nova's ``my_ip`` default
    makes at import."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("storage_backup_rbd_fuse", os.environ["STORAGE_BACKUP_RBD_FUSE"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fuse = _rbd_fuse()
mount_image, unmount_image = _fuse.mount_image, _fuse.unmount_image

LOG = logging.getLogger(__name__)


def _servers_dir() -> str:
    return os.environ["STORAGE_BACKUP_GENUINE_SERVERS"]


def _rbd_mount() -> str:
    return os.environ["STORAGE_BACKUP_GENUINE_RBD_MOUNT"]


class DeviceViewDriver(fake.FakeDriver):
    """``FakeDriver`` whose guests see their attached RBD volumes, and whose image-booted guests have a root disk."""

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._image_api = glance.API()

    # -- the device view -------------------------------------------------------------------------------------------

    @staticmethod
    def instance_dir(instance) -> str:
        return os.path.join(_servers_dir(), instance.uuid)

    def _by_id(self, instance, volume_id: str) -> str:
        return os.path.join(self.instance_dir(instance), "dev", "disk", "by-id", f"virtio-{volume_id[:20]}")

    @staticmethod
    def _volume_id(connection_info: dict) -> str:
        data = connection_info.get("data") or {}
        return connection_info.get("serial") or data.get("volume_id") or ""

    def _mount_dir(self, instance, volume_id: str) -> str:
        return os.path.join(_rbd_mount(), instance.uuid, volume_id)

    def _link(self, instance, connection_info: dict) -> None:
        if connection_info.get("driver_volume_type") != "rbd":
            # The tier's Cinder has only RBD backends; anything else is refused as libvirt refuses an unknown driver.
            raise exception.VolumeDriverNotFound(driver_type=connection_info.get("driver_volume_type"))
        volume_id = self._volume_id(connection_info)
        pool, image = connection_info["data"]["name"].split("/", 1)
        directory = mount_image(pool, image, self._mount_dir(instance, volume_id), os.environ["CEPH_CONF"])
        target = os.path.join(directory, image)
        link = self._by_id(instance, volume_id)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)
        LOG.info("volume %s of instance %s is at %s (%s)", volume_id, instance.uuid, link, target)

    def _unlink(self, instance, connection_info: dict) -> None:
        volume_id = self._volume_id(connection_info)
        link = self._by_id(instance, volume_id)
        if os.path.lexists(link):
            os.unlink(link)
        unmount_image(self._mount_dir(instance, volume_id))

    def attach_volume(self, context, connection_info, instance, mountpoint, disk_bus=None, device_type=None,
                      encryption=None):
        super().attach_volume(context, connection_info, instance, mountpoint, disk_bus, device_type, encryption)
        self._link(instance, connection_info)

    def detach_volume(self, context, connection_info, instance, mountpoint, encryption=None):
        self._unlink(instance, connection_info)
        super().detach_volume(context, connection_info, instance, mountpoint, encryption)

    def swap_volume(self, context, old_connection_info, new_connection_info, instance, mountpoint, resize_to):
        self._unlink(instance, old_connection_info)
        super().swap_volume(context, old_connection_info, new_connection_info, instance, mountpoint, resize_to)
        self._link(instance, new_connection_info)

    # -- guests --------------------------------------------------------------------------------------------------

    def spawn(self, context, instance, image_meta, injected_files, admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        super().spawn(context, instance, image_meta, injected_files, admin_password, allocations,
                      network_info=network_info, block_device_info=block_device_info, power_on=power_on,
                      accel_info=accel_info)
        os.makedirs(os.path.join(self.instance_dir(instance), "dev", "disk", "by-id"), exist_ok=True)
        # Volumes attached at boot (block-device mapping): Nova gives the driver their connection info here.
        for bdm in (block_device_info or {}).get("block_device_mapping") or []:
            connection_info = bdm.get("connection_info") or {}
            if connection_info.get("driver_volume_type") == "rbd":
                self._link(instance, connection_info)
        # a volume-booted server's image_meta comes from the volume and may have no id at all
        image_id = image_meta.id if image_meta is not None and image_meta.obj_attr_is_set("id") else None
        if image_id and not self._boots_from_volume(block_device_info):
            self._image_api.download(context, image_id, dest_path=self.root_disk(instance))

    @staticmethod
    def _boots_from_volume(block_device_info) -> bool:
        for bdm in (block_device_info or {}).get("block_device_mapping") or []:
            if bdm.get("boot_index") == 0:
                return True
        return False

    def root_disk(self, instance) -> str:
        return os.path.join(self.instance_dir(instance), "disk.img")

    def snapshot(self, context, instance, image_id, update_task_state):
        super().snapshot(context, instance, image_id, update_task_state)
        metadata = {"disk_format": "raw", "container_format": "bare"}
        path = self.root_disk(instance)
        with open(path, "rb") as data:
            self._image_api.update(context, image_id, metadata, data, purge_props=False)

    def destroy(self, context, instance, network_info, block_device_info=None, destroy_disks=True,
                destroy_secrets=True):
        super().destroy(context, instance, network_info, block_device_info, destroy_disks, destroy_secrets)
        # Nova detaches a deleted server's volumes through Cinder alone: close their images here, or they stay
        # watched and Cinder cannot delete them.
        by_id = os.path.join(self.instance_dir(instance), "dev", "disk", "by-id")
        if os.path.isdir(by_id):
            for name in os.listdir(by_id):
                os.unlink(os.path.join(by_id, name))
        mounts = os.path.join(_rbd_mount(), instance.uuid)
        if os.path.isdir(mounts):
            for name in os.listdir(mounts):
                if not name.endswith(".pid"):
                    unmount_image(os.path.join(mounts, name))
        if destroy_disks and os.path.exists(self.root_disk(instance)):
            os.unlink(self.root_disk(instance))
