# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Waiting for OpenStack resources to get somewhere, with a timeout on every wait.

Every wait ends one of three ways: the resource is where it should be (its latest body is returned), it went to an
error status (``ResourceFailed``, naming the resource and the status), or the time ran out (``ResourceTimeout``:
``Volume 3f2… stuck in 'attaching' for 300 s on proxy backup-proxy-nova``). Polls back off from 0.1 s to 2 s; a
poll the service fails transiently (5xx, connection refused) is retried until the deadline. ``cancel`` is called
before each poll and may raise to abandon the wait (a cancelled job).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from keystoneauth1 import exceptions as ks_exceptions

from .errors import NotFound, ResourceFailed, ResourceTimeout, ServiceUnavailable

LOG = logging.getLogger(__name__)
T = TypeVar("T")

POLL_FIRST = 0.1
POLL_MAX = 2.0
POLL_GROWTH = 1.5
MISSING = "deleted"

VOLUME_ERROR_STATUSES = frozenset({"error", "error_restoring", "error_extending", "error_managing",
                                   "error_deleting", "error_backing-up"})
SNAPSHOT_ERROR_STATUSES = frozenset({"error", "error_deleting"})
IMAGE_ERROR_STATUSES = frozenset({"killed", "deleted", "pending_delete", "deactivated"})
TRANSIENT = (ServiceUnavailable, ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout,
             ks_exceptions.RetriableConnectionFailure)


def wait_for(poll: Callable[[], T], *, done: Callable[[T], bool], status_of: Callable[[T], str], what: str,
             timeout: float, failed: Callable[[T], str | None] | None = None, where: str = "",
             cancel: Callable[[], None] | None = None, resource: str = "", resource_id: str = "",
             first_interval: float = POLL_FIRST, max_interval: float = POLL_MAX) -> T:
    """Poll until ``done(poll())``; ``failed(value)`` returns a reason when the resource went wrong.

    ``what`` names the resource for messages (``Volume 3f2…``), ``where`` adds context (`` on proxy X``).
    """
    deadline = time.monotonic() + timeout
    interval = first_interval
    status = "unknown"
    transient_error: Exception | None = None
    while True:
        if cancel is not None:
            cancel()
        try:
            value = poll()
        except TRANSIENT as error:
            transient_error = error
            LOG.warning("polling %s failed (will retry): %s", what, error)
        else:
            transient_error = None
            status = status_of(value)
            reason = failed(value) if failed is not None else None
            if reason:
                raise ResourceFailed(f"{what} went to '{status}'{where}: {reason}", resource=resource,
                                     resource_id=resource_id, status=status)
            if done(value):
                return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            detail = f" (the last poll failed: {transient_error})" if transient_error is not None else ""
            raise ResourceTimeout(f"{what} stuck in '{status}' for {timeout:.0f} s{where}{detail}",
                                  resource=resource, resource_id=resource_id, status=status, timeout=timeout)
        time.sleep(min(interval, remaining))
        interval = min(interval * POLL_GROWTH, max_interval)


def _status(record: dict | None) -> str:
    return MISSING if record is None else str(record.get("status") or "unknown")


def _fault(record: dict | None) -> str:
    fault = (record or {}).get("fault") or {}
    return fault.get("message") or "no fault message"


def _wait_status(find: Callable[[], dict | None], statuses, error_statuses: frozenset[str], error_reason: str, *,
                 timeout: float, what: str, where: str, cancel, resource: str, resource_id: str) -> dict:
    """Until the record's status is one of ``statuses``; the record gone, or in an error status that was not asked
    for, fails the wait with ``error_reason``."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)

    def failed(record):
        if record is None:
            return "it no longer exists"
        if record["status"] in error_statuses and record["status"] not in wanted:
            return error_reason
        return None

    return wait_for(find, done=lambda r: r is not None and r["status"] in wanted, status_of=_status, failed=failed,
                    what=what, where=where, timeout=timeout, cancel=cancel, resource=resource,
                    resource_id=resource_id)


def _wait_cinder_deleted(find: Callable[[], dict | None], error_statuses: tuple[str, ...], *, timeout: float,
                         what: str, where: str, cancel, resource: str, resource_id: str) -> None:
    """Until the record is gone; an error status means Cinder gave up deleting it."""
    wait_for(find, done=lambda r: r is None, status_of=_status,
             failed=lambda r: "Cinder could not delete it" if r is not None and r["status"] in error_statuses
             else None,
             what=what, where=where, timeout=timeout, cancel=cancel, resource=resource, resource_id=resource_id)


def _or_none(get: Callable[[str], dict], ident: str) -> dict | None:
    """``get(ident)``, or None once the service says the record is gone."""
    try:
        return get(ident)
    except NotFound:
        return None


# -- Cinder -------------------------------------------------------------------------------------------------------


def wait_volume(volume_api, volume_id: str, statuses, *, timeout: float, what: str | None = None, where: str = "",
                cancel=None) -> dict:
    """Until the volume's status is one of ``statuses``; an error status (not asked for) fails the wait."""
    return _wait_status(lambda: volume_api.find_volume(volume_id), statuses, VOLUME_ERROR_STATUSES,
                        "Cinder reported an error; see 'openstack volume message list' for the cause",
                        timeout=timeout, what=what or f"Volume {volume_id}", where=where, cancel=cancel,
                        resource="volume", resource_id=volume_id)


def attached_to(volume: dict | None, server_id: str) -> dict | None:
    for attachment in (volume or {}).get("attachments") or []:
        if attachment.get("server_id") == server_id:
            return attachment
    return None


