# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Waiting for OpenStack resources to get somewhere, with a named timeout on every wait.

Status waits are openstacksdk's: ``openstack.resource.wait_for_status`` (a volume to ``available``, a server to
``ACTIVE``…) and ``wait_for_delete``. A Cinder deletion waits for ``deleted`` with ``wait_for_status`` instead, a 404
ending it as it ends ``wait_for_delete``, because only ``wait_for_status`` sees ``error_deleting`` and fails at once.
Waits on what is not one status (a volume attached to *this* server, detached from it, a device appearing) poll with
openstacksdk's ``utils.iterate_timeout``. Polls are ``cloud.poll_interval`` apart.

Every wait ends one of three ways: the resource is where it should be (its latest state is returned), it went to an
error status (``ResourceFailed``, naming the resource and the status), or the time ran out (``ResourceTimeout``:
``Volume 3f2… stuck in 'attaching' for 300 s on proxy backup-proxy-nova``). A poll the service fails transiently
(5xx, connection refused) is retried until the deadline. ``cancel`` is called between polls and may raise to
abandon the wait (a cancelled job).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from openstack import exceptions as sdk_exceptions
from openstack import resource as sdk_resource
from openstack import utils as sdk_utils

from .connection import DEFAULT_POLL_INTERVAL, Cloud, get_or_none
from .errors import SDK_ERRORS, ResourceFailed, ResourceNotFound, ResourceTimeout, ServiceUnavailable, from_sdk

LOG = logging.getLogger(__name__)
T = TypeVar("T")
MISSING = "deleted"

VOLUME_ERROR_STATUSES = frozenset({"error", "error_restoring", "error_extending", "error_managing",
                                   "error_deleting", "error_backing-up"})
SNAPSHOT_ERROR_STATUSES = frozenset({"error", "error_deleting"})
IMAGE_ERROR_STATUSES = frozenset({"killed", "deleted", "pending_delete", "deactivated"})
VOLUME_ERROR = "Cinder reported an error; see 'openstack volume message list' for the cause"


def wait_for(poll: Callable[[], T], *, done: Callable[[T], bool], status_of: Callable[[T], str], what: str,
             timeout: float, failed: Callable[[T], str | None] | None = None, where: str = "",
             cancel: Callable[[], None] | None = None, resource: str = "", resource_id: str = "",
             interval: float = DEFAULT_POLL_INTERVAL) -> T:
    """Poll until ``done(poll())``; ``failed(value)`` returns a reason when the resource went wrong.

    ``what`` names the resource for messages (``Volume 3f2…``), ``where`` adds context (`` on proxy X``).
    """
    status = "unknown"
    transient_error: Exception | None = None
    try:
        for _ in sdk_utils.iterate_timeout(timeout, f"{what} timed out", wait=interval):
            if cancel is not None:
                cancel()
            try:
                value = poll()
            except ServiceUnavailable as error:
                transient_error = error
                LOG.warning("polling %s failed (will retry): %s", what, error)
                continue
            transient_error = None
            status = status_of(value)
            reason = failed(value) if failed is not None else None
            if reason:
                raise ResourceFailed(f"{what} went to '{status}'{where}: {reason}", resource=resource,
                                     resource_id=resource_id, status=status)
            if done(value):
                return value
    except sdk_exceptions.ResourceTimeout:
        pass
    raise _timeout(what, where, status, timeout, transient_error, resource, resource_id)


def _timeout(what: str, where: str, status: str, timeout: float, transient_error: Exception | None,
             resource: str, resource_id: str) -> ResourceTimeout:
    detail = f" (the last poll failed: {transient_error})" if transient_error is not None else ""
    return ResourceTimeout(f"{what} stuck in '{status}' for {timeout:.0f} s{where}{detail}", resource=resource,
                           resource_id=resource_id, status=status, timeout=timeout)


def _status(record) -> str:
    return MISSING if record is None else str(getattr(record, "status", None) or "unknown")


# -- openstacksdk's status waits ------------------------------------------------------------------------------------


