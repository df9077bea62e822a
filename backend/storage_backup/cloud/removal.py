# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Removing cloud resources for good: what a job's cleanup and the control plane's sweeper both do.

``Remover`` removes one resource at a time and waits until it is really gone (a snapshot cannot be deleted while a
volume made from it exists, a volume not while it is attached), each wait with a timeout. Where Cinder fails a
removal (``error_deleting``, or a 400 on a volume stuck in a status) it retries once with the admin's force-delete;
an attach that never completed (``attaching``/``reserved``: Nova cannot detach what Cinder never attached) is undone
with Cinder's admin ``reset-status``. The caller decides the order (docs/TASKS.md: servers → detach → volumes →
snapshots and group snapshots → images → key pairs) and what to do with a failure; ``warn`` hears what was forced.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from .connection import Cloud, get_or_none
from .errors import CloudError, ResourceFailed, ResourceTimeout
from .waiting import (
    attached_to,
    wait_for,
    wait_group_snapshot_deleted,
    wait_server_deleted,
    wait_snapshot,
    wait_snapshot_deleted,
    wait_volume_deleted,
    wait_volume_detached,
)

LOG = logging.getLogger(__name__)

# Statuses a volume passes through on its own: wait for them to end before deleting.
VOLUME_BUSY = ("creating", "downloading", "uploading", "extending", "retyping", "maintenance", "backing-up",
               "restoring-backup", "awaiting-transfer", "detaching", "deleting")
ATTACHING = ("attaching", "reserved", "error_attaching")


