# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova (compute v2.1) calls the backup service makes, at microversion 2.89.

Why 2.89: 2.26 puts ``tags`` in the server body, 2.47 the flavor (name, vcpus, ram, disk, extra specs), 2.45 makes
``createImage`` answer the image id in the body, 2.52 accepts ``tags`` on create, 2.79 reports
``delete_on_termination`` per attachment, 2.89 the attachment and BDM UUIDs. 2024.1 serves up to 2.96.
"""
from __future__ import annotations

from .api import ApiClient
from .errors import NotFound

NOVA_MICROVERSION = "2.89"


class Compute(ApiClient):
    service_type = "compute"
    service_name = "Nova"
    microversion = NOVA_MICROVERSION

    # -- servers ------------------------------------------------------------------------------------------------

    def get_server(self, server_id: str) -> dict:
        return self.get(f"/servers/{server_id}", what=f"Nova could not show server {server_id}")["server"]

    def find_server(self, server_id: str) -> dict | None:
        try:
            return self.get_server(server_id)
        except NotFound:
            return None

    def list_servers(self, *, all_projects: bool = False, **filters) -> list[dict]:
        params = dict(filters)
        if all_projects:
            params["all_tenants"] = "True"
        return list(self.paginate("/servers/detail", "servers", params))

    def create_server(self, server: dict, scheduler_hints: dict | None = None) -> dict:
        """``POST /servers``; returns the (short) server body of the 202 answer: ``id``, ``links``."""
        body: dict = {"server": server}
        if scheduler_hints:
            body["os:scheduler_hints"] = scheduler_hints
        return self.post("/servers", body, what=f"Nova refused to create server {server.get('name')!r}")["server"]

    def delete_server(self, server_id: str) -> None:
        self.delete(f"/servers/{server_id}", what=f"Nova refused to delete server {server_id}", missing_ok=True)

    def delete_server_metadata(self, server_id: str, key: str) -> None:
        self.delete(f"/servers/{server_id}/metadata/{key}", missing_ok=True,
                    what=f"Nova refused to remove metadata {key} of server {server_id}")

    def create_image(self, server_id: str, name: str, metadata: dict | None = None) -> str:
        """``createImage``: a snapshot of the server into Glance; returns the new image's id."""
        response = self.request("POST", f"/servers/{server_id}/action",
                                json={"createImage": {"name": name, "metadata": metadata or {}}},
                                what=f"Nova refused to snapshot server {server_id} (createImage)")
        body = self._json(response)
        if body.get("image_id"):
            return body["image_id"]
        location = response.headers.get("Location", "")  # before 2.45
        return location.rstrip("/").rsplit("/", 1)[-1]

    # -- volume attachments -------------------------------------------------------------------------------------

    def volume_attachments(self, server_id: str) -> list[dict]:
        return self.get(f"/servers/{server_id}/os-volume_attachments",
                        what=f"Nova could not list the volumes of server {server_id}")["volumeAttachments"]

    def attach_volume(self, server_id: str, volume_id: str, *, tag: str | None = None,
                      delete_on_termination: bool | None = None) -> dict:
        attachment: dict = {"volumeId": volume_id}
        if tag:
            attachment["tag"] = tag
        if delete_on_termination is not None:
            attachment["delete_on_termination"] = delete_on_termination
        return self.post(f"/servers/{server_id}/os-volume_attachments", {"volumeAttachment": attachment},
                         what=f"Nova refused to attach volume {volume_id} to server {server_id}")["volumeAttachment"]

    def detach_volume(self, server_id: str, volume_id: str) -> None:
        self.delete(f"/servers/{server_id}/os-volume_attachments/{volume_id}",
                    what=f"Nova refused to detach volume {volume_id} from server {server_id}")

    # -- flavors, key pairs, zones ------------------------------------------------------------------------------

    def get_flavor(self, flavor_id: str) -> dict:
        return self.get(f"/flavors/{flavor_id}", what=f"Nova has no flavor {flavor_id}")["flavor"]

    def find_flavor(self, flavor_id: str) -> dict | None:
        try:
            return self.get_flavor(flavor_id)
        except NotFound:
            return None

    def list_flavors(self, include_private: bool = True) -> list[dict]:
        # is_public=None: an admin sees public and private flavors; others see what they have access to.
        params = {"is_public": "None"} if include_private else {}
        return list(self.paginate("/flavors/detail", "flavors", params))

    def get_keypair(self, name: str, user_id: str | None = None) -> dict:
        params = {"user_id": user_id} if user_id else None
        return self.get(f"/os-keypairs/{name}", params=params,
                        what=f"Nova has no key pair {name!r}" + (f" of user {user_id}" if user_id else ""))["keypair"]

    def find_keypair(self, name: str, user_id: str | None = None) -> dict | None:
        try:
            return self.get_keypair(name, user_id)
        except NotFound:
            return None

    def create_keypair(self, name: str, public_key: str, key_type: str = "ssh", user_id: str | None = None) -> dict:
        keypair = {"name": name, "public_key": public_key, "type": key_type or "ssh"}
        if user_id:
            keypair["user_id"] = user_id
        return self.post("/os-keypairs", {"keypair": keypair},
                         what=f"Nova refused to import key pair {name!r}")["keypair"]

    def delete_keypair(self, name: str, user_id: str | None = None) -> None:
        path = f"/os-keypairs/{name}" + (f"?user_id={user_id}" if user_id else "")
        self.delete(path, what=f"Nova refused to delete key pair {name!r}", missing_ok=True)

    def availability_zones(self) -> list[str]:
        zones = self.get("/os-availability-zone")["availabilityZoneInfo"]
        return [zone["zoneName"] for zone in zones if (zone.get("zoneState") or {}).get("available", True)]
