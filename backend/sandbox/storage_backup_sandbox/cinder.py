# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder v3 of the embedded cloud (microversions 3.0-3.71): the model and the contract other services use.

This module holds the block-storage *model*: volume, snapshot and attachment records, quotas, and the asynchronous
transitions that move bytes (``creating`` -> ``available`` and friends). The REST API lives in the ``cinder_*``
modules, imported at the bottom so that their routes register with ``volume``.

The functions in the "contract" section are what the compute side (``nova.py``) calls, with the state lock held:
``create_volume``, ``reserve_attach``, ``attach``, ``begin_detach``, ``detach``, ``delete_volume``,
``create_snapshot``. They raise ``ApiError`` exactly as the REST API would answer, so Nova can pass the error on.

Data is real and lives in ``state.blocks``, asked for by volume and snapshot id: with the file store
(``blockdev.BlockStore``, the default) a volume is a sparse file; a snapshot is a sparse copy taken when the
snapshot's ``creating`` transition runs (as a real backend takes it when its driver runs, not when the API call
returns); a volume made from a snapshot, a volume or an image is a sparse copy of that source. With the RBD store
(``rbd_store.RbdBlockStore``) they are RBD images, snapshots and clones named as Cinder's RBD driver names them.
Copies happen in transitions, without the state lock held, so a big copy never stops the cloud.
"""
from __future__ import annotations

import copy
import logging
import time

from storage_backup_sandbox import cinder_qcow2, faults
from storage_backup_sandbox.blockdev import GIB, SnapshotBusy
from storage_backup_sandbox.http import ApiError, Microversions, Service, bad_request, not_found
from storage_backup_sandbox.state import State, new_id, transition, utcnow_iso

LOG = logging.getLogger(__name__)

MIN_VERSION = (3, 0)
MAX_VERSION = (3, 71)
volume = Service("volume", "/volume", microversions=Microversions("volume", MIN_VERSION, MAX_VERSION))

AVAILABILITY_ZONES = ("nova", "az2")
BACKEND_NAME = "ceph"  # volume_backend_name of every type: the sandbox imitates an RBD backend per AZ

# Volume types every sandbox has: (fixed id, name, description, extra specs). Ids are fixed so that they survive
# a re-seed and so tests and the demo can name them.
DEFAULT_TYPE_ID = "0c2a34f2-4c4b-4d8e-9d0a-5a7a4b9b0001"
VOLUME_TYPES = (
    (DEFAULT_TYPE_ID, "__DEFAULT__", "Default Volume Type", {}),
    ("0c2a34f2-4c4b-4d8e-9d0a-5a7a4b9b0002", "standard", "Replicated HDD pool",
     {"volume_backend_name": BACKEND_NAME}),
    ("0c2a34f2-4c4b-4d8e-9d0a-5a7a4b9b0003", "ssd", "Replicated SSD pool",
     {"volume_backend_name": BACKEND_NAME, "RESKEY:availability_zones": "nova,az2"}),
)
DEFAULT_GROUP_TYPE_ID = "5e1ad0a3-6f0a-4b58-8d4e-1a3c5b7e0001"
GROUP_TYPES = (
    (DEFAULT_GROUP_TYPE_ID, "default_group_type", "Default group type", {}),
    ("5e1ad0a3-6f0a-4b58-8d4e-1a3c5b7e0002", "consistent_snapshots", "Group snapshots are crash-consistent",
     {"consistent_group_snapshot_enabled": "<is> True"}),
)

# Cinder's default quotas (cinder.conf [DEFAULT] quota_*), per project.
DEFAULT_QUOTAS = {"volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10, "backup_gigabytes": 1000,
                  "groups": 10, "per_volume_gigabytes": -1}
PER_TYPE_RESOURCES = ("volumes", "gigabytes", "snapshots")
QUOTA_DEFAULTS_KEY = "__defaults__"  # the quota_sets record holding the default quota class

# Statuses a volume may be deleted in (cinder.volume.api.API.delete, without force).
DELETABLE_STATUSES = ("available", "error", "error_restoring", "error_extending", "error_managing")


# ---------------------------------------------------------------------------------------------------------------
# small helpers


def now() -> str:
    return utcnow_iso()


def host_for(availability_zone: str) -> str:
    """``os-vol-host-attr:host`` of a volume: one cinder-volume service per AZ, one RBD pool behind it."""
    return f"cinder-volume-{availability_zone}@{BACKEND_NAME}#{BACKEND_NAME}"


def name_id(record: dict) -> str:
    """The id a volume's data is named after (Cinder's ``_name_id``): its own id unless a migration changed it."""
    return record.get("name_id") or record["id"]


def get_volume(state: State, volume_id: str) -> dict:
    record = state.get("volumes", volume_id)
    if record is None:
        raise not_found("Volume", volume_id)
    return record


def get_snapshot(state: State, snapshot_id: str) -> dict:
    record = state.get("snapshots", snapshot_id)
    if record is None:
        raise not_found("Snapshot", snapshot_id)
    return record


def volume_type_by_name_or_id(state: State, ident: str | None) -> dict:
    if not ident:
        return state.get("volume_types", default_type_id(state)) or state.get("volume_types", DEFAULT_TYPE_ID)
    record = state.get("volume_types", ident)
    if record is not None:
        return record
    for candidate in state.table("volume_types").values():
        if candidate["name"] == ident:
            return candidate
    raise ApiError(404, f"Volume type with name {ident} could not be found.")


def default_type_id(state: State) -> str:
    return state.meta.get("cinder_default_type_id") or DEFAULT_TYPE_ID


def _touch(record: dict) -> None:
    record["updated_at"] = now()


def _set_status(state: State, record: dict, status: str, **changes) -> None:
    record["status"] = status
    record.update(changes)
    _touch(record)
    state.touch()


def user_message(state: State, project_id: str, resource_type: str, resource_id: str, event_id: str,
                 message: str, action: str) -> dict:
    """A user-visible message (``GET /v3/{project}/messages``), as the volume manager leaves on failures."""
    record = {"id": new_id(), "project_id": project_id, "resource_type": resource_type,
              "resource_uuid": resource_id, "event_id": event_id, "user_message": message,
              "message_level": "ERROR", "request_id": "req-" + new_id(), "created_at": now(),
              "guaranteed_until": utcnow_iso(time.time() + 30 * 86400), "action": action}
    return state.put("messages", record)


# ---------------------------------------------------------------------------------------------------------------
# quotas


def quota_limits(state: State, project_id: str) -> dict[str, int]:
    """Effective limits of a project: defaults (incl. per-type ``volumes_<type>`` keys) with its overrides."""
    defaults = dict(DEFAULT_QUOTAS)
    defaults.update({k: v for k, v in (state.get("quota_sets", QUOTA_DEFAULTS_KEY) or {}).items() if k != "id"})
    for volume_type in state.table("volume_types").values():
        for resource in PER_TYPE_RESOURCES:
            defaults.setdefault(f"{resource}_{volume_type['name']}", -1)
    overrides = state.get("quota_sets", project_id) or {}
    limits = {key: overrides.get(key, value) for key, value in defaults.items()}
    return limits


def quota_usage(state: State, project_id: str) -> dict[str, int]:
    """What a project consumes now (a volume or snapshot holds its quota until its record is gone)."""
    usage = dict.fromkeys(quota_limits(state, project_id), 0)
    types = state.table("volume_types")

    def add(key: str, amount: int) -> None:
        usage[key] = usage.get(key, 0) + amount

    for kind in ("volumes", "snapshots"):  # both count, and both take gigabytes, in total and per type
        for record in state.table(kind).values():
            if record["project_id"] != project_id or not record.get("consumes_quota", True):
                continue
            type_name = (types.get(record.get("volume_type_id")) or {}).get("name")
            add(kind, 1)
            add("gigabytes", record["size"])
            if type_name:
                add(f"{kind}_{type_name}", 1)
                add(f"gigabytes_{type_name}", record["size"])
    usage["groups"] = sum(1 for g in state.table("groups").values() if g["project_id"] == project_id)
    usage["per_volume_gigabytes"] = 0
    return usage


def _over_quota(message: str) -> ApiError:
    return ApiError(413, message, kind="overLimit", headers={"Retry-After": "0"})


def _check_gigabytes(limits: dict[str, int], usage: dict[str, int], type_name: str | None, size: int,
                     adding: int) -> None:
    """``adding`` GiB more must fit the project's ``gigabytes`` and its type's ``gigabytes_<type>`` (-1: no limit);
    ``size`` is what the message names, one volume's or snapshot's."""
    for key in ("gigabytes", f"gigabytes_{type_name}" if type_name else None):
        if key and 0 <= limits.get(key, -1) < usage.get(key, 0) + adding:
            raise _over_quota(f"Requested volume or snapshot exceeds allowed {key} quota. Requested {size}G, "
                              f"quota is {limits[key]}G and {usage.get(key, 0)}G has been consumed.")


def check_volume_quota(state: State, project_id: str, size: int, volume_type: dict | None,
                       count: int = 1) -> None:
    """Raise 413 overLimit the way Cinder's quota reservation does when a new volume would not fit."""
    limits = quota_limits(state, project_id)
    usage = quota_usage(state, project_id)
    per_volume = limits.get("per_volume_gigabytes", -1)
    if per_volume >= 0 and size > per_volume:
        raise _over_quota(f"Requested volume size {size}G is larger than maximum allowed limit {per_volume}G.")
    type_name = volume_type["name"] if volume_type else None
    _check_gigabytes(limits, usage, type_name, size, size * count)
    for key in ("volumes", f"volumes_{type_name}" if type_name else None):
        if key and 0 <= limits.get(key, -1) < usage.get(key, 0) + count:
            raise _over_quota(f"Maximum number of volumes allowed ({limits[key]}) exceeded for quota '{key}'.")


