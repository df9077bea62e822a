# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Attach a volume to this proxy through Nova and find its block device by serial.

The device is looked up at ``<device root>/dev/disk/by-id/virtio-<volume id[:20]>`` (libvirt sets the virtio
serial to the volume id, the guest's udev names the link after it), never by the ``/dev/vdX`` Nova reports: device
names are a guess Nova makes, and with several attachments in flight they are routinely wrong.
"""
from __future__ import annotations

import os

from storage_backup.cloud import ResourceTimeout
from storage_backup.cloud.waiting import wait_for, wait_volume_attached

from .cleanup import TemporaryResources
from .context import JobContext
from .errors import DeviceNotFound

DEVICE_POLL_INTERVAL = 0.1  # seconds: a local path, no API asked; udev makes the link a moment after the attach


def attach_to_proxy(ctx: JobContext, resources: TemporaryResources, volume_id: str, label: str = "") -> str:
    """Attach, wait for Cinder's ``in-use`` and for the device; returns the device path to read or write."""
    ctx.cancel.check("before attaching a volume")
    proxy_id = ctx.proxy.proxy_server_id
    what = f"Volume {volume_id}" + (f" ({label})" if label else "")
    # Registered before the call: if Nova took it but the answer got lost, cleanup still detaches it.
    resources.attachments.append(volume_id)
    attachment = ctx.cloud.compute.create_volume_attachment(proxy_id, volume_id)
    wait_volume_attached(ctx.cloud, volume_id, proxy_id, timeout=ctx.timeouts.attach, what=what,
                         where=ctx.on_proxy, cancel=ctx.cancel)
    return wait_for_device(ctx, volume_id, reported=attachment.device, what=what)


def wait_for_device(ctx: JobContext, volume_id: str, reported: str | None = None, what: str = "") -> str:
    path = ctx.proxy.by_id_path(volume_id)
    try:
        wait_for(lambda: os.path.exists(path), done=bool, status_of=lambda seen: "present" if seen else "absent",
                 what=f"device {path}", timeout=ctx.timeouts.device, cancel=ctx.cancel,
                 interval=DEVICE_POLL_INTERVAL)
    except ResourceTimeout:
        raise DeviceNotFound(
            f"{what or 'Volume ' + volume_id} is attached (Cinder says in-use) but its device did not appear at "
            f"{path} within {ctx.timeouts.device:.0f} s{ctx.on_proxy} (Nova reported {reported or 'no device'}); "
            f"check that the proxy's udev creates /dev/disk/by-id links and that STORAGE_BACKUP_DEVICE_ROOT is "
            f"right ({ctx.proxy.device_root})") from None
    return path