def wait_for_status(cloud: Cloud, service: str, getter: str, resource_id: str, status: str, *,
                    failures=frozenset(), failure_reason: str | Callable[[object], str] = "", timeout: float,
                    what: str, where: str = "", cancel=None, resource: str = "", gone_ok: bool = False):
    """``openstack.resource.wait_for_status`` on ``cloud.<service>.<getter>(resource_id)`` toward ``status``,
    with the product's timeout, messages and cancel. ``status="deleted"`` with ``gone_ok`` waits for a deletion
    (``wait_for_delete`` when there are no ``failures`` to notice on the way); returns the latest resource (None
    once deleted)."""
    proxy = getattr(cloud, service)
    get = getattr(proxy, getter)
    callback = (lambda _progress: cancel()) if cancel is not None else None
    deadline = time.monotonic() + timeout
    transient_error: Exception | None = None

    def latest():
        try:
            return get(resource_id)
        except ResourceNotFound:
            return None
        except ServiceUnavailable:
            return "unknown"

    while True:
        if cancel is not None:
            cancel()
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            current = get(resource_id)
            if gone_ok and not failures:
                sdk_resource.wait_for_delete(proxy.sdk, current, interval=cloud.poll_interval, wait=remaining,
                                             callback=callback)
                return None
            return sdk_resource.wait_for_status(proxy.sdk, current, status, failures=sorted(failures),
                                                interval=cloud.poll_interval, wait=remaining, callback=callback)
        except (ResourceNotFound, sdk_exceptions.NotFoundException):
            if gone_ok:
                return None
            raise ResourceFailed(f"{what} went to '{MISSING}'{where}: it no longer exists", resource=resource,
                                 resource_id=resource_id, status=MISSING) from None
        except sdk_exceptions.ResourceFailure:
            record = latest()
            found = record if isinstance(record, str) else _status(record)
            if gone_ok and record is None:
                return None
            reason = failure_reason(record) if callable(failure_reason) else failure_reason
            raise ResourceFailed(f"{what} went to '{found}'{where}: {reason}", resource=resource,
                                 resource_id=resource_id, status=found) from None
        except sdk_exceptions.ResourceTimeout:
            record = latest()
            if gone_ok and record is None:
                return None
            found = record if isinstance(record, str) else _status(record)
            raise _timeout(what, where, found, timeout, None, resource, resource_id) from None
        except (ServiceUnavailable, *SDK_ERRORS) as error:
            mapped = from_sdk(error, f"{what}: polling failed", proxy.service_name)
            if not isinstance(mapped, ServiceUnavailable):
                raise mapped from error
            transient_error = mapped
            LOG.warning("polling %s failed (will retry): %s", what, mapped)
            if time.monotonic() >= deadline:
                raise _timeout(what, where, "unknown", timeout, transient_error, resource, resource_id) from None
            time.sleep(min(cloud.poll_interval, max(deadline - time.monotonic(), 0.0)))


# -- Cinder -------------------------------------------------------------------------------------------------------


def wait_volume(cloud: Cloud, volume_id: str, status: str, *, timeout: float, what: str | None = None,
                where: str = "", cancel=None):
    """Until the volume's status is ``status``; an error status (not asked for) fails the wait."""
    return wait_for_status(cloud, "block_storage", "get_volume", volume_id, status,
                           failures=VOLUME_ERROR_STATUSES - {status}, failure_reason=VOLUME_ERROR, timeout=timeout,
                           what=what or f"Volume {volume_id}", where=where, cancel=cancel, resource="volume")


def attached_to(volume, server_id: str) -> dict | None:
    """The volume's attachment (Cinder's view: ``{"server_id", "attachment_id", "device"…}``) to ``server_id``."""
    for attachment in (getattr(volume, "attachments", None) or []):
        if attachment.get("server_id") == server_id:
            return attachment
    return None


def wait_volume_attached(cloud: Cloud, volume_id: str, server_id: str, *, timeout: float, what: str | None = None,
                         where: str = "", cancel=None):
    """Until Cinder reports the volume ``in-use`` with an attachment to ``server_id``. Not one status: a failed
    attach puts the volume back to ``available``, which must fail the wait at once."""
    what = what or f"Volume {volume_id}"

    def failed(volume):
        if volume is None:
            return "it no longer exists"
        if volume.status in VOLUME_ERROR_STATUSES:
            return "Cinder reported an error while attaching it"
        if volume.status == "available" and attached_to(volume, server_id) is None:
            return "the attach failed and Cinder put the volume back to 'available'"
        return None

    return wait_for(lambda: get_or_none(cloud.block_storage.get_volume, volume_id),
                    done=lambda v: v is not None and v.status == "in-use" and attached_to(v, server_id) is not None,
                    status_of=_status, failed=failed, what=what, where=where, timeout=timeout, cancel=cancel,
                    resource="volume", resource_id=volume_id, interval=cloud.poll_interval)


