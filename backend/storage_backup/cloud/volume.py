# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder (block storage v3) calls the backup service makes, at microversion 3.66.

Why 3.66: 3.13 shows ``group_id`` on volumes, 3.14 group snapshots and ``group_snapshot_id`` on snapshots, 3.22
metadata filters on snapshots, 3.27+ the attachments API, 3.42 extending in-use volumes, 3.66 snapshots of in-use
volumes without ``force`` (we still send ``force: true``, accepted at every version). 2024.1 serves up to 3.71.
Admin-only actions (``os-force_delete``, ``os-reset_status``) are used by cleanup, never by the happy path.
"""
from __future__ import annotations

from .api import ApiClient
from .errors import NotFound

CINDER_MICROVERSION = "3.66"


class BlockStorage(ApiClient):
    service_type = "block-storage"
    service_name = "Cinder"
    microversion = CINDER_MICROVERSION

    # -- volumes ------------------------------------------------------------------------------------------------

    def get_volume(self, volume_id: str) -> dict:
        return self.get(f"/volumes/{volume_id}", what=f"Cinder could not show volume {volume_id}")["volume"]

    def find_volume(self, volume_id: str) -> dict | None:
        try:
            return self.get_volume(volume_id)
        except NotFound:
            return None

    def list_volumes(self, *, all_projects: bool = False, **filters) -> list[dict]:
        params = dict(filters)
        if all_projects:
            params["all_tenants"] = "True"
        return list(self.paginate("/volumes/detail", "volumes", params))

    def create_volume(self, *, size: int, name: str | None = None, description: str | None = None,
                      availability_zone: str | None = None, volume_type: str | None = None,
                      snapshot_id: str | None = None, source_volid: str | None = None, image_id: str | None = None,
                      metadata: dict | None = None) -> dict:
        volume: dict = {"size": size}
        for key, value in (("name", name), ("description", description), ("availability_zone", availability_zone),
                           ("volume_type", volume_type), ("snapshot_id", snapshot_id),
                           ("source_volid", source_volid), ("imageRef", image_id)):
            if value is not None:
                volume[key] = value
        if metadata:
            volume["metadata"] = {str(k): str(v) for k, v in metadata.items()}
        source = (f" from snapshot {snapshot_id}" if snapshot_id else f" from image {image_id}" if image_id
                  else f" from volume {source_volid}" if source_volid else "")
        return self.post("/volumes", {"volume": volume},
                         what=f"Cinder refused to create a {size} GiB volume{source} in "
                              f"{availability_zone or 'the default zone'}")["volume"]

    def update_volume(self, volume_id: str, **changes) -> dict:
        return self.put(f"/volumes/{volume_id}", {"volume": changes},
                        what=f"Cinder refused to update volume {volume_id}")["volume"]

    def delete_volume(self, volume_id: str) -> None:
        self.delete(f"/volumes/{volume_id}", what=f"Cinder refused to delete volume {volume_id}", missing_ok=True)

    def volume_action(self, volume_id: str, action: str, args: dict | None = None, what: str | None = None) -> dict:
        return self.post(f"/volumes/{volume_id}/action", {action: args if args is not None else {}},
                         what=what or f"Cinder refused {action} on volume {volume_id}")

    def force_delete_volume(self, volume_id: str) -> None:
        """Admin: delete whatever the status (not while attached or with snapshots)."""
        self.volume_action(volume_id, "os-force_delete", {})

    def reset_volume_status(self, volume_id: str, status: str, attach_status: str | None = None) -> None:
        """Admin: set the status Cinder records (``attach_status="detached"`` also drops stale attachments)."""
        args = {"status": status}
        if attach_status:
            args["attach_status"] = attach_status
        self.volume_action(volume_id, "os-reset_status", args)

    def set_bootable(self, volume_id: str, bootable: bool) -> None:
        self.volume_action(volume_id, "os-set_bootable", {"bootable": bootable})

    def set_image_metadata(self, volume_id: str, metadata: dict) -> None:
        self.volume_action(volume_id, "os-set_image_metadata", {"metadata": {str(k): str(v) for k, v in
                                                                             metadata.items()}})

    def upload_to_image(self, volume_id: str, image_name: str, *, disk_format: str = "raw",
                        container_format: str = "bare", visibility: str = "private", force: bool = False) -> str:
        """``os-volume_upload_image``: Cinder copies the volume into a new Glance image; returns its id."""
        body = self.volume_action(volume_id, "os-volume_upload_image", {
            "image_name": image_name, "disk_format": disk_format, "container_format": container_format,
            "visibility": visibility, "force": force}, what=f"Cinder refused to upload volume {volume_id} to Glance")
        return body["os-volume_upload_image"]["image_id"]

    def delete_volume_metadata(self, volume_id: str, key: str) -> None:
        self.delete(f"/volumes/{volume_id}/metadata/{key}", missing_ok=True,
                    what=f"Cinder refused to remove metadata {key} of volume {volume_id}")

    def list_volume_types(self) -> list[dict]:
        return self.get("/types")["volume_types"]

    def attachment_records(self, volume_id: str) -> list[dict]:
        """Cinder's attachment records of a volume (3.27+), pending ones included (``status`` ``attaching``,
        ``reserved``), each with the ``instance`` it is for; a volume's own view lists only completed ones."""
        return self.get("/attachments", params={"volume_id": volume_id, "all_tenants": "True"},
                        what=f"Cinder could not list the attachments of volume {volume_id}")["attachments"]

    # -- snapshots ----------------------------------------------------------------------------------------------

    def get_snapshot(self, snapshot_id: str) -> dict:
        return self.get(f"/snapshots/{snapshot_id}", what=f"Cinder could not show snapshot {snapshot_id}")["snapshot"]

    def list_snapshots(self, *, all_projects: bool = False, **filters) -> list[dict]:
        params = dict(filters)
        if all_projects:
            params["all_tenants"] = "True"
        return list(self.paginate("/snapshots/detail", "snapshots", params))

    def create_snapshot(self, volume_id: str, *, name: str, description: str | None = None, force: bool = True,
                        metadata: dict | None = None) -> dict:
        snapshot = {"volume_id": volume_id, "name": name, "force": force}
        if description:
            snapshot["description"] = description
        if metadata:
            snapshot["metadata"] = {str(k): str(v) for k, v in metadata.items()}
        return self.post("/snapshots", {"snapshot": snapshot},
                         what=f"Cinder refused to snapshot volume {volume_id}")["snapshot"]

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.delete(f"/snapshots/{snapshot_id}", what=f"Cinder refused to delete snapshot {snapshot_id}",
                    missing_ok=True)

    def force_delete_snapshot(self, snapshot_id: str) -> None:
        self.post(f"/snapshots/{snapshot_id}/action", {"os-force_delete": {}},
                  what=f"Cinder refused to force-delete snapshot {snapshot_id}")

    # -- groups -------------------------------------------------------------------------------------------------

    def get_group(self, group_id: str) -> dict:
        return self.get(f"/groups/{group_id}", what=f"Cinder could not show group {group_id}")["group"]

    def get_group_type(self, group_type_id: str) -> dict:
        return self.get(f"/group_types/{group_type_id}",
                        what=f"Cinder could not show group type {group_type_id}")["group_type"]

    def create_group_snapshot(self, group_id: str, *, name: str, description: str | None = None) -> dict:
        body = {"group_snapshot": {"group_id": group_id, "name": name, "description": description}}
        return self.post("/group_snapshots", body,
                         what=f"Cinder refused to snapshot group {group_id}")["group_snapshot"]

    def list_group_snapshots(self, *, all_projects: bool = False) -> list[dict]:
        params = {"all_tenants": "True"} if all_projects else None
        return list(self.paginate("/group_snapshots/detail", "group_snapshots", params))

    def get_group_snapshot(self, group_snapshot_id: str) -> dict:
        return self.get(f"/group_snapshots/{group_snapshot_id}",
                        what=f"Cinder could not show group snapshot {group_snapshot_id}")["group_snapshot"]

    def delete_group_snapshot(self, group_snapshot_id: str) -> None:
        self.delete(f"/group_snapshots/{group_snapshot_id}", missing_ok=True,
                    what=f"Cinder refused to delete group snapshot {group_snapshot_id}")

    def group_snapshot_members(self, group_snapshot_id: str) -> list[dict]:
        snapshots = self.list_snapshots(all_projects=True, group_snapshot_id=group_snapshot_id)
        return [s for s in snapshots if s.get("group_snapshot_id") == group_snapshot_id]
