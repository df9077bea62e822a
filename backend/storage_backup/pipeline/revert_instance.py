# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""In-place revert (docs/TASKS.md ``proxy.revert``): put the original instance's volumes back as a restore point
holds them, keeping the server's id, name, ports and addresses and every volume's id.

* **One data volume** (``volume_id``): detached from its server through Nova, overwritten through this proxy,
  attached again (``revert_volume``). The server keeps running (the guest should not be using that disk) unless
  ``stop_server`` asks for it to be stopped first: then an ACTIVE server is stopped before the detach and started
  once the volume is back, after a failure too (the guest then never sees its disk go or come back with other
  content); a SHUTOFF server stays off.
* **The whole instance**: the backed-up root disk is first written into a temporary volume and uploaded to Glance as
  a temporary image (before anything of the server is touched: a failure there changes nothing). Then the server is
  stopped, every data volume is overwritten as above, and the **boot volume** — which Nova never detaches from a
  running or stopped server — is reimaged by Nova's ``rebuild`` at compute microversion 2.93 with that image (Nova
  asks Cinder to write the image into the very volume: ``os-reimage``). The temporary image is deleted and the
  server started again if it was running.

An image-booted instance keeps its root disk on the hypervisor, out of Cinder's reach: the same image of the
restore point's root disk is made, and Nova's plain rebuild (any microversion) writes the root disk from it. The
server then refers to that image, so it stays (named ``<server>-reverted-<restore point>``).

