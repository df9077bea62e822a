# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Glance (image v2) calls the backup service makes. Glance has no microversions; image properties are top-level
keys of the image body, changed with JSON-patch."""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

from .api import ApiClient
from .errors import NotFound

JSON_PATCH = "application/openstack-images-v2.1-json-patch"
DOWNLOAD_CHUNK = 4 * 1024 * 1024

#: Keys of a Glance image body that are Glance's own, not properties a user or Nova set.
CORE_IMAGE_KEYS = frozenset({
    "id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo", "os_hash_value", "owner", "size",
    "virtual_size", "min_disk", "min_ram", "disk_format", "container_format", "created_at", "updated_at", "tags",
    "self", "file", "schema", "direct_url", "locations", "os_hidden", "stores", "os_glance_failed_import",
    "os_glance_importing_to_stores",
})


def image_properties(image: dict) -> dict:
    """The image's properties: every top-level key that is not one of Glance's core attributes."""
    return {key: value for key, value in image.items() if key not in CORE_IMAGE_KEYS}


class Images(ApiClient):
    service_type = "image"
    service_name = "Glance"

    def get_image(self, image_id: str) -> dict:
        return self.get(f"/v2/images/{image_id}", what=f"Glance could not show image {image_id}")

    def find_image(self, image_id: str) -> dict | None:
        try:
            return self.get_image(image_id)
        except NotFound:
            return None

    def list_images(self, **filters) -> list[dict]:
        params = dict(filters)
        params.setdefault("limit", 200)
        found = []
        while True:
            body = self.get("/v2/images", params=params)
            found.extend(body.get("images") or [])
            next_link = body.get("next")
            if not next_link or not body.get("images"):
                return found
            marker = parse_qs(urlparse(next_link).query).get("marker")
            if not marker or marker[0] == params.get("marker"):
                return found
            params["marker"] = marker[0]

    def create_image(self, *, name: str, disk_format: str = "raw", container_format: str = "bare",
                     visibility: str = "private", min_disk: int = 0, min_ram: int = 0,
                     properties: dict | None = None) -> dict:
        body = {"name": name, "disk_format": disk_format, "container_format": container_format,
                "visibility": visibility, "min_disk": min_disk, "min_ram": min_ram}
        for key, value in (properties or {}).items():
            if key not in CORE_IMAGE_KEYS:
                body[key] = str(value)
        return self.post("/v2/images", body, what=f"Glance refused to create image {name!r}")

    def update_image(self, image_id: str, *, replace: dict | None = None, remove: list[str] | None = None,
                     add: dict | None = None) -> dict:
        """JSON-patch the image: ``replace``/``add`` values by key, ``remove`` keys (missing ones are skipped)."""
        current = self.get_image(image_id)
        operations = []
        for key, value in (replace or {}).items():
            operations.append({"op": "replace" if key in current else "add", "path": f"/{key}", "value": value})
        for key, value in (add or {}).items():
            operations.append({"op": "replace" if key in current else "add", "path": f"/{key}", "value": value})
        for key in remove or []:
            if key in current:
                operations.append({"op": "remove", "path": f"/{key}"})
        if not operations:
            return current
        response = self.request("PATCH", f"/v2/images/{image_id}", data=_json_bytes(operations),
                                headers={"Content-Type": JSON_PATCH}, what=f"Glance refused to update image {image_id}")
        return self._json(response)

    def upload(self, image_id: str, data) -> None:
        """``PUT /v2/images/{id}/file``: ``data`` is bytes, an open binary file, or an iterable of byte strings
        (streamed); the image goes ``saving`` then ``active`` (Glance computes its checksum and hash)."""
        self.request("PUT", f"/v2/images/{image_id}/file", data=data,
                     headers={"Content-Type": "application/octet-stream"},
                     what=f"Glance refused the data of image {image_id}")

    def delete_image(self, image_id: str) -> None:
        self.delete(f"/v2/images/{image_id}", what=f"Glance refused to delete image {image_id}", missing_ok=True)

    def download(self, image_id: str, chunk_size: int = DOWNLOAD_CHUNK) -> Iterator[bytes]:
        """The image's bytes, streamed."""
        response = self.request("GET", f"/v2/images/{image_id}/file", stream=True,
                                what=f"Glance could not send the data of image {image_id}")
        try:
            if response.status_code == 204:
                return
            yield from response.iter_content(chunk_size)
        finally:
            response.close()


def _json_bytes(value) -> bytes:
    import json

    return json.dumps(value).encode()
