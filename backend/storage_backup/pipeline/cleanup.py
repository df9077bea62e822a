# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``TemporaryResources``: what a job made in the cloud, removed in the order docs/TASKS.md gives, whatever happened.

Order: servers (a failed restore's) -> detach from the proxy -> delete volumes -> delete snapshots and group
snapshots -> delete images -> key pairs. Each removal is ``storage_backup.cloud.removal.Remover``'s (the same the
control
plane's sweeper uses): waited for until really gone, forced where Cinder fails it. What still cannot be removed is
logged, reported in the job's result or error message, and left with its job tag for the sweeper: a cleanup
problem never hides the error the job failed with.

Everything is removed with the service account (admin), which may act on any project's resources.
"""
from __future__ import annotations

import logging

from storage_backup.cloud import CloudError
from storage_backup.cloud.removal import Remover

from .context import JobContext

LOG = logging.getLogger(__name__)


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

    @property
    def remover(self) -> Remover:
        ctx = self.ctx
        return Remover(self.cloud, detach_timeout=ctx.timeouts.detach, delete_timeout=ctx.timeouts.delete,
                       warn=lambda message: ctx.log.warning("cleanup", message),
                       proxy_server_id=ctx.proxy.proxy_server_id, proxy_name=ctx.proxy_name)

    def detach(self, volume_id: str, server_id: str | None = None) -> None:
        """Detach ``volume_id`` from ``server_id`` (default: this proxy) and wait until Cinder lets it go."""
        server_id = server_id or self.ctx.proxy.proxy_server_id
        self.remover.detach(volume_id, server_id)
        if server_id == self.ctx.proxy.proxy_server_id:
            self.keep("attachments", volume_id)

    def delete_volume(self, volume_id: str) -> None:
        self.remover.delete_volume(volume_id)
        self.keep("volumes", volume_id)

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.remover.delete_snapshot(snapshot_id)
        self.keep("snapshots", snapshot_id)

    def delete_group_snapshot(self, group_snapshot_id: str) -> None:
        self.remover.delete_group_snapshot(group_snapshot_id)
        self.keep("group_snapshots", group_snapshot_id)

    def delete_image(self, image_id: str) -> None:
        self.remover.delete_image(image_id)
        self.keep("images", image_id)

    def delete_server(self, server_id: str) -> None:
        self.remover.delete_server(server_id)
        self.keep("servers", server_id)

    def delete_keypair(self, name: str) -> None:
        self.remover.delete_keypair(name)
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