class Remover:
    def __init__(self, cloud: Cloud, *, detach_timeout: float = 300.0, delete_timeout: float = 600.0,
                 warn: Callable[[str], None] | None = None, proxy_server_id: str | None = None,
                 proxy_name: str = "") -> None:
        self.cloud = cloud
        self.detach_timeout = detach_timeout
        self.delete_timeout = delete_timeout
        self.warn = warn or (lambda message: LOG.warning("%s", message))
        self.proxy_server_id = proxy_server_id
        self.proxy_name = proxy_name

    def _where(self, server_id: str | None) -> str:
        if server_id and server_id == self.proxy_server_id:
            return f" on proxy {self.proxy_name or server_id}"
        return f" on server {server_id}" if server_id else ""

    # -- volumes ------------------------------------------------------------------------------------------------

    def attaching_servers(self, volume_id: str) -> list[str]:
        """The servers an attach of ``volume_id`` is pending for (Cinder's attachment records, admin)."""
        try:
            records = list(self.cloud.block_storage.attachments(volume_id=volume_id, all_projects=True))
        except CloudError as error:
            LOG.info("cannot list the attachment records of volume %s: %s", volume_id, error)
            return []
        return [record.instance for record in records if record.instance]

    def detach(self, volume_id: str, server_id: str | None = None) -> None:
        """Detach ``volume_id`` from ``server_id`` (default: the proxy) and wait until Cinder lets it go."""
        server_id = server_id or self.proxy_server_id
        cloud = self.cloud
        what, where = f"Volume {volume_id}", self._where(server_id)
        volume = get_or_none(cloud.block_storage.get_volume, volume_id)
        if volume is None:
            return
        if volume.status in ATTACHING:
            # An attach that never finished: ask Nova anyway (it drops its half-made mapping), then the admin
            # reset ends Cinder's side.
            if server_id:
                self._quietly(lambda: cloud.compute.delete_volume_attachment(server_id, volume_id,
                                                                             ignore_missing=False))
            self.warn(f"{what} was still '{volume.status}'{where}; resetting it to 'available' (admin)")
            cloud.block_storage.reset_volume_status(volume_id, status="available", attach_status="detached")
        elif server_id and attached_to(volume, server_id) is not None:
            # Nova no longer mapping it is fine (ignore_missing): Cinder catches up below.
            cloud.compute.delete_volume_attachment(server_id, volume_id, ignore_missing=True)
        if server_id:
            wait_volume_detached(cloud, volume_id, server_id, timeout=self.detach_timeout, what=what, where=where)

    def delete_volume(self, volume_id: str) -> None:
        """Detach it from wherever it is attached, then delete it (forced where Cinder fails) and wait."""
        cloud, block_storage, timeout = self.cloud, self.cloud.block_storage, self.delete_timeout
        what = f"Volume {volume_id}"
        volume = get_or_none(cloud.block_storage.get_volume, volume_id)
        if volume is None:
            return
        if volume.status in ATTACHING:
            servers = [a.get("server_id") for a in volume.attachments or [] if a.get("server_id")]
            self.detach(volume_id, (servers or self.attaching_servers(volume_id) or [None])[0])
            volume = get_or_none(cloud.block_storage.get_volume, volume_id)
        for attachment in (volume.attachments or []) if volume is not None else []:
            if attachment.get("server_id"):
                self.detach(volume_id, attachment["server_id"])
        volume = get_or_none(cloud.block_storage.get_volume, volume_id) if volume is not None else None
        if volume is not None and volume.status in VOLUME_BUSY and volume.status != "deleting":
            # Not one status to wait for: any that is not busy will do.
            volume = wait_for(lambda: get_or_none(cloud.block_storage.get_volume, volume_id),
                              done=lambda v: v is None or v.status not in VOLUME_BUSY,
                              status_of=lambda v: "deleted" if v is None else v.status, what=what,
                              timeout=timeout, resource="volume", resource_id=volume_id,
                              interval=cloud.poll_interval)
        if volume is not None and volume.status != "deleting":
            self._delete_or_force(lambda: block_storage.delete_volume(volume_id, ignore_missing=True),
                                  lambda: block_storage.delete_volume(volume_id, force=True),
                                  f"{what} in status '{volume.status}'")
        self._wait_gone(lambda: wait_volume_deleted(cloud, volume_id, timeout=timeout, what=what),
                        lambda: block_storage.delete_volume(volume_id, force=True))

    # -- snapshots and images -----------------------------------------------------------------------------------

    def delete_snapshot(self, snapshot_id: str) -> None:
        cloud, block_storage, timeout = self.cloud, self.cloud.block_storage, self.delete_timeout
        what = f"Snapshot {snapshot_id}"
        snapshot = get_or_none(block_storage.get_snapshot, snapshot_id)
        if snapshot is None:
            return
        if snapshot.status == "creating":
            try:
                wait_snapshot(cloud, snapshot_id, timeout=timeout, what=what)
            except (ResourceFailed, ResourceTimeout):
                pass  # in error: deleted below; still creating: force-deleted below
        if snapshot.status != "deleting":
            self._delete_or_force(lambda: block_storage.delete_snapshot(snapshot_id, ignore_missing=True),
                                  lambda: block_storage.delete_snapshot(snapshot_id, force=True), what)
        self._wait_gone(lambda: wait_snapshot_deleted(cloud, snapshot_id, timeout=timeout, what=what),
                        lambda: block_storage.delete_snapshot(snapshot_id, force=True))

    def delete_group_snapshot(self, group_snapshot_id: str) -> None:
        """The group snapshot and, with it, its member snapshots (Cinder refuses to delete those one by one)."""
        block_storage = self.cloud.block_storage
        if get_or_none(block_storage.get_group_snapshot, group_snapshot_id) is None:
            return
        block_storage.delete_group_snapshot(group_snapshot_id, ignore_missing=True)
        wait_group_snapshot_deleted(self.cloud, group_snapshot_id, timeout=self.delete_timeout)

    def delete_image(self, image_id: str) -> None:
        self.cloud.image.delete_image(image_id, ignore_missing=True)  # synchronous in Glance

    # -- what a failed restore made -----------------------------------------------------------------------------

    def delete_server(self, server_id: str) -> None:
        self.cloud.compute.delete_server(server_id, ignore_missing=True)
        wait_server_deleted(self.cloud, server_id, timeout=self.delete_timeout)

    def delete_keypair(self, name: str) -> None:
        self.cloud.compute.delete_keypair(name, ignore_missing=True)

    def _delete_or_force(self, delete, force, what: str) -> None:
        """Delete; where Cinder refuses for the resource's status (400), force-delete (admin). A snapshot that
        still has volumes made from it ("dependent") is a real refusal: those must go first."""
        try:
            delete()
        except CloudError as error:
            if error.status != 400 or "dependent" in str(error).lower():
                raise
            self.warn(f"Cinder refused to delete {what} ({error}); force-deleting it (admin)")
            force()

    def _wait_gone(self, wait, force) -> None:
        """Wait until deleted; a deletion that ends in ``error_deleting`` is forced once, then waited for again."""
        try:
            wait()
        except ResourceFailed as error:
            self.warn(f"{error}; force-deleting it (admin)")
            force()
            wait()

    @staticmethod
    def _quietly(action) -> None:
        try:
            action()
        except CloudError as error:
            LOG.info("%s (ignored)", error)