On failure nothing the job made is left (temporary volume, image, proxy attachment); a volume detached from the
server is attached again; a data volume the job had started to write keeps its safety snapshot; a server stopped for
a single volume is started again (one stopped for a whole-instance revert is left stopped: its boot disk may be half
rebuilt); the error says what state each volume and the server are in.
"""
from __future__ import annotations

import time

from storage_backup.cloud import (
    TEMPORARY_TAG,
    CloudError,
    ResourceNotFound,
    ResourceTimeout,
    temporary_metadata,
    temporary_name,
)
from storage_backup.cloud.naming import base_of
from storage_backup.cloud.rebuild import rebuild_server
from storage_backup.cloud.waiting import wait_for, wait_image, wait_server, wait_volume
from storage_backup.contract import RevertRequest

from .cleanup import TemporaryResources
from .context import JobContext
from .errors import InvalidJobRequest, add_cleanup_report
from .metadata import ROOT_DISK_KEY
from .repository_access import open_restore_point
from .restore_disks import VolumePlan, create_volumes, plan_volume, write_volume
from .restore_instance import check_proxy
from .revert_volume import (
    Overwrite,
    check_target,
    detach_from_server,
    keep_safety_snapshot,
    reattach,
    take_safety_snapshot,
    write_in_place,
)

REVERTIBLE_STATUSES = ("ACTIVE", "SHUTOFF")


class Revert:
    def __init__(self, ctx: JobContext, request: RevertRequest) -> None:
        self.ctx = ctx
        self.request = request
        self.resources = TemporaryResources(ctx)
        self.overwrites: list[Overwrite] = []
        self.root: Overwrite | None = None  # the boot volume, reimaged by Nova's rebuild
        self.root_plan: VolumePlan | None = None
        self.image_id: str | None = None
        self.server_id = request.instance_id
        self.server_status = ""  # before the revert
        self.stopped = False
        # A server stopped only to revert one data volume is started again after a failure too: its boot disk is
        # untouched, and the tenant asked for a stop around the revert, not for an outage.
        self.restart_on_failure = bool(request.volume_id and request.stop_server)
        self.restarted = False
        self.start_error = ""
        self.rebuilding = False
        self.rebuilt = False
        self.image_booted = False  # its root disk is the hypervisor's: rebuilt from an image that stays

    def run(self) -> dict:
        started = time.monotonic()
        failure: BaseException | None = None
        try:
            result = self._run()
        except BaseException as error:
            failure = error
            self.ctx.log.add("failed", f"{type(error).__name__}: {error}")
            raise
        finally:
            if failure is not None:
                for overwrite in self.overwrites:
                    keep_safety_snapshot(self.ctx, self.resources, overwrite)
            problems = self.resources.cleanup()  # proxy attachments first: a volume can then go back to its server
            if failure is not None:
                problems += self._give_back()  # the volume back first: the guest finds it when it boots
                if self.stopped and self.restart_on_failure:
                    problems += self._start_again()
                add_cleanup_report(failure, problems)
                _add_state_report(failure, self._state())
        result.update(duration=round(time.monotonic() - started, 3), cleanup_problems=list(self.resources.problems),
                      warnings=list(self.ctx.log.warnings), log=self.ctx.log.as_list())
        return result

    # -- check ---------------------------------------------------------------------------------------------------------

    def _run(self) -> dict:
        ctx, request = self.ctx, self.request
        repository, restore_point = open_restore_point(ctx, request)
        metadata = restore_point.instance_metadata or {}
        project_id = request.project_id
        tenant = ctx.cloud.for_project(project_id)
        try:
            server = ctx.cloud.compute.get_server(self.server_id)
        except ResourceNotFound:
            raise InvalidJobRequest(f"instance {self.server_id} no longer exists; restore it as a new one "
                                    "instead") from None
        if server.project_id != project_id:
            raise InvalidJobRequest(f"instance {self.server_id} is not in project {project_id}")
        check_proxy(ctx, request.availability_zone or server.availability_zone)
        self.server_status = server.status
        if server.status not in REVERTIBLE_STATUSES:
            raise InvalidJobRequest(f"instance {server.name} is {server.status}; a revert needs it ACTIVE or SHUTOFF")
        records = {r["volume_id"]: r for r in metadata.get("block_device_mapping") or [] if r.get("volume_id")}
        backed_up = [volume.key for volume in restore_point.volumes]
        if request.volume_id:
            if request.volume_id not in backed_up:
                raise InvalidJobRequest(f"restore point {restore_point.id} holds no volume {request.volume_id}")
            if (records.get(request.volume_id) or {}).get("boot_index") == 0:
                raise InvalidJobRequest(f"volume {request.volume_id} is the boot volume of {server.name}: Nova does "
                                        "not detach it; revert the whole instance instead")
            keys = [request.volume_id]
        else:
            keys = [key for key in backed_up if key in records]
            if metadata.get("boot_source") == "image":
                if ROOT_DISK_KEY not in backed_up:
                    raise InvalidJobRequest(f"restore point {restore_point.id} holds no root disk of {server.name}")
                # The root disk lives on the hypervisor: Nova's rebuild writes it from an image, any microversion.
                self.image_booted = True
                self.root = Overwrite(key=ROOT_DISK_KEY, label="root disk",
                                      size=restore_point.volume(ROOT_DISK_KEY).size, server_id=self.server_id)
        attached = {v.get("id") for v in server.attached_volumes or []}
        for key in keys:
            if key not in attached:
                raise InvalidJobRequest(f"volume {key} of the restore point is no longer attached to "
                                        f"{server.name}; the instance changed shape since: restore it as a new one")
            overwrite = check_target(ctx, restore_point, key, project_id, self.server_id)
            if (records.get(key) or {}).get("boot_index") == 0:
                self.root = overwrite
            else:
                self.overwrites.append(overwrite)
        ctx.log.add("prepare", f"reverting {server.name} ({self.server_id}) in place to {restore_point.id}: "
                               + ", ".join(o.label for o in ([self.root] if self.root else []) + self.overwrites)
                               + (f"; {server.name} is stopped meanwhile" if request.stop_server and
                                  server.status == "ACTIVE" else ""))
        if request.volume_id and request.stop_server and server.status != "ACTIVE":
            ctx.log.add("stop", f"{server.name} is {server.status} already: it stays so")

        # -- the root disk as an image, before anything of the server is touched ---------------------------------------
        total = sum(o.size for o in self.overwrites) + (2 * self.root.size if self.root else 0)
        ctx.progress.set_total(total)
        if self.root is not None:
            self._root_image(tenant, repository, restore_point)

        # -- overwrite -------------------------------------------------------------------------------------------------
        if (self.root is not None or self.restart_on_failure) and server.status == "ACTIVE":
            ctx.step("stop", f"Stopping {server.name}")
            tenant.compute.stop_server(self.server_id)
            self.stopped = True
            wait_server(ctx.cloud, self.server_id, "SHUTOFF", timeout=ctx.timeouts.server,
                        what=f"Server {self.server_id} ({server.name})", cancel=ctx.cancel)
        for overwrite in self.overwrites:
            detach_from_server(ctx, tenant, overwrite)
            take_safety_snapshot(ctx, tenant, self.resources, overwrite)
            write_in_place(ctx, self.resources, repository, restore_point, overwrite)
            reattach(ctx, tenant, overwrite)
        if self.root is not None:
            self._rebuild(tenant, server.name)
        if self.stopped:
            ctx.step("start", f"Starting {server.name} again")
            self._start(tenant, server.name)
            self.stopped = False
        if self.image_id and self.image_booted:
            self._keep_image(tenant, server.name, restore_point.id[:8])
        elif self.image_id:
            self.resources.delete_image(self.image_id)  # the boot volume holds its data now: Nova needs it no more
        for overwrite in self.overwrites:
            if overwrite.snapshot_id:
                self.resources.delete_snapshot(overwrite.snapshot_id)
        ctx.log.add("done", f"{server.name} ({self.server_id}) reverted in place to {restore_point.id}")
        volumes = [{"volume_id": o.key, "method": "overwrite", "device": o.device, "bytes_written": o.bytes_written}
                   for o in self.overwrites]
        if self.root is not None:
            volumes.insert(0, {"volume_id": self.root.key, "method": "rebuild", "device": self.root.device,
                               "bytes_written": self.root.size})
        final = ctx.cloud.compute.get_server(self.server_id)
        return {"restore_point_id": restore_point.id, "instance_id": self.server_id, "volumes": volumes,
                "server_status": final.status, "bytes_written": sum(v["bytes_written"] for v in volumes)}

    # -- the boot volume ---------------------------------------------------------------------------------------------

    def _root_image(self, tenant, repository, restore_point) -> None:
        """The backed-up boot disk as a temporary private image of the project: written into a temporary volume,
        uploaded by Cinder (``os-volume_upload_image``), the volume deleted at once."""
        ctx, root = self.ctx, self.root
        if self.image_booted:
            zone = self.request.availability_zone or ctx.proxy.availability_zone
            plan = plan_volume(restore_point, root.key, zone, None)
            plan.label = "root disk of the restore point"
        else:
            volume = ctx.cloud.block_storage.get_volume(root.key)
            plan = plan_volume(restore_point, root.key, volume.availability_zone, volume.volume_type)
            plan.label = f"boot disk of the restore point ({root.key})"
        self.root_plan = plan
        create_volumes(ctx, tenant, self.resources, [plan])
        write_volume(ctx, self.resources, repository, restore_point, plan)
        ctx.step("image", f"Uploading the boot disk of the restore point to Glance ({root.size} bytes)")
        upload = tenant.block_storage.upload_volume_to_image(
            plan.volume_id, temporary_name(ctx.job_id, "revert-root"), force=False, disk_format="raw",
            container_format="bare", visibility="private")
        self.image_id = upload["image_id"]
        self.resources.images.append(self.image_id)
        try:  # the job tag, as on every temporary resource; and the image properties the boot volume had
            tenant.image.update_image(self.image_id, **temporary_metadata(ctx.job_id),
                                      **{str(k): str(v) for k, v in plan.image_metadata.items()})
        except CloudError as error:
            ctx.log.warning("image", f"could not set the properties of image {self.image_id}: {error}")
        wait_image(tenant, self.image_id, timeout=ctx.timeouts.image,
                   what=f"Image {self.image_id} (the boot disk of {restore_point.id})", cancel=ctx.cancel)
        # The upload reads the volume to its end before the image goes active; the volume returns to 'available'.
        wait_volume(ctx.cloud, plan.volume_id, "available", timeout=ctx.timeouts.image,
                    what=f"Volume {plan.volume_id} (uploaded to image {self.image_id})", cancel=ctx.cancel)
        self.resources.delete_volume(plan.volume_id)
        ctx.progress.finish_volume(root.size, 0)

    def _rebuild(self, tenant, name: str) -> None:
        ctx, root = self.ctx, self.root
        ctx.step("rebuild", f"Rebuilding {name} from the restore point's root disk" if self.image_booted else
                 f"Rebuilding {name} from the restore point's boot disk (Nova reimages boot volume {root.key} in "
                 "place)")
        self._drop_root_snapshots()
        root.writing = True
        self.rebuilding = True
        rebuild_server(tenant, self.server_id, self.image_id)
        server = wait_for(lambda: ctx.cloud.compute.get_server(self.server_id),
                          done=lambda s: s.status in REVERTIBLE_STATUSES and not s.task_state,
                          failed=lambda s: f"Nova says: {(s.fault or {}).get('message') or 'no fault message'}"
                          if s.status == "ERROR" else None,
                          status_of=lambda s: f"{s.status}/{s.task_state or '-'}", what=f"Server {self.server_id}",
                          where=" rebuilding", timeout=ctx.timeouts.server + ctx.timeouts.image, cancel=None,
                          resource="server", resource_id=self.server_id, interval=ctx.cloud.poll_interval)
        root.written = True
        self.rebuilt = True
        self._wait_rebuild_action()
        ctx.progress.finish_volume(root.size, root.size)
        ctx.log.add("rebuild", f"{name} rebuilt from image {self.image_id}"
                               + ("" if self.image_booted else f", boot volume {root.key} reimaged")
                               + f"; the server is {server.status}")

    def _wait_rebuild_action(self) -> None:
        """Until Nova's rebuild action has ended on the compute host, not only its server status. A server stopped
        before the rebuild is shown SHUTOFF while nova-compute still finishes the rebuild (it stops the server
        again and saves it once more): a start sent in that moment is lost, and the server stays SHUTOFF."""
        ctx = self.ctx
        actions = [a for a in ctx.cloud.compute.server_actions(self.server_id) if a.action == "rebuild"]
        if not actions:
            return
        request_id = max(actions, key=lambda a: a.start_time or "").request_id

        def unfinished(action) -> str:
            events = action.events or []
            open_events = [e["event"] for e in events if not e["finish_time"]]
            return ", ".join(open_events) if open_events or events else "no events yet"

        try:
            wait_for(lambda: ctx.cloud.compute.get_server_action(request_id, self.server_id),
                     done=lambda a: bool(a.events) and not any(not e["finish_time"] for e in a.events),
                     status_of=unfinished, what=f"The rebuild of server {self.server_id} (request {request_id})",
                     timeout=ctx.timeouts.rebuild_settle, resource="server",
                     resource_id=self.server_id, interval=ctx.cloud.poll_interval)
        except ResourceTimeout as error:  # the disks are written: the start below sees to the rest
            ctx.log.warning("rebuild", f"{error}; going on")

    def _start(self, tenant, name: str, cancel=None) -> None:
        """Start the server, and again should Nova lose the start (the compute host still finishing the rebuild's
        own stop): a server SHUTOFF with no task a while after the start was not started. ``cancel``: the job's
        (default), or ``False`` after a failure, when a cancelled job must still start what it stopped."""
        ctx = self.ctx
        cancel = ctx.cancel if cancel is None else (cancel or None)
        deadline = time.monotonic() + ctx.timeouts.server
        attempt = 0
        while True:
            attempt += 1
            tenant.compute.start_server(self.server_id)
            try:
                wait_server(ctx.cloud, self.server_id, "ACTIVE",
                            timeout=max(1.0, min(ctx.timeouts.start_attempt, deadline - time.monotonic())),
                            what=f"Server {self.server_id} ({name})", cancel=cancel)
                return
            except ResourceTimeout:
                current = ctx.cloud.compute.get_server(self.server_id)
                if time.monotonic() >= deadline or current.status != "SHUTOFF" or current.task_state:
                    raise
                ctx.log.warning("start", f"{name} is still SHUTOFF after start #{attempt}; starting it again")

    def _keep_image(self, tenant, name: str, short_id: str) -> None:
        """An image-booted server refers to the image it was rebuilt from: it stays, named for what it is, the job
        tag dropped (openstacksdk patches the difference: a property left out is removed)."""
        image = tenant.image.get_image(self.image_id)
        kept = {k: v for k, v in (image.properties or {}).items() if k != TEMPORARY_TAG}
        tenant.image.update_image(image, name=f"{name}-reverted-{short_id}",
                                  properties={**kept, "storage_backup_reverted_from": short_id})
        self.resources.keep("images", self.image_id)
        self.ctx.log.add("image", f"image {self.image_id} ({name}-reverted-{short_id}) stays: {name} boots from it")

    def _drop_root_snapshots(self) -> None:
        """Cinder reimages a volume only without snapshots on RBD (its driver replaces the image). A changed-block
        base of the boot volume is the product's own and describes a content the reimage discards: it goes (the next
        backup of the volume reads it whole). Any other snapshot is the tenant's: it stays, and is named in case the
        rebuild fails because of it."""
        ctx, root = self.ctx, self.root
        if self.image_booted:
            return
        for snapshot in ctx.cloud.block_storage.snapshots(details=True, all_projects=True, volume_id=root.key):
            if snapshot.volume_id != root.key:
                continue
            if base_of(snapshot) and not snapshot.group_snapshot_id:
                ctx.log.add("rebuild", f"removing the changed-block base {snapshot.id} of boot {root.label}: the "
                                       "next backup reads the volume whole")
                self.resources.remover.delete_snapshot(snapshot.id)
            else:
                ctx.log.warning("rebuild", f"boot {root.label} has snapshot {snapshot.id}; a Cinder backend that "
                                           "cannot reimage a volume with snapshots (RBD) fails the rebuild")

    # -- failure -----------------------------------------------------------------------------------------------------

    def _give_back(self) -> list[str]:
        """After a failure: every data volume detached from the server goes back to it. The server stays as it is
        (stopped, if the job stopped it): its volumes may hold a partial revert."""
        problems = []
        tenant = self.ctx.cloud.for_project(self.request.project_id)
        for overwrite in self.overwrites:
            try:
                reattach(self.ctx, tenant, overwrite)
            except Exception as error:  # keep going: the other volumes deserve their reattach too
                problems.append(f"reattaching {overwrite.label} to server {self.server_id}: {error}")
                self.ctx.log.warning("cleanup", problems[-1])
        return problems

    def _start_again(self) -> list[str]:
        """After a failed single-volume revert: the server it stopped runs again, whatever its volume holds (the
        error says that); a start that fails is a cleanup problem and the state says to start it."""
        tenant = self.ctx.cloud.for_project(self.request.project_id)
        try:
            self.ctx.log.add("start", f"Starting server {self.server_id} again after the failure")
            self._start(tenant, self.server_id, cancel=False)
        except Exception as error:  # reported: the original failure stays the job's error
            self.start_error = f"{type(error).__name__}: {error}"
            self.ctx.log.warning("cleanup", f"starting server {self.server_id} again: {self.start_error}")
            return [f"starting server {self.server_id} again: {self.start_error}"]
        self.stopped, self.restarted = False, True
        return []

    def _state(self) -> str:
        parts = [overwrite.state() for overwrite in self.overwrites]
        if self.root is not None:
            if self.rebuilt:
                parts.insert(0, f"the boot disk ({self.root.label}) holds the restore point's data")
            elif self.rebuilding:
                parts.insert(0, f"the boot disk ({self.root.label}) was being rewritten by Nova's rebuild: see "
                                "the server's status and fault")
            else:
                parts.insert(0, f"the boot disk ({self.root.label}) is unchanged")
        if self.restarted:
            parts.append(f"server {self.server_id} was stopped by the revert and is started again")
        elif self.stopped and self.start_error:
            parts.append(f"server {self.server_id} was stopped by the revert and could not be started again "
                         f"({self.start_error}): start it")
        elif self.stopped:
            parts.append(f"server {self.server_id} was stopped by the revert and is left stopped")
        elif self.restart_on_failure and self.overwrites:
            parts.append(f"server {self.server_id} was not stopped by the revert (it was {self.server_status})")
        return "; ".join(parts)


def _add_state_report(error: BaseException, state: str) -> None:
    if not state:
        return
    note = f". State after the failed revert: {state}"
    if error.args and isinstance(error.args[0], str):
        error.args = (error.args[0] + note, *error.args[1:])
        if hasattr(error, "message") and isinstance(error.message, str):
            error.message = error.message + note
    else:
        error.add_note(note)


def revert(ctx: JobContext, request: RevertRequest) -> dict:
    return Revert(ctx, request).run()
