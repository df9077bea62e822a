"""``TemporaryResources``: what a job made in the cloud, removed in the order docs/TASKS.md gives, whatever happened.

Order: servers (a failed restore's) -> detach from the proxy -> delete volumes -> delete snapshots and group
snapshots -> delete images -> key pairs. Each removal waits until the resource is really gone (a snapshot cannot
be deleted while a volume made from it exists), with a timeout. A removal Cinder fails (``error_deleting``) is
retried once with the admin's force-delete, a detach stuck in ``attaching`` (an attach that never completed) is
undone with Cinder's admin ``reset-status``. What still cannot be removed is logged, reported in the job's result
or error message, and left with its job tag for the control plane's sweeper: a cleanup problem never hides the
error the job failed with.

Everything is removed with the service account (admin), which may act on any project's resources.
"""
from __future__ import annotations

import logging

from backend.cloud import CloudError, NotFound, ResourceFailed, ResourceTimeout
from backend.cloud.waiting import (
    attached_to,
    wait_for,
    wait_group_snapshot_deleted,
    wait_snapshot,
    wait_snapshot_deleted,
    wait_volume_deleted,
    wait_volume_detached,
)

from .context import JobContext

LOG = logging.getLogger(__name__)

# Statuses a volume passes through on its own: wait for them to end before deleting.
VOLUME_BUSY = ("creating", "downloading", "uploading", "extending", "retyping", "maintenance", "backing-up",
               "restoring-backup", "awaiting-transfer", "detaching", "deleting")
ATTACHING = ("attaching", "reserved", "error_attaching")