def check_snapshot_quota(state: State, project_id: str, size: int, volume_type: dict | None) -> None:
    limits = quota_limits(state, project_id)
    usage = quota_usage(state, project_id)
    type_name = volume_type["name"] if volume_type else None
    for key in ("snapshots", f"snapshots_{type_name}" if type_name else None):
        if key and 0 <= limits.get(key, -1) < usage.get(key, 0) + 1:
            raise _over_quota(f"Maximum number of snapshots allowed ({limits[key]}) exceeded")
    _check_gigabytes(limits, usage, type_name, size, size)


# ---------------------------------------------------------------------------------------------------------------
# the contract (see /work/brief/BRIEF.md): called by the REST handlers here and by nova.py, lock held


def create_volume(state: State, *, project_id: str, user_id: str, size: int | None, name: str | None = None,
                  description: str | None = None, availability_zone: str | None = "nova",
                  volume_type: str | None = None, snapshot_id: str | None = None, source_volid: str | None = None,
                  image_id: str | None = None, metadata: dict | None = None, bootable: bool = False,
                  group_id: str | None = None) -> dict:
    """Create a volume record in ``creating``; its data is made by the ``cinder.volume_create`` transition.

    ``size`` in GiB (may be None when a snapshot or source volume gives it). ``volume_type`` is a name or id
    (default: the default type). Sources (at most one): ``snapshot_id`` (must be ``available``; the new volume holds
    exactly the snapshot's frozen bytes), ``source_volid`` (``available`` or ``in-use``; sparse clone),
    ``image_id`` (an ``active`` Glance image; the volume becomes bootable and carries ``volume_image_metadata``).
    Raises ``ApiError(413)`` over quota, 400 for a bad request, 404 for a missing source. Fault ``volume.create``:
    ``quota`` answers 413 now, ``error`` leaves the volume in ``error``.
    """
    sources = [s for s in (snapshot_id, source_volid, image_id) if s]
    if len(sources) > 1:
        raise bad_request("Invalid input received: Only one of snapshot_id, source_volid or imageRef may be given.")
    snapshot = source = image = None
    if snapshot_id:
        snapshot = get_snapshot(state, snapshot_id)
        if snapshot["status"] != "available":
            raise bad_request("Invalid snapshot: Originating snapshot status must be one of 'available' values")
    if source_volid:
        source = get_volume(state, source_volid)
        if source["status"] not in ("available", "in-use"):
            raise bad_request("Invalid volume: Source volume status must be available or in-use, "
                              f"but current status is: {source['status']}.")
    if image_id:  # who may use the image is checked by the caller (Cinder's API, Nova), as admins may use any
        image = state.get("images", image_id)
        if image is None or image["status"] == "deleted":
            raise bad_request("Invalid image identifier or unable to access requested image.")
        if image["status"] != "active":
            raise bad_request(f"Invalid input received: Image {image_id} is not active.")
    if size is None:
        if snapshot:
            size = snapshot["size"]
        elif source:
            size = source["size"]
        elif image:
            needed = max(image.get("size") or 0, image.get("virtual_size") or 0)
            size = max(image.get("min_disk") or 0, -(-needed // GIB), 1)
    try:
        size = int(size) if size is not None else None
    except (TypeError, ValueError):
        size = None
    if size is None or size <= 0:
        raise bad_request(f"Invalid input received: Invalid volume size provided for create request: {size} "
                          "(size argument must be an integer (or string representation of an integer) and greater "
                          "than zero).")
    if snapshot and size < snapshot["size"]:
        raise bad_request(f"Invalid input received: Volume size '{size}'GB cannot be smaller than the snapshot size "
                          f"{snapshot['size']}GB. They must be >= original snapshot size.")
    if source and size < source["size"]:
        raise bad_request(f"Invalid input received: Volume size '{size}'GB cannot be smaller than original volume "
                          f"size  {source['size']}GB. They must be >= original volume size.")
    if image and size * GIB < (image.get("size") or 0):
        raise bad_request(f"Invalid input received: Size of specified image {-(-image['size'] // GIB)}GB is larger "
                          f"than volume size {size}GB.")
    if image and size < (image.get("min_disk") or 0):
        raise bad_request(f"Invalid input received: Volume size {size}GB cannot be smaller than the image minDisk "
                          f"size {image['min_disk']}GB.")
    if snapshot and volume_type is None:
        volume_type = snapshot.get("volume_type_id")
    if source and volume_type is None:
        volume_type = source.get("volume_type_id")
    vtype = volume_type_by_name_or_id(state, volume_type)
    zone = availability_zone or (snapshot and _volume_zone(state, snapshot["volume_id"])) or (
        source and source["availability_zone"]) or "nova"
    if zone not in AVAILABILITY_ZONES:
        raise bad_request(f"Invalid input received: Availability zone '{zone}' is invalid.")
    # cinder.conf cloned_volume_same_az = True (the default): clones stay in their source's zone
    if source and source["availability_zone"] != zone:
        raise bad_request("Invalid input received: Volume must be in the same availability zone as the source "
                          "volume")
    if snapshot and _volume_zone(state, snapshot["volume_id"]) not in (None, zone):
        raise bad_request("Invalid input received: Volume must be in the same availability zone as the snapshot")
    if metadata is not None and not isinstance(metadata, dict):
        raise bad_request("Invalid input for field/attribute metadata.")

    mode = faults.take(state, "volume.create")
    if mode == "quota":
        raise _over_quota(f"Requested volume or snapshot exceeds allowed gigabytes quota. Requested {size}G, "
                          "quota is 0G and 0G has been consumed.")
    check_volume_quota(state, project_id, size, vtype)

    timestamp = now()
    record = {
        "id": new_id(), "project_id": project_id, "user_id": user_id, "name": name, "description": description,
        "size": size, "status": "creating", "attach_status": "detached", "availability_zone": zone,
        "volume_type_id": vtype["id"], "snapshot_id": snapshot_id, "source_volid": source_volid,
        "image_id": image["id"] if image else None,
        "bootable": bool(bootable or image is not None or (source or {}).get("bootable")
                         or _snapshot_bootable(state, snapshot)),
        "readonly": False, "metadata": {str(k): str(v) for k, v in (metadata or {}).items()},
        "image_metadata": _image_metadata_for(state, image, source, snapshot), "attachments": [],
        "group_id": group_id, "created_at": timestamp, "updated_at": None, "host": host_for(zone),
        "migration_status": None, "replication_status": None, "multiattach": False,
        # A type with an encryption spec: a new key per volume (Cinder clones the source's key for a copy).
        "encrypted": bool(vtype.get("encryption")),
        "encryption_key_id": new_id() if vtype.get("encryption") else None,
        "consumes_quota": True, "provider_id": None, "service_uuid": _service_uuid(zone), "shared_targets": False,
        "fault": "error" if mode == "error" else None,
    }
    state.put("volumes", record)
    if mode != "hang":  # a hang: the cinder-volume that took it died; only a force-delete ends it
        state.later("cinder.volume_create", volume_id=record["id"])
    return record


def reserve_attach(state: State, volume_id: str, server_id: str) -> dict:
    """``available`` -> ``attaching`` for ``server_id`` (Cinder's ``os-reserve``). ApiError(400) otherwise."""
    record = get_volume(state, volume_id)
    if record["status"] != "available":
        raise bad_request("Invalid volume: Volume status must be available to reserve, but the status is "
                          f"{record['status']}.")
    _set_status(state, record, "attaching", attach_status="attaching", reserved_for=server_id)
    return record


def attach(state: State, volume_id: str, server_id: str, device: str, attachment_id: str | None = None,
           host_name: str | None = None) -> dict:
    """Attach a reserved (or still ``available``) volume to a server; returns Cinder's attachment record.

    The ``cinder.volume_attach`` transition then makes the volume ``in-use`` and creates the server's device
    links (``servers/<S>/dev/vdX`` and ``servers/<S>/dev/disk/by-id/virtio-<volume id[:20]>``), the moment the
    guest would see the disk. Fault ``volume.attach``: ``hang`` leaves it ``attaching`` forever (no device),
    ``error`` returns it to ``available`` with the attachment gone.
    """
    record = get_volume(state, volume_id)
    if record["status"] == "available":
        reserve_attach(state, volume_id, server_id)
    elif record["status"] not in ("attaching", "reserved"):
        raise bad_request(f"Invalid volume: Volume {volume_id} status must be available or attaching to attach, "
                          f"but current status is: {record['status']}.")
    if record.get("reserved_for") and record["reserved_for"] != server_id:
        raise bad_request(f"Invalid volume: Volume {volume_id} is reserved for another server.")
    attachment = _find_attachment(record, attachment_id=attachment_id, server_id=server_id)
    if attachment is None:
        attachment = new_attachment(record, server_id, host_name=host_name, attachment_id=attachment_id)
    attachment.update({"device": device, "host_name": host_name or attachment.get("host_name"),
                       "attach_status": "attaching", "updated_at": now()})
    mode = faults.take(state, "volume.attach")
    _set_status(state, record, "attaching", attach_status="attaching")
    if mode == "hang":
        return attachment
    state.later("cinder.volume_attach", volume_id=volume_id, attachment_id=attachment["id"],
                outcome="error" if mode == "error" else "ok")
    return attachment


def begin_detach(state: State, volume_id: str, server_id: str) -> None:
    """``in-use`` -> ``detaching`` (Cinder's ``os-begin_detaching``). ApiError(400) otherwise."""
    record = get_volume(state, volume_id)
    if record["status"] != "in-use" or _find_attachment(record, server_id=server_id) is None:
        raise bad_request("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and "
                          "attach_status must be 'attached' to detach.")
    _set_status(state, record, "detaching", attach_status="detaching")


def detach(state: State, volume_id: str, server_id: str) -> None:
    """Detach a volume from a server: its device links go now (the guest let go); the ``cinder.volume_detach``
    transition then drops the attachment and makes the volume ``available``.

    Fault ``volume.detach``: ``hang`` leaves it ``detaching`` with the device still there; ``error`` rolls it back
    to ``in-use``.
    """
    record = get_volume(state, volume_id)
    attachment = _find_attachment(record, server_id=server_id)
    if attachment is None:
        raise bad_request(f"Invalid volume: Volume {volume_id} is not attached to server {server_id}.")
    if record["status"] == "in-use":
        _set_status(state, record, "detaching", attach_status="detaching")
    elif record["status"] not in ("detaching", "attaching", "error_attaching"):
        raise bad_request(f"Invalid volume: Volume {volume_id} status must be in-use or detaching to detach, "
                          f"but current status is: {record['status']}.")
    mode = faults.take(state, "volume.detach")
    if mode == "hang":
        return
    if mode == "error":
        state.later("cinder.volume_detach", volume_id=volume_id, attachment_id=attachment["id"], outcome="error")
        return
    state.blocks.detach(server_id, volume_id, attachment.get("device"))
    attachment["attach_status"] = "detaching"
    state.later("cinder.volume_detach", volume_id=volume_id, attachment_id=attachment["id"], outcome="ok")


def delete_volume(state: State, volume_id: str, force: bool = False) -> None:
    """Delete a volume: ``deleting``, then the ``cinder.volume_delete`` transition removes its data and record.

    Refused (ApiError 400, Cinder's message) while attached, in a transitional status, with snapshots, or while a
    clone of it is still being made. ``force`` (admin's ``os-force_delete``) skips the status check but not the
    attachment and snapshot checks: as in Cinder, only an *attached* volume is refused then (``attach_status``
    ``attached``; this cloud's ``detaching`` is Cinder's ``attached`` too), so a volume stuck ``attaching`` or
    ``reserved`` can be force-deleted. Fault ``volume.delete``: ``error`` ends in ``error_deleting``, ``hang`` stays
    ``deleting``.
    """
    record = get_volume(state, volume_id)
    has_snapshots = any(s["volume_id"] == volume_id for s in state.table("snapshots").values())
    cloning = any(v["source_volid"] == volume_id and v["status"] == "creating"
                  for v in state.table("volumes").values())
    status_ok = force or record["status"] in DELETABLE_STATUSES
    attached = (record.get("attach_status") in ("attached", "detaching")
                or any(a["attach_status"] in ("attached", "detaching") for a in record["attachments"]))
    if not force:
        attached = attached or bool(record["attachments"])
    if not status_ok or attached or has_snapshots or cloning or record.get("group_id"):
        statuses = " or ".join(DELETABLE_STATUSES)
        raise bad_request(f"Invalid volume: Volume status must be {statuses} and must not be migrating, attached, "
                          "belong to a group, have snapshots, awaiting a transfer, or be disassociated from "
                          "snapshots after volume transfer.")
    mode = faults.take(state, "volume.delete")
    _set_status(state, record, "deleting")
    if mode != "hang":
        state.later("cinder.volume_delete", volume_id=volume_id, outcome="error" if mode == "error" else "ok")


def create_snapshot(state: State, *, project_id: str, user_id: str, volume_id: str, name: str | None = None,
                    description: str | None = None, force: bool = False, metadata: dict | None = None,
                    group_snapshot_id: str | None = None) -> dict:
    """Snapshot a volume: ``creating``; the ``cinder.snapshot_create`` transition copies the volume's bytes to
    ``state.blocks.snapshot_path`` (sparse) and makes it ``available``. From then on the snapshot's content never
    changes, whatever is written to the volume.

    An ``in-use`` volume needs ``force`` (the REST layer passes ``force=True`` from microversion 3.66 on).
    Raises 400 for a volume in the wrong status, 413 over quota. Fault ``snapshot.create``: ``error`` ends in
    ``error``, ``quota`` answers 413.
    """
    record = get_volume(state, volume_id)
    valid = ("available", "in-use") if force else ("available",)
    if record["status"] == "error":
        raise bad_request("Invalid volume: The snapshot cannot be created when the volume is in error status.")
    if record["status"] not in valid:
        raise bad_request(f"Invalid volume: Volume {volume_id} status must be {', '.join(valid)}, but current "
                          f"status is: {record['status']}.")
    if metadata is not None and not isinstance(metadata, dict):
        raise bad_request("Invalid input for field/attribute metadata.")
    vtype = state.get("volume_types", record["volume_type_id"])
    mode = faults.take(state, "snapshot.create")
    if mode == "quota":
        raise _over_quota("Maximum number of snapshots allowed (0) exceeded")
    check_snapshot_quota(state, project_id, record["size"], vtype)
    snapshot = {
        "id": new_id(), "project_id": project_id, "user_id": user_id, "volume_id": volume_id, "name": name,
        "description": description, "size": record["size"], "status": "creating", "progress": "0%",
        "metadata": {str(k): str(v) for k, v in (metadata or {}).items()}, "created_at": now(), "updated_at": None,
        "volume_type_id": record["volume_type_id"], "group_snapshot_id": group_snapshot_id,
        "consumes_quota": True, "fault": "error" if mode == "error" else None,
    }
    state.put("snapshots", snapshot)
    if group_snapshot_id is None and mode != "hang":  # a group snapshot copies all its members in one transition
        state.later("cinder.snapshot_create", snapshot_id=snapshot["id"])
    return snapshot


# ---------------------------------------------------------------------------------------------------------------
# more model functions (used by the REST API)


def delete_snapshot(state: State, snapshot_id: str, force: bool = False) -> None:
    """``deleting`` then gone. Refused (400) while volumes made from it exist, as an RBD backend cannot remove a
    snapshot with clone children; refused while it belongs to a group snapshot or is busy (unless ``force``).
    Fault ``snapshot.delete``: ``error`` ends in ``error_deleting``."""
    snapshot = get_snapshot(state, snapshot_id)
    if not force and snapshot["status"] not in ("available", "error"):
        raise bad_request("Invalid snapshot: Snapshot status must be available or error and must not be part of "
                          "a group.")
    if snapshot.get("group_snapshot_id"):
        raise bad_request("Invalid snapshot: Snapshot status must be available or error and must not be part of "
                          "a group.")
    dependants = [v["id"] for v in state.table("volumes").values() if v.get("snapshot_id") == snapshot_id]
    if dependants and state.blocks.snapshot_delete_checks_dependants:
        raise bad_request(f"Invalid snapshot: Snapshot {snapshot_id} has dependent volumes "
                          f"({', '.join(sorted(dependants))}); delete them first.")
    mode = faults.take(state, "snapshot.delete")
    _set_status(state, snapshot, "deleting")
    if mode != "hang":
        state.later("cinder.snapshot_delete", snapshot_id=snapshot_id, outcome="error" if mode == "error" else "ok")


def extend_volume(state: State, volume_id: str, new_size: int, allow_in_use: bool) -> None:
    record = get_volume(state, volume_id)
    if new_size <= record["size"]:
        raise bad_request(f"Invalid input received: New size for extend must be greater than current size. "
                          f"(current: {record['size']}, extended: {new_size}).")
    expected = ("available", "in-use") if allow_in_use else ("available",)
    if record["status"] not in expected:
        raise bad_request(f"Invalid volume: Volume {volume_id} status must be '{' or '.join(expected)}' to extend, "
                          f"currently {record['status']}.")
    vtype = state.get("volume_types", record["volume_type_id"])
    limits = quota_limits(state, record["project_id"])
    if 0 <= limits.get("per_volume_gigabytes", -1) < new_size:
        raise _over_quota(f"Requested volume size {new_size}G is larger than maximum allowed limit "
                          f"{limits['per_volume_gigabytes']}G.")
    usage = quota_usage(state, record["project_id"])
    for key in ("gigabytes", f"gigabytes_{vtype['name']}" if vtype else None):
        growth = new_size - record["size"]
        if key and 0 <= limits.get(key, -1) < usage.get(key, 0) + growth:
            raise _over_quota(f"Requested volume or snapshot exceeds allowed {key} quota. Requested {growth}G, "
                              f"quota is {limits[key]}G and {usage.get(key, 0)}G has been consumed.")
    previous = record["status"]
    _set_status(state, record, "extending", extend_to=new_size, status_before_extend=previous)
    state.later("cinder.volume_extend", volume_id=volume_id)


def new_attachment(record: dict, server_id: str | None, host_name: str | None = None,
                   attachment_id: str | None = None, connector: dict | None = None, mode: str = "rw") -> dict:
    attachment = {"id": attachment_id or new_id(), "volume_id": record["id"], "server_id": server_id,
                  "host_name": host_name, "device": None, "attach_status": "reserved", "attach_mode": mode,
                  "attached_at": None, "detached_at": None, "connector": connector, "created_at": now(),
                  "updated_at": None, "project_id": record["project_id"]}
    record["attachments"].append(attachment)
    return attachment


def connection_info(state: State, record: dict, attachment: dict) -> dict:
    """What an RBD backend gives Nova to connect a volume (``os-initialize_connection``, attachment update): the
    driver's data (image, monitors, cephx user: the block store's) and what the volume manager adds."""
    data = state.blocks.connection_data(name_id(record))
    data.update({"volume_id": record["id"], "discard": True, "qos_specs": None,
                 "access_mode": attachment.get("attach_mode", "rw"), "encrypted": bool(record.get("encrypted")),
                 "attachment_id": attachment["id"], "cacheable": False})
    return {"driver_volume_type": "rbd", "data": data}


def _find_attachment(record: dict, attachment_id: str | None = None, server_id: str | None = None) -> dict | None:
    for attachment in record["attachments"]:
        if attachment_id and attachment["id"] == attachment_id:
            return attachment
        if not attachment_id and server_id and attachment["server_id"] == server_id:
            return attachment
    return None


def check_detach_allowed(state: State, record: dict, attachment: dict | None) -> None:
    """Cinder's ``attachment_deletion_allowed`` (bug #2004555, in 2024.1): a user's call that would drop an
    attachment Nova still uses (``DELETE /attachments``, ``os-detach``, ``os-terminate_connection``,
    ``os-force_detach``) is refused with 409, whatever the caller's role; only Nova (a service token) may. ``None``
    stands for "the volume's attachment": fine with none, the one when there is one, refused when there are several.

    Nova uses it when the attachment is connected (it has a connector, or Nova made it and gave it a device) to a
    server Nova still has, and that server's block device mapping of the volume names this very attachment."""
    if attachment is None:
        if not record["attachments"]:
            return
        if len(record["attachments"]) > 1:
            raise ApiError(409, "Detach volume from instance  using the Compute API")
        attachment = record["attachments"][0]
    server_id = attachment.get("server_id")
    if not server_id or not (attachment.get("connector") or attachment.get("device")):
        return
    server = state.get("servers", server_id)
    if server is None or server.get("deleted"):
        return  # Nova no longer knows the server: Cinder lets the attachment go (and logs the leftover risk)
    bdm = next((b for b in server.get("bdms", []) if b.get("volume_id") == record["id"]), None)
    if bdm is None or bdm.get("attachment_id") != attachment["id"]:
        return
    raise ApiError(409, f"Detach volume from instance {server_id} using the Compute API")


def detach_attachment(state: State, record: dict, attachment: dict) -> None:
    """Cinder's ``volume_detached``: the attachment goes and the volume's statuses follow what remains (the
    connection is terminated on the backend, so the device goes from the server's view)."""
    if attachment.get("server_id") and attachment.get("device"):
        state.blocks.detach(attachment["server_id"], record["id"], attachment.get("device"))
    record["attachments"].remove(attachment)
    record.pop("reserved_for", None)
    settle_attach_status(state, record)


def settle_attach_status(state: State, record: dict) -> None:
    """The volume's status and attach status from its attachments (Cinder's ``_get_statuses_from_attachments``):
    ``in-use`` while one is attached, else that of a pending one, else ``available``; a deletion keeps its status."""
    if record["status"] in ("deleting", "error_deleting"):
        state.touch()
        return
    statuses = [a["attach_status"] for a in record["attachments"]]
    for status, volume_status in (("attached", "in-use"), ("detaching", "detaching"), ("attaching", "attaching"),
                                  ("reserved", "reserved")):
        if status in statuses:
            _set_status(state, record, volume_status, attach_status=status)
            return
    _set_status(state, record, "available", attach_status="detached")


def find_attachment(state: State, attachment_id: str) -> tuple[dict, dict] | None:
    for record in state.table("volumes").values():
        for attachment in record["attachments"]:
            if attachment["id"] == attachment_id:
                return record, attachment
    return None


def _volume_zone(state: State, volume_id: str) -> str | None:
    source = state.get("volumes", volume_id)
    return source["availability_zone"] if source else None


def _snapshot_bootable(state: State, snapshot: dict | None) -> bool:
    if not snapshot:
        return False
    return bool(snapshot.get("bootable") or (state.get("volumes", snapshot["volume_id"]) or {}).get("bootable"))


def _image_metadata_for(state: State, image: dict | None, source: dict | None, snapshot: dict | None) -> dict | None:
    if image is not None:
        from storage_backup_sandbox import glance

        return glance.volume_image_metadata(image)
    if source is not None and source.get("image_metadata"):
        return dict(source["image_metadata"])
    if snapshot is not None:
        if snapshot.get("image_metadata"):
            return dict(snapshot["image_metadata"])
        origin = state.get("volumes", snapshot["volume_id"])
        if origin and origin.get("image_metadata"):
            return dict(origin["image_metadata"])
    return None


def _service_uuid(zone: str) -> str:
    # stable per AZ: what Cinder reports as the uuid of the cinder-volume service owning the volume
    return {"nova": "8a6f2b3c-1d4e-4f5a-9b6c-7d8e9f0a0001", "az2": "8a6f2b3c-1d4e-4f5a-9b6c-7d8e9f0a0002"}.get(
        zone, "8a6f2b3c-1d4e-4f5a-9b6c-7d8e9f0a0000")


# ---------------------------------------------------------------------------------------------------------------
# transitions: run without the lock; take it around record changes; copies happen between the two


@transition("cinder.volume_create")
def _volume_create(state: State, volume_id: str) -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None or record["status"] != "creating":
            return
        data_id = name_id(record)
        size_bytes = record["size"] * GIB
        if record.get("fault") == "error":
            record["fault"] = None
            _set_status(state, record, "error")
            user_message(state, record["project_id"], "VOLUME", volume_id, "VOLUME_VOLUME_001_002",
                         "schedule allocate volume:Could not find any available weighted backend.",
                         "001")
            return
        source_path, convert, snapshot, source = None, False, None, None
        if record.get("snapshot_id"):
            snapshot = state.get("snapshots", record["snapshot_id"])
            origin = state.get("volumes", snapshot["volume_id"]) if snapshot else None
            snapshot_origin = name_id(origin) if origin else (snapshot or {}).get("volume_id")
        elif record.get("source_volid"):
            source = state.get("volumes", record["source_volid"])
            source_data_id = name_id(source) if source else record["source_volid"]
        elif record.get("image_id"):
            source_path = state.blocks.image_path(record["image_id"])
            image = state.get("images", record["image_id"]) or {}
            convert = image.get("disk_format") == "qcow2"
    try:
        if source_path and convert and cinder_qcow2.is_qcow2(source_path):
            # the volume manager's check_virtual_size, then qemu-img convert -O raw
            wanted = -(-cinder_qcow2.virtual_size(source_path) // GIB)
            if wanted * GIB > size_bytes:
                raise cinder_qcow2.UnsupportedImage(
                    f"Image {record['image_id']} is unacceptable: Image virtual size is {wanted}GB and doesn't fit "
                    f"in a volume of size {size_bytes // GIB}GB.")
            state.blocks.volume_from_qcow2(data_id, source_path, size_bytes)
        elif source_path:  # an image bigger than its volume cannot happen: refused above
            state.blocks.volume_from_file(data_id, source_path, size_bytes)
        elif record.get("snapshot_id"):
            state.blocks.volume_from_snapshot(data_id, record["snapshot_id"], snapshot_origin, size_bytes)
        elif record.get("source_volid"):
            state.blocks.volume_from_volume(data_id, source_data_id, size_bytes)
        else:
            state.blocks.create_volume(data_id, size_bytes)
    except (OSError, cinder_qcow2.UnsupportedImage, *state.blocks.errors) as exc:
        LOG.exception("creating the data of volume %s failed", volume_id)
        with state.lock:
            record = state.get("volumes", volume_id)
            if record is not None:
                _set_status(state, record, "error")
                reason = getattr(exc, "strerror", None) or str(exc)
                user_message(state, record["project_id"], "VOLUME", volume_id, "VOLUME_VOLUME_001_003",
                             f"create volume from image:Volume data could not be created ({reason}).", "001")
        return
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None:  # deleted meanwhile (force delete): drop the data we just made
            state.blocks.delete_volume(data_id)
            return
        if record["status"] == "creating":
            _set_status(state, record, "available")


@transition("cinder.volume_attach")
def _volume_attach(state: State, volume_id: str, attachment_id: str, outcome: str = "ok") -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None:
            return
        attachment = _find_attachment(record, attachment_id=attachment_id)
        if attachment is None or record["status"] != "attaching":
            return
        if outcome == "error":
            record["attachments"].remove(attachment)
            record.pop("reserved_for", None)
            _set_status(state, record, "available", attach_status="detached")
            user_message(state, record["project_id"], "VOLUME", volume_id, "VOLUME_VOLUME_002_002",
                         "attach volume:Connection to the volume failed.", "002")
            return
        if attachment.get("server_id") and attachment.get("device"):
            state.blocks.attach(attachment["server_id"], volume_id, attachment["device"], name_id=name_id(record))
        attachment.update({"attach_status": "attached", "attached_at": now(), "updated_at": now()})
        record.pop("reserved_for", None)
        _set_status(state, record, "in-use", attach_status="attached")


@transition("cinder.volume_detach")
def _volume_detach(state: State, volume_id: str, attachment_id: str, outcome: str = "ok") -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None:
            return
        attachment = _find_attachment(record, attachment_id=attachment_id)
        if attachment is None:
            return
        if outcome == "error":
            attachment["attach_status"] = "attached"
            _set_status(state, record, "in-use", attach_status="attached")
            user_message(state, record["project_id"], "VOLUME", volume_id, "VOLUME_VOLUME_004_002",
                         "detach volume:An unknown error occurred.", "004")
            return
        if attachment.get("server_id"):
            state.blocks.detach(attachment["server_id"], volume_id, attachment.get("device"))
        record["attachments"].remove(attachment)
        if record["attachments"]:
            _set_status(state, record, "in-use")
        else:
            _set_status(state, record, "available", attach_status="detached")


def _end_deleting(state: State, kind: str, ident: str, outcome: str) -> bool:
    """Lock held: the end of a ``deleting`` volume or snapshot. True once its record is gone; False when there is
    nothing to do (gone already, or no longer ``deleting``) or the delete failed (``error_deleting``)."""
    record = state.get(kind, ident)
    if record is None or record["status"] != "deleting":
        return False
    if outcome == "error":
        _set_status(state, record, "error_deleting")
        return False
    state.delete(kind, ident)
    return True


@transition("cinder.volume_delete")
def _volume_delete(state: State, volume_id: str, outcome: str = "ok") -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None or record["status"] != "deleting":
            return
        if outcome == "error":
            _end_deleting(state, "volumes", volume_id, outcome)
            return
        data_id = name_id(record)
    state.blocks.delete_volume(data_id)  # the driver first, then the record (as the volume manager does)
    with state.lock:
        if not _end_deleting(state, "volumes", volume_id, outcome):
            return
        for transfer_id in [t["id"] for t in state.table("transfers").values() if t["volume_id"] == volume_id]:
            state.delete("transfers", transfer_id)


@transition("cinder.volume_extend")
def _volume_extend(state: State, volume_id: str) -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None or record["status"] != "extending":
            return
        new_size = record.pop("extend_to")
        previous = record.pop("status_before_extend", "available")
        data_id = name_id(record)
    state.blocks.extend_volume(data_id, new_size * GIB)
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is not None:
            record["size"] = new_size
            _set_status(state, record, previous)


def freeze_snapshot(state: State, snapshot_id: str) -> None:
    """Take the snapshot's data from its volume (a sparse copy, an RBD snapshot): the moment its content is fixed."""
    with state.lock:
        snapshot = state.get("snapshots", snapshot_id)
        if snapshot is None:
            return
        volume_record = state.get("volumes", snapshot["volume_id"])
        data_id = name_id(volume_record) if volume_record else snapshot["volume_id"]
    state.blocks.snapshot_volume(snapshot_id, data_id)


def _finish_snapshot(state: State, snapshot_id: str, failed: bool) -> None:
    with state.lock:
        snapshot = state.get("snapshots", snapshot_id)
        if snapshot is None:
            return
        if failed:
            _set_status(state, snapshot, "error", progress="0%")
            user_message(state, snapshot["project_id"], "VOLUME_SNAPSHOT", snapshot_id, "VOLUME_VOLUME_SNAPSHOT_"
                         "003_002", "create snapshot:Snapshot failed to create.", "003")
            return
        volume_record = state.get("volumes", snapshot["volume_id"])
        if volume_record is not None:
            snapshot["bootable"] = volume_record.get("bootable", False)
            snapshot["image_metadata"] = copy.deepcopy(volume_record.get("image_metadata"))
        _set_status(state, snapshot, "available", progress="100%")


@transition("cinder.snapshot_create")
def _snapshot_create(state: State, snapshot_id: str) -> None:
    with state.lock:
        snapshot = state.get("snapshots", snapshot_id)
        if snapshot is None or snapshot["status"] != "creating":
            return
        failed = snapshot.pop("fault", None) == "error"
    if not failed:
        try:
            freeze_snapshot(state, snapshot_id)
        except (OSError, *state.blocks.errors):
            LOG.exception("snapshot %s failed", snapshot_id)
            failed = True
    _finish_snapshot(state, snapshot_id, failed)


def snapshot_data_owner(state: State, snapshot: dict) -> str:
    """The name id of the volume whose data holds the snapshot's (an RBD snapshot lives on its volume's image)."""
    volume_record = state.get("volumes", snapshot["volume_id"])
    return name_id(volume_record) if volume_record else snapshot["volume_id"]


def delete_snapshot_data(state: State, snapshot: dict) -> bool:
    """Remove a snapshot's data (lock not held). False when the store finds it busy: the volume manager then puts
    the snapshot back to ``available`` and leaves the user message "Snapshot is busy." (``SnapshotIsBusy``)."""
    try:
        state.blocks.delete_snapshot(snapshot["id"], snapshot_data_owner(state, snapshot))
    except SnapshotBusy:
        LOG.error("Delete snapshot %s failed, due to snapshot busy.", snapshot["id"])
        with state.lock:
            _set_status(state, snapshot, "available")
            user_message(state, snapshot["project_id"], "VOLUME_SNAPSHOT", snapshot["id"],
                         "VOLUME_VOLUME_SNAPSHOT_010_015", "delete snapshot:Snapshot is busy.", "010")
        return False
    return True


@transition("cinder.snapshot_delete")
def _snapshot_delete(state: State, snapshot_id: str, outcome: str = "ok") -> None:
    with state.lock:
        snapshot = state.get("snapshots", snapshot_id)
        if snapshot is None or snapshot["status"] != "deleting":
            return
        if outcome == "error":
            _end_deleting(state, "snapshots", snapshot_id, outcome)
            return
    if delete_snapshot_data(state, snapshot):
        with state.lock:
            _end_deleting(state, "snapshots", snapshot_id, outcome)


# ---------------------------------------------------------------------------------------------------------------
# seed


def seed_base(state: State) -> None:
    """Idempotent: volume types, the default type, group types, the default quota class."""
    with state.lock:
        types = state.table("volume_types")
        for type_id, name, description, extra_specs in VOLUME_TYPES:
            if type_id not in types and not any(t["name"] == name for t in types.values()):
                state.put("volume_types", {"id": type_id, "name": name, "description": description,
                                           "is_public": True, "extra_specs": dict(extra_specs),
                                           "qos_specs_id": None, "created_at": now(), "projects": []})
        group_types = state.table("group_types")
        for type_id, name, description, specs in GROUP_TYPES:
            if type_id not in group_types:
                state.put("group_types", {"id": type_id, "name": name, "description": description,
                                          "is_public": True, "group_specs": dict(specs)})
        if state.get("quota_sets", QUOTA_DEFAULTS_KEY) is None:
            state.put("quota_sets", {"id": QUOTA_DEFAULTS_KEY, **DEFAULT_QUOTAS})
        state.meta.setdefault("cinder_default_type_id", DEFAULT_TYPE_ID)
        state.touch()


# The REST API (routes register on import). Kept last: those modules import the model above.
from storage_backup_sandbox import cinder_api  # noqa: E402,F401
