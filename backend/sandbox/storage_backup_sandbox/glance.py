# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Glance v2 of the embedded cloud: the image model and the contract other services use.

Image records keep Glance's attributes plus ``properties`` (the free-form ones, shown as top-level keys as Glance
does). Image data is a file at ``state.blocks.image_path(id)``, copied sparse, with Glance's checksums: ``checksum``
(md5) and the multihash ``os_hash_algo`` = sha512 / ``os_hash_value``.

Contract (see /work/brief/BRIEF.md), used by nova.py (``createImage``) and cinder (``os-volume_upload_image``):
``create_image`` and ``store_image_data``. The REST API is in ``glance_api`` (imported at the bottom).
"""
from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import time
from http import HTTPStatus

from werkzeug.wrappers import Response

from storage_backup_sandbox.blockdev import sparse_copy
from storage_backup_sandbox.http import ApiError, Call, Service, glance_error_body
from storage_backup_sandbox.state import State, new_id


def webob_error(call: Call, error: ApiError) -> Response:
    """An error the way Glance's webob renders it: HTML, JSON or plain text, by the request's Accept header.

    python-glanceclient parses all three (and expects a JSON error to be webob's flat one only when it asked for
    JSON), so handler errors go out like this rather than in the Nova style of the other services."""
    phrase = HTTPStatus(error.status).phrase
    status_line = f"{error.status} {phrase}"
    accept = call.request.headers.get("Accept", "")
    headers = dict(error.headers)
    if "html" in accept:
        body = (f"<html>\n <head>\n  <title>{status_line}</title>\n </head>\n <body>\n  <h1>{status_line}</h1>\n"
                f"  {html.escape(error.message)}<br /><br />\n\n\n\n </body>\n</html>")
        return Response(body, status=error.status, headers=headers, content_type="text/html; charset=UTF-8")
    if "application/json" in accept:
        return Response(json.dumps(glance_error_body(error)), status=error.status, headers=headers,
                        content_type="application/json")
    return Response(f"{status_line}\n\n{error.message}\n\n   ", status=error.status, headers=headers,
                    content_type="text/plain; charset=UTF-8")


class GlanceService(Service):
    """A ``Service`` whose handlers' errors are rendered as Glance (webob) renders them."""

    def route(self, path: str, methods="GET", public: bool = False, locked: bool = True):
        register = super().route(path, methods, public=public, locked=locked)

        def wrap(fn):
            @functools.wraps(fn)
            def handler(call: Call, **url_args):
                try:
                    return fn(call, **url_args)
                except ApiError as error:
                    return webob_error(call, error)

            register(handler)
            return fn

        return wrap


image = GlanceService("image", "/image", error_body=glance_error_body)

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")
# Attributes Glance owns; anything else a client sets is an extra property.
CORE_ATTRIBUTES = ("id", "name", "status", "visibility", "protected", "os_hidden", "disk_format", "container_format",
                   "min_disk", "min_ram", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
                   "owner", "created_at", "updated_at", "tags")
READ_ONLY_ATTRIBUTES = ("id", "status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
                        "created_at", "updated_at", "self", "file", "schema", "direct_url", "locations", "stores")
RESERVED_PROPERTIES = ("owner", "deleted", "deleted_at", "location", "direct_url", "self", "file", "schema")
HASH_CHUNK = 8 * 1024 * 1024


