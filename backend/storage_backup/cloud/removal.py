# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Removing cloud resources for good: what a job's cleanup and the control plane's sweeper both do.

``Remover`` removes one resource at a time and waits until it is really gone (a snapshot cannot be deleted while a
volume made from it exists, a volume not while it is attached), each wait with a timeout. Where Cinder fails a
removal (``error_deleting``, or a 400 on a volume stuck in a status) it retries once with the admin's force-delete;
an attach that never completed (``attaching``/``reserved``: Nova cannot detach what Cinder never attached) is undone
with Cinder's admin ``reset-status``. The caller decides the order (docs/TASKS.md: servers → detach → volumes →
snapshots and group snapshots → images → key pairs) and what to do with a failure; ``warn`` hears what was forced.

The sweeper goes further for what is *stuck* (``release``, ``force_delete_volume``, ``force_delete_snapshot``): a
volume left ``detaching``, ``attaching`` or ``reserved`` is freed by the first of these that works, in this order,
each tried only while the volume is still held, because each later one knows less about the server:

1. **Nova detach** (``DELETE /servers/{id}/os-volume_attachments/{volume}``) from every server that maps it, after
   ``os-roll_detaching`` for a volume left ``detaching`` (Nova refuses to detach one), waited for;
2. **Cinder attachment delete** (3.27+) of each attachment record: frees what no server uses (``reserved``, a server
   Nova no longer has); Cinder refuses it (409) while Nova still uses the attachment;
3. **``os-force_detach``** (admin) of each attachment: terminates the connection on the backend, for attachments the
   attachments API does not know (old-style ``os-attach``); refused (409) while Nova uses it, like 2;
4. **``os-reset_status``** (admin) to ``available``/``detached``, the last resort: Cinder forgets its attachment
   records. Nova may still map the volume on the server, and the server may still see a device: the step says so.

A volume still ``in-use`` after Nova's detach (Nova refused it or rolled it back) is not forced: the next sweep asks
Nova again. Only a volume left held (``detaching``…), or attached to a server Nova no longer has, goes on to 2-4.

Then it is deleted. A volume or snapshot stuck in a status that no longer ends on its own (``creating``,
``deleting``, ``error_deleting``…) is force-deleted (``os-force_delete``, admin), and where Cinder refuses even that,
reset to ``error`` (admin) and deleted.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .connection import Cloud, get_or_none
from .errors import CloudError, ResourceFailed, ResourceNotFound, ResourceTimeout
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
# Statuses of a volume held by an attach or a detach that did not finish: ``release`` frees it.
HELD = ATTACHING + ("detaching", "error_detaching")


@dataclass
class Release:
    """What ``Remover.release`` did: the servers Nova detached the volume from, and each forced step (``<step>:
    <detail>``), in order."""

    detached: list[str] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # steps the cloud refused, for the log