def wait_volume_detached(cloud: Cloud, volume_id: str, server_id: str, *, timeout: float, what: str | None = None,
                         where: str = "", cancel=None):
    """Until the volume has no attachment to ``server_id`` any more and is not ``detaching`` (or is gone)."""
    return wait_for(lambda: get_or_none(cloud.block_storage.get_volume, volume_id),
                    done=lambda v: v is None or (attached_to(v, server_id) is None
                                                 and v.status not in ("detaching", "attaching", "reserved")),
                    status_of=_status, what=what or f"Volume {volume_id}", where=where, timeout=timeout,
                    cancel=cancel, resource="volume", resource_id=volume_id, interval=cloud.poll_interval)


def wait_volume_deleted(cloud: Cloud, volume_id: str, *, timeout: float, what: str | None = None, where: str = "",
                        cancel=None) -> None:
    wait_for_status(cloud, "block_storage", "get_volume", volume_id, MISSING, failures={"error_deleting", "error"},
                    failure_reason="Cinder could not delete it", timeout=timeout, what=what or f"Volume {volume_id}",
                    where=where, cancel=cancel, resource="volume", gone_ok=True)


def wait_snapshot(cloud: Cloud, snapshot_id: str, status: str = "available", *, timeout: float,
                  what: str | None = None, where: str = "", cancel=None):
    return wait_for_status(cloud, "block_storage", "get_snapshot", snapshot_id, status,
                           failures=SNAPSHOT_ERROR_STATUSES - {status},
                           failure_reason="Cinder could not make the snapshot; see 'openstack volume message list' "
                                          "for the cause",
                           timeout=timeout, what=what or f"Snapshot {snapshot_id}", where=where, cancel=cancel,
                           resource="snapshot")


def wait_snapshot_deleted(cloud: Cloud, snapshot_id: str, *, timeout: float, what: str | None = None,
                          where: str = "", cancel=None) -> None:
    wait_for_status(cloud, "block_storage", "get_snapshot", snapshot_id, MISSING, failures={"error_deleting"},
                    failure_reason="Cinder could not delete it", timeout=timeout,
                    what=what or f"Snapshot {snapshot_id}", where=where, cancel=cancel, resource="snapshot",
                    gone_ok=True)


def wait_group_snapshot(cloud: Cloud, group_snapshot_id: str, *, timeout: float, where: str = "", cancel=None):
    return wait_for_status(cloud, "block_storage", "get_group_snapshot", group_snapshot_id, "available",
                           failures={"error", "error_deleting"},
                           failure_reason="Cinder could not make the group snapshot", timeout=timeout,
                           what=f"Group snapshot {group_snapshot_id}", where=where, cancel=cancel,
                           resource="group_snapshot")


def wait_group_snapshot_deleted(cloud: Cloud, group_snapshot_id: str, *, timeout: float, where: str = "",
                                cancel=None) -> None:
    wait_for_status(cloud, "block_storage", "get_group_snapshot", group_snapshot_id, MISSING,
                    failures={"error_deleting"}, failure_reason="Cinder could not delete it", timeout=timeout,
                    what=f"Group snapshot {group_snapshot_id}", where=where, cancel=cancel,
                    resource="group_snapshot", gone_ok=True)


# -- Glance -------------------------------------------------------------------------------------------------------


def wait_image(cloud: Cloud, image_id: str, status: str = "active", *, timeout: float, what: str | None = None,
               where: str = "", cancel=None):
    return wait_for_status(cloud, "image", "get_image", image_id, status, failures=IMAGE_ERROR_STATUSES - {status},
                           failure_reason="Glance did not receive its data (the upload or snapshot failed)",
                           timeout=timeout, what=what or f"Image {image_id}", where=where, cancel=cancel,
                           resource="image")


# -- Nova ---------------------------------------------------------------------------------------------------------


def _fault(server) -> str:
    fault = getattr(server, "fault", None) or {}
    return f"Nova says: {fault.get('message') or 'no fault message'}"


def wait_server(cloud: Cloud, server_id: str, status: str = "ACTIVE", *, timeout: float, what: str | None = None,
                where: str = "", cancel=None):
    return wait_for_status(cloud, "compute", "get_server", server_id, status,
                           failures=set() if status == "ERROR" else {"ERROR"}, failure_reason=_fault,
                           timeout=timeout, what=what or f"Server {server_id}", where=where, cancel=cancel,
                           resource="server")


def wait_server_deleted(cloud: Cloud, server_id: str, *, timeout: float, what: str | None = None, where: str = "",
                        cancel=None) -> None:
    wait_for_status(cloud, "compute", "get_server", server_id, MISSING, timeout=timeout,
                    what=what or f"Server {server_id}", where=where, cancel=cancel, resource="server", gone_ok=True)