class TemporaryResources:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.cloud = ctx.cloud
        self.servers: list[str] = []
        self.attachments: list[str] = []  # volumes attached (or being attached) to this proxy
        self.volumes: list[str] = []
        self.snapshots: list[str] = []
        self.group_snapshots: list[str] = []
        self.images: list[str] = []
        self.keypairs: list[str] = []  # key pairs of the service account's user
        self.problems: list[str] = []

    # -- bookkeeping ----------------------------------------------------------------------------------------------

    def keep(self, kind: str, resource_id: str) -> None:
        """A resource the job made for good (a restored volume, server or image): no longer temporary."""
        items = getattr(self, kind)
        if resource_id in items:
            items.remove(resource_id)

    @property
    def empty(self) -> bool:
        return not any((self.servers, self.attachments, self.volumes, self.snapshots, self.group_snapshots,
                        self.images, self.keypairs))

    # -- removal, one resource ------------------------------------------------------------------------------------

    def detach(self, volume_id: str, server_id: str | None = None) -> None:
        """Detach ``volume_id`` from ``server_id`` (default: this proxy) and wait until Cinder lets it go."""
        server_id = server_id or self.ctx.proxy.proxy_server_id
        volume_api, timeouts = self.cloud.volume, self.ctx.timeouts
        what = f"Volume {volume_id}"
        where = self.ctx.on_proxy if server_id == self.ctx.proxy.proxy_server_id else f" on server {server_id}"
        volume = volume_api.find_volume(volume_id)
        if volume is not None:
            attachment = attached_to(volume, server_id)
            if volume["status"] in ATTACHING:
                # An attach that never finished: Nova cannot detach what Cinder never attached. Ask Nova anyway
                # (it drops its half-made mapping), then the admin reset ends Cinder's side.
                self._quietly(lambda: self.cloud.compute.detach_volume(server_id, volume_id))
                self.ctx.log.warning("cleanup", f"{what} was still '{volume['status']}'{where}; resetting it to "
                                                "'available' (admin)")
                volume_api.reset_volume_status(volume_id, "available", attach_status="detached")
            elif attachment is not None:
                try:
                    self.cloud.compute.detach_volume(server_id, volume_id)
                except NotFound:
                    pass  # Nova no longer maps it; Cinder catches up below
            wait_volume_detached(volume_api, volume_id, server_id, timeout=timeouts.detach, what=what, where=where)
        if server_id == self.ctx.proxy.proxy_server_id:
            self.keep("attachments", volume_id)

    def delete_volume(self, volume_id: str) -> None:
        volume_api, timeouts = self.cloud.volume, self.ctx.timeouts
        what = f"Volume {volume_id}"
        volume = volume_api.find_volume(volume_id)
        if volume is None:
            self.keep("volumes", volume_id)
            return
        if volume["status"] in ATTACHING:
            self.detach(volume_id, (volume.get("attachments") or [{}])[0].get("server_id"))
            volume = volume_api.find_volume(volume_id)
        for attachment in (volume or {}).get("attachments") or []:
            # A volume this job made, attached somewhere (this proxy, or the instance a restore attached it to).
            if attachment.get("server_id"):
                self.detach(volume_id, attachment["server_id"])
        volume = volume_api.find_volume(volume_id) if volume is not None else None
        if volume is not None and volume["status"] in VOLUME_BUSY and volume["status"] != "deleting":
            volume = wait_for(lambda: volume_api.find_volume(volume_id),
                              done=lambda v: v is None or v["status"] not in VOLUME_BUSY,
                              status_of=lambda v: "deleted" if v is None else v["status"], what=what,
                              timeout=timeouts.delete, resource="volume", resource_id=volume_id)
        if volume is not None and volume["status"] != "deleting":
            try:
                volume_api.delete_volume(volume_id)
            except CloudError as error:
                if error.status != 400:
                    raise
                self.ctx.log.warning("cleanup", f"Cinder refused to delete {what} in status '{volume['status']}' "
                                                f"({error}); force-deleting it (admin)")
                volume_api.force_delete_volume(volume_id)
        try:
            wait_volume_deleted(volume_api, volume_id, timeout=timeouts.delete, what=what)
        except ResourceFailed as error:
            self.ctx.log.warning("cleanup", f"{error}; force-deleting it (admin)")
            volume_api.force_delete_volume(volume_id)
            wait_volume_deleted(volume_api, volume_id, timeout=timeouts.delete, what=what)
        self.keep("volumes", volume_id)

    def delete_snapshot(self, snapshot_id: str) -> None:
        volume_api, timeouts = self.cloud.volume, self.ctx.timeouts
        what = f"Snapshot {snapshot_id}"
        try:
            snapshot = volume_api.get_snapshot(snapshot_id)
        except NotFound:
            self.keep("snapshots", snapshot_id)
            return
        if snapshot["status"] == "creating":
            try:
                wait_snapshot(volume_api, snapshot_id, ("available", "error"), timeout=timeouts.delete, what=what)
            except ResourceTimeout:
                pass  # force-delete below
        if snapshot["status"] != "deleting":
            try:
                volume_api.delete_snapshot(snapshot_id)
            except CloudError as error:
                if error.status != 400 or "dependent" in str(error).lower():
                    raise
                self.ctx.log.warning("cleanup", f"Cinder refused to delete {what} ({error}); force-deleting it")
                volume_api.force_delete_snapshot(snapshot_id)
        try:
            wait_snapshot_deleted(volume_api, snapshot_id, timeout=timeouts.delete, what=what)
        except ResourceFailed as error:
            self.ctx.log.warning("cleanup", f"{error}; force-deleting it (admin)")
            volume_api.force_delete_snapshot(snapshot_id)
            wait_snapshot_deleted(volume_api, snapshot_id, timeout=timeouts.delete, what=what)
        self.keep("snapshots", snapshot_id)

    def delete_group_snapshot(self, group_snapshot_id: str) -> None:
        volume_api = self.cloud.volume
        try:
            volume_api.get_group_snapshot(group_snapshot_id)
        except NotFound:
            self.keep("group_snapshots", group_snapshot_id)
            return
        volume_api.delete_group_snapshot(group_snapshot_id)
        wait_group_snapshot_deleted(volume_api, group_snapshot_id, timeout=self.ctx.timeouts.delete)
        self.keep("group_snapshots", group_snapshot_id)

    def delete_image(self, image_id: str) -> None:
        self.cloud.image.delete_image(image_id)  # synchronous in Glance
        self.keep("images", image_id)

    def delete_server(self, server_id: str) -> None:
        from backend.cloud.waiting import wait_server_deleted

        self.cloud.compute.delete_server(server_id)
        wait_server_deleted(self.cloud.compute, server_id, timeout=self.ctx.timeouts.delete)
        self.keep("servers", server_id)

    def delete_keypair(self, name: str) -> None:
        self.cloud.compute.delete_keypair(name)
        self.keep("keypairs", name)

    # -- removal, everything ----------------------------------------------------------------------------------------

    def release_disk(self, volume_id: str | None, snapshot_id: str | None) -> None:
        """Right after a disk is read: detach -> delete its temporary volume -> delete its snapshot. A failure here
        is left to ``cleanup()`` (which tries again and reports)."""
        try:
            if volume_id and volume_id in self.attachments:
                self.detach(volume_id)
            if volume_id and volume_id in self.volumes:
                self.delete_volume(volume_id)
            if snapshot_id and snapshot_id in self.snapshots:
                self.delete_snapshot(snapshot_id)
        except CloudError as error:
            self.ctx.log.warning("cleanup", f"could not remove the temporary copy at once: {error}; trying again "
                                            "at the end of the job")

    def cleanup(self) -> list[str]:
        """Remove everything still registered; returns (and logs) what could not be removed."""
        steps = [("servers", self.delete_server, "server"), ("attachments", self.detach, "attachment of volume"),
                 ("volumes", self.delete_volume, "volume"), ("snapshots", self.delete_snapshot, "snapshot"),
                 ("group_snapshots", self.delete_group_snapshot, "group snapshot"),
                 ("images", self.delete_image, "image"), ("keypairs", self.delete_keypair, "key pair")]
        if not self.empty:
            self.ctx.log.add("cleanup", "removing temporary resources: " + ", ".join(
                f"{len(getattr(self, kind))} {label}(s)" for kind, _, label in steps if getattr(self, kind)))
        for kind, remove, label in steps:
            for resource_id in list(getattr(self, kind)):
                try:
                    remove(resource_id)
                except Exception as error:  # keep going: every other resource still deserves its cleanup
                    problem = f"{label} {resource_id}: {error}"
                    self.problems.append(problem)
                    self.ctx.log.warning("cleanup", f"could not remove {problem}")
                    LOG.warning("cleanup of job %s: %s", self.ctx.job_id, problem, exc_info=True)
                    if kind == "attachments":
                        # A volume still attached cannot be deleted, nor its snapshot: report once, not thrice.
                        self.keep("attachments", resource_id)
        return list(self.problems)

    def _quietly(self, action) -> None:
        try:
            action()
        except CloudError as error:
            LOG.info("cleanup of job %s: %s (ignored)", self.ctx.job_id, error)