def isotime(ts: float | None = None) -> str:
    """Glance's timestamps: ``2024-03-01T10:00:00Z`` (oslo ``timeutils.isotime``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


def create_image(state: State, *, owner: str | None, name: str | None, disk_format: str | None = "raw",
                 container_format: str | None = "bare", visibility: str = "private", min_disk: int = 0,
                 min_ram: int = 0, properties: dict | None = None, image_id: str | None = None,
                 protected: bool = False, tags: list[str] | None = None, os_hidden: bool = False) -> dict:
    """A new image record in ``queued`` (no data yet). ``properties``: extra properties (string values).

    Raises ``ApiError(409)`` when ``image_id`` is taken, 400 for an unknown format or visibility."""
    if image_id and state.get("images", image_id):
        raise ApiError(409, f"Image with identifier {image_id} already exists!")
    if visibility not in VISIBILITIES:
        raise ApiError(400, f"Invalid visibility value: {visibility}")
    if disk_format is not None and disk_format not in DISK_FORMATS:
        raise ApiError(400, f"Invalid value '{disk_format}' for parameter 'disk_format': "
                            f"Value must be one of {', '.join(DISK_FORMATS)}")
    if container_format is not None and container_format not in CONTAINER_FORMATS:
        raise ApiError(400, f"Invalid value '{container_format}' for parameter 'container_format': "
                            f"Value must be one of {', '.join(CONTAINER_FORMATS)}")
    timestamp = isotime()
    record = {
        "id": image_id or new_id(), "name": name, "status": "queued", "visibility": visibility,
        "protected": bool(protected), "os_hidden": bool(os_hidden), "disk_format": disk_format,
        "container_format": container_format, "min_disk": int(min_disk or 0), "min_ram": int(min_ram or 0),
        "size": None, "virtual_size": None, "checksum": None, "os_hash_algo": None, "os_hash_value": None,
        "owner": owner, "created_at": timestamp, "updated_at": timestamp, "tags": list(tags or []),
        "properties": {str(k): v if isinstance(v, str) else str(v) for k, v in (properties or {}).items()},
    }
    return state.put("images", record)


def store_image_data(state: State, image_id: str, source_path: str) -> dict:
    """Copy ``source_path`` into the image (sparse) and make it ``active`` with Glance's checksums.

    Reads the whole file once for md5 + sha512, so call it from a transition, not under the state lock, when the
    file is big. Raises ``ApiError(404)`` for an unknown image, 409 when the image already has data."""
    with state.lock:
        record = state.get("images", image_id)
        if record is None:
            raise ApiError(404, f"No image found with ID {image_id}")
        if record["status"] not in ("queued", "saving", "importing"):
            raise ApiError(409, "Image status transition from {} to saving is not allowed".format(record["status"]))
        record["status"] = "saving"
        record["updated_at"] = isotime()
        state.touch()
    target = state.blocks.image_path(image_id)
    partial = target + ".partial"
    try:
        sparse_copy(source_path, partial)
        size, md5, sha512 = hash_file(partial)
        os.replace(partial, target)
    except OSError:
        with state.lock:
            record = state.get("images", image_id)
            if record is not None:
                record["status"] = "killed"
                state.touch()
        raise
    return finish_upload(state, image_id, size, md5, sha512)


def finish_upload(state: State, image_id: str, size: int, md5: str, sha512: str) -> dict:
    with state.lock:
        record = state.get("images", image_id)
        if record is None:  # deleted while its data was written
            try:
                os.unlink(state.blocks.image_path(image_id))
            except FileNotFoundError:
                pass
            raise ApiError(404, f"No image found with ID {image_id}")
        record.update({"size": size, "virtual_size": virtual_size(state.blocks.image_path(image_id),
                                                                  record.get("disk_format"), size),
                       "checksum": md5, "os_hash_algo": "sha512", "os_hash_value": sha512, "status": "active",
                       "updated_at": isotime()})
        state.touch()
        return record


def virtual_size(path: str, disk_format: str | None, size: int) -> int | None:
    """What Glance's format inspector reports: the disk size a guest sees (raw: the file; qcow2: its header)."""
    if disk_format in ("raw", "iso"):
        return size
    if disk_format == "qcow2":
        with open(path, "rb") as handle:
            header = handle.read(32)
        if len(header) == 32 and header[:4] == b"QFI\xfb":
            return int.from_bytes(header[24:32], "big")
    return None


def hash_file(path: str) -> tuple[int, str, str]:
    """Size, md5 and sha512 of a file. Holes are hashed from a zero buffer instead of being read."""
    md5, sha512 = hashlib.md5(usedforsecurity=False), hashlib.sha512()
    zeros = bytes(HASH_CHUNK)

    def feed(data) -> None:
        md5.update(data)
        sha512.update(data)

    def feed_zeros(length: int) -> None:
        while length > 0:
            step = min(length, HASH_CHUNK)
            feed(zeros if step == HASH_CHUNK else zeros[:step])
            length -= step

    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        position = 0
        while position < size:
            try:
                data_start = os.lseek(handle.fileno(), position, os.SEEK_DATA)
            except OSError:  # ENXIO: the rest is a hole
                data_start = size
            feed_zeros(data_start - position)
            if data_start >= size:
                break
            data_end = os.lseek(handle.fileno(), data_start, os.SEEK_HOLE)
            handle.seek(data_start)
            remaining = data_end - data_start
            while remaining > 0:
                chunk = handle.read(min(HASH_CHUNK, remaining))
                if not chunk:
                    break
                feed(chunk)
                remaining -= len(chunk)
            position = data_end
    return size, md5.hexdigest(), sha512.hexdigest()


def _member_status(state: State, image_id: str, project_id: str | None) -> str | None:
    member = state.get("image_members", f"{image_id}:{project_id}")
    return member["status"] if member else None


def can_see(state: State, record: dict, project_id: str | None, is_admin: bool = False) -> bool:
    """Glance's visibility rules for showing one image (listing is stricter for shared and community)."""
    if is_admin or record["visibility"] in ("public", "community"):
        return True
    if record["owner"] == project_id:
        return True
    if record["visibility"] == "shared":
        return _member_status(state, record["id"], project_id) is not None
    return False


def visible_image(state: State, image_id: str, project_id: str | None, is_admin: bool = False) -> dict | None:
    record = state.get("images", image_id)
    if record is None or record["status"] == "deleted":
        return None
    return record if can_see(state, record, project_id, is_admin) else None


def volume_image_metadata(record: dict) -> dict:
    """What Cinder copies into ``volume_image_metadata`` of a volume made from this image."""
    metadata = {"image_id": record["id"], "image_name": record.get("name") or "",
                "checksum": record.get("checksum") or "", "container_format": record.get("container_format") or "",
                "disk_format": record.get("disk_format") or "", "min_disk": str(record.get("min_disk") or 0),
                "min_ram": str(record.get("min_ram") or 0), "size": str(record.get("size") or 0)}
    for key, value in record.get("properties", {}).items():
        metadata[key] = value if isinstance(value, str) else str(value)
    return metadata


def seed_base(state: State) -> None:
    """Nothing to seed: images come from the demo seed, from tests and from users."""


# The REST API (routes register on import). Kept last: it imports the model above.
from storage_backup_sandbox import glance_api  # noqa: E402,F401