def wait_volume_attached(volume_api, volume_id: str, server_id: str, *, timeout: float, what: str | None = None,
                         where: str = "", cancel=None) -> dict:
    """Until Cinder reports the volume ``in-use`` with an attachment to ``server_id``."""
    what = what or f"Volume {volume_id}"

    def failed(volume):
        if volume is None:
            return "it no longer exists"
        if volume["status"] in VOLUME_ERROR_STATUSES:
            return "Cinder reported an error while attaching it"
        if volume["status"] == "available" and attached_to(volume, server_id) is None:
            return "the attach failed and Cinder put the volume back to 'available'"
        return None

    return wait_for(lambda: volume_api.find_volume(volume_id),
                    done=lambda v: v is not None and v["status"] == "in-use" and attached_to(v, server_id) is not None,
                    status_of=_status, failed=failed, what=what, where=where, timeout=timeout, cancel=cancel,
                    resource="volume", resource_id=volume_id)


def wait_volume_detached(volume_api, volume_id: str, server_id: str, *, timeout: float, what: str | None = None,
                         where: str = "", cancel=None) -> dict | None:
    """Until the volume has no attachment to ``server_id`` any more and is not ``detaching`` (or is gone)."""
    what = what or f"Volume {volume_id}"
    return wait_for(lambda: volume_api.find_volume(volume_id),
                    done=lambda v: v is None or (attached_to(v, server_id) is None
                                                 and v["status"] not in ("detaching", "attaching", "reserved")),
                    status_of=_status, what=what, where=where, timeout=timeout, cancel=cancel, resource="volume",
                    resource_id=volume_id)


def wait_volume_deleted(volume_api, volume_id: str, *, timeout: float, what: str | None = None, where: str = "",
                        cancel=None) -> None:
    _wait_cinder_deleted(lambda: volume_api.find_volume(volume_id), ("error_deleting", "error"), timeout=timeout,
                         what=what or f"Volume {volume_id}", where=where, cancel=cancel, resource="volume",
                         resource_id=volume_id)


def wait_snapshot(volume_api, snapshot_id: str, statuses="available", *, timeout: float, what: str | None = None,
                  where: str = "", cancel=None) -> dict:
    return _wait_status(lambda: _or_none(volume_api.get_snapshot, snapshot_id), statuses, SNAPSHOT_ERROR_STATUSES,
                        "Cinder could not make the snapshot; see 'openstack volume message list' for the cause",
                        timeout=timeout, what=what or f"Snapshot {snapshot_id}", where=where, cancel=cancel,
                        resource="snapshot", resource_id=snapshot_id)


def wait_snapshot_deleted(volume_api, snapshot_id: str, *, timeout: float, what: str | None = None, where: str = "",
                          cancel=None) -> None:
    _wait_cinder_deleted(lambda: _or_none(volume_api.get_snapshot, snapshot_id), ("error_deleting",),
                         timeout=timeout, what=what or f"Snapshot {snapshot_id}", where=where, cancel=cancel,
                         resource="snapshot", resource_id=snapshot_id)


def wait_group_snapshot(volume_api, group_snapshot_id: str, *, timeout: float, where: str = "",
                        cancel=None) -> dict:
    return _wait_status(lambda: _or_none(volume_api.get_group_snapshot, group_snapshot_id), "available",
                        frozenset({"error", "error_deleting"}), "Cinder could not make the group snapshot",
                        timeout=timeout, what=f"Group snapshot {group_snapshot_id}", where=where, cancel=cancel,
                        resource="group_snapshot", resource_id=group_snapshot_id)


def wait_group_snapshot_deleted(volume_api, group_snapshot_id: str, *, timeout: float, where: str = "",
                                cancel=None) -> None:
    _wait_cinder_deleted(lambda: _or_none(volume_api.get_group_snapshot, group_snapshot_id), ("error_deleting",),
                         timeout=timeout, what=f"Group snapshot {group_snapshot_id}", where=where, cancel=cancel,
                         resource="group_snapshot", resource_id=group_snapshot_id)


# -- Glance -------------------------------------------------------------------------------------------------------


def wait_image(image_api, image_id: str, statuses="active", *, timeout: float, what: str | None = None,
               where: str = "", cancel=None) -> dict:
    return _wait_status(lambda: image_api.find_image(image_id), statuses, IMAGE_ERROR_STATUSES,
                        "Glance did not receive its data (the upload or snapshot failed)", timeout=timeout,
                        what=what or f"Image {image_id}", where=where, cancel=cancel, resource="image",
                        resource_id=image_id)


# -- Nova ---------------------------------------------------------------------------------------------------------


def wait_server(compute_api, server_id: str, status: str = "ACTIVE", *, timeout: float, what: str | None = None,
                where: str = "", cancel=None) -> dict:
    what = what or f"Server {server_id}"

    def failed(server):
        if server is None:
            return "it no longer exists"
        if server["status"] == "ERROR" and status != "ERROR":
            return f"Nova says: {_fault(server)}"
        return None

    return wait_for(lambda: compute_api.find_server(server_id),
                    done=lambda s: s is not None and s["status"] == status, status_of=_status, failed=failed,
                    what=what, where=where, timeout=timeout, cancel=cancel, resource="server", resource_id=server_id)


def wait_server_deleted(compute_api, server_id: str, *, timeout: float, what: str | None = None, where: str = "",
                        cancel=None) -> None:
    what = what or f"Server {server_id}"
    wait_for(lambda: compute_api.find_server(server_id),
             done=lambda s: s is None or s.get("status") == "DELETED", status_of=_status, what=what, where=where,
             timeout=timeout, cancel=cancel, resource="server", resource_id=server_id)