def is_free(volume) -> bool:
    """No attachment and no attach or detach pending: the volume may be deleted."""
    return not (volume.attachments or []) and volume.status not in HELD and volume.status != "in-use"


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

    # -- stuck volumes (the sweeper) ------------------------------------------------------------------------------

    def release(self, volume_id: str, servers: Iterable[str] = ()) -> Release:
        """Free ``volume_id`` of every attachment, escalating in the module docstring's order only while it is
        still held. Raises ``CloudError`` when even the last step leaves it held."""
        result = Release()
        volume = get_or_none(self.cloud.block_storage.get_volume, volume_id)
        if volume is None or is_free(volume):
            return result
        servers = list(dict.fromkeys([*servers, *(a["server_id"] for a in volume.attachments or []
                                                   if a.get("server_id"))]))
        nova_lost = False  # a server Nova no longer has (or no longer maps the volume on)
        for server_id in servers:
            try:
                if self._nova_detach(volume_id, server_id):
                    result.detached.append(server_id)
            except ResourceNotFound as error:
                nova_lost = True
                result.refused.append(f"Nova detach from server {server_id}: {error}")
            except CloudError as error:
                result.refused.append(f"Nova detach from server {server_id}: {error}")
        volume = get_or_none(self.cloud.block_storage.get_volume, volume_id)
        if volume is not None and volume.status == "in-use" and not nova_lost:
            # Attached and not stuck: Nova refused or rolled the detach back. Forcing Cinder would leave the device
            # on a server Nova still runs; the next sweep asks Nova again.
            raise CloudError(f"Volume {volume_id} is still in use: {'; '.join(result.refused) or 'Nova kept it'}")
        for label, step in (("attachment delete", self._delete_attachments), ("os-force_detach", self._force_detach),
                            ("os-reset_status", lambda v: self._reset(v, servers))):
            volume = get_or_none(self.cloud.block_storage.get_volume, volume_id)
            if volume is None or is_free(volume):
                break
            try:
                done = step(volume)
            except CloudError as error:
                result.refused.append(f"{label}: {error}")
                continue
            if done:
                result.forced.append(f"{label}: {done}")
                self.warn(f"Volume {volume_id} was '{volume.status}': {label} ({done})")
            self._settled(volume_id)
        for refusal in result.refused:
            LOG.info("releasing volume %s: %s", volume_id, refusal)
        volume = get_or_none(self.cloud.block_storage.get_volume, volume_id)
        if volume is not None and not is_free(volume):
            raise CloudError(f"Volume {volume_id} is still '{volume.status}' after Nova's detach, Cinder's attachment "
                             f"delete, force-detach and reset-status: {'; '.join(result.refused) or 'no refusal'}")
        return result

    def _nova_detach(self, volume_id: str, server_id: str) -> bool:
        """Nova detaches it (a volume left ``detaching`` is rolled back to ``in-use`` first: Nova refuses to detach
        it otherwise) and the detach is waited for. False when Nova has nothing to detach."""
        block_storage, compute = self.cloud.block_storage, self.cloud.compute
        volume = get_or_none(block_storage.get_volume, volume_id)
        if volume is None:
            return False
        if volume.status == "detaching":
            block_storage.abort_volume_detaching(volume_id)  # os-roll_detaching
            volume = get_or_none(block_storage.get_volume, volume_id)
            if volume is None:
                return False
        if volume.status not in ATTACHING and attached_to(volume, server_id) is None:
            return False
        compute.delete_volume_attachment(server_id, volume_id, ignore_missing=False)
        wait_volume_detached(self.cloud, volume_id, server_id, timeout=self.detach_timeout,
                             what=f"Volume {volume_id}", where=self._where(server_id))
        return True

    def _attachment_ids(self, volume) -> list[str]:
        """Every attachment record of the volume: Cinder's volume view lists only the attached ones, the
        attachments API (3.27+) the pending ones too."""
        ids = [a.get("attachment_id") or a.get("id") for a in volume.attachments or []]
        try:
            ids += [record.id for record in self.cloud.block_storage.attachments(volume_id=volume.id,
                                                                                   all_projects=True)]
        except CloudError as error:
            LOG.info("cannot list the attachment records of volume %s: %s", volume.id, error)
        return [i for i in dict.fromkeys(ids) if i]

    def _delete_attachments(self, volume) -> str:
        deleted, refused = [], []
        for attachment_id in self._attachment_ids(volume):
            try:
                self.cloud.block_storage.delete_attachment(attachment_id, ignore_missing=True)
                deleted.append(attachment_id)
            except CloudError as error:
                refused.append(str(error))
        if refused and not deleted:
            raise CloudError("; ".join(refused), status=409)
        return ", ".join(deleted)

    def _force_detach(self, volume) -> str:
        ids = self._attachment_ids(volume) or [None]  # none: Cinder settles the volume's statuses
        done, refused = [], []
        for attachment_id in ids:
            try:
                self.cloud.block_storage.detach_volume(volume.id, attachment_id, force=True)
                done.append(f"attachment {attachment_id}" if attachment_id else "no attachment record")
            except CloudError as error:
                refused.append(str(error))
        if refused and not done:
            raise CloudError("; ".join(refused), status=409)
        return ", ".join(done)

    def _reset(self, volume, servers: list[str]) -> str:
        self.cloud.block_storage.reset_volume_status(volume.id, status="available", attach_status="detached")
        where = ", ".join(servers)
        return (f"'{volume.status}' to 'available'/'detached'"
                + (f"; Nova may still map it on server {where}, which may still see its device" if where else ""))

    def _settled(self, volume_id: str) -> None:
        """Cinder ends these steps at once or within a moment: look until the volume is free, briefly."""
        try:
            wait_for(lambda: get_or_none(self.cloud.block_storage.get_volume, volume_id),
                     done=lambda v: v is None or is_free(v), status_of=lambda v: "deleted" if v is None else v.status,
                     what=f"Volume {volume_id}", timeout=min(self.detach_timeout, 10.0), resource="volume",
                     resource_id=volume_id, interval=min(self.cloud.poll_interval, 1.0))
        except ResourceTimeout:
            pass

    def force_delete_volume(self, volume_id: str) -> None:
        """A volume stuck in a status that no longer ends on its own: freed (``release``), force-deleted; where
        Cinder refuses even that, reset to ``error`` (admin) and deleted."""
        block_storage, what = self.cloud.block_storage, f"Volume {volume_id}"
        volume = get_or_none(block_storage.get_volume, volume_id)
        if volume is None:
            return
        if not is_free(volume) and volume.status not in ("creating", "deleting", "error_deleting"):
            self.release(volume_id)
        try:
            block_storage.delete_volume(volume_id, force=True)
        except ResourceNotFound:
            return
        except CloudError as error:
            if "dependent" in str(error).lower() or "snapshot" in str(error).lower():
                raise
            self.warn(f"Cinder refused to force-delete {what} in status '{volume.status}' ({error}); resetting it to "
                      "'error' (admin) and deleting it")
            block_storage.reset_volume_status(volume_id, status="error")
            block_storage.delete_volume(volume_id, ignore_missing=True)
        self._wait_gone(lambda: wait_volume_deleted(self.cloud, volume_id, timeout=self.delete_timeout, what=what),
                        lambda: block_storage.delete_volume(volume_id, force=True))

    def force_delete_snapshot(self, snapshot_id: str) -> None:
        """A snapshot stuck in ``creating``/``deleting``/``error_deleting``: force-deleted (admin); where Cinder
        refuses, reset to ``error`` (admin) and deleted."""
        block_storage, what = self.cloud.block_storage, f"Snapshot {snapshot_id}"
        snapshot = get_or_none(block_storage.get_snapshot, snapshot_id)
        if snapshot is None:
            return
        try:
            block_storage.delete_snapshot(snapshot_id, force=True)
        except ResourceNotFound:
            return
        except CloudError as error:
            if "dependent" in str(error).lower():
                raise
            self.warn(f"Cinder refused to force-delete {what} in status '{snapshot.status}' ({error}); resetting it "
                      "to 'error' (admin) and deleting it")
            block_storage.reset_snapshot_status(snapshot_id, "error")
            block_storage.delete_snapshot(snapshot_id, ignore_missing=True)
        self._wait_gone(lambda: wait_snapshot_deleted(self.cloud, snapshot_id, timeout=self.delete_timeout,
                                                      what=what),
                        lambda: block_storage.delete_snapshot(snapshot_id, force=True))

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
