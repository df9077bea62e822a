# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Fault injection: make the next N operations of a kind fail, the way real clouds fail.

Armed over HTTP by an admin (``POST /_sandbox/faults``) or by a test holding the ``State``. Services call
``take(state, "snapshot.create")`` at the point where the real service could fail and act on the mode returned.

Operations and the modes a test can ask for:

=====================  ==========================================================================
operation              modes
=====================  ==========================================================================
volume.create          ``quota`` (413 overLimit at once), ``error`` (ends in status ``error``), ``hang`` (stays
                       ``creating`` forever: a cinder-volume that died mid-create)
volume.delete          ``error`` (ends in ``error_deleting``), ``hang`` (stays ``deleting`` forever)
volume.attach          ``hang`` (stays ``attaching`` forever), ``error`` (back to ``available``)
volume.detach          ``hang`` (stays ``detaching`` forever), ``error``
snapshot.create        ``error`` (ends in status ``error``), ``quota``, ``hang`` (stays ``creating`` forever)
snapshot.delete        ``error`` (ends in ``error_deleting``), ``hang`` (stays ``deleting`` forever)
server.create          ``error`` (ends in ``ERROR``)
image.create           ``error`` (createImage's image ends ``killed``), ``hang`` (an image-booted server's image
                       stays ``saving``: nova-compute died mid-upload)
any operation          ``http500`` (the API answers 500 at once)
=====================  ==========================================================================
"""
from __future__ import annotations

from storage_backup_sandbox.http import ApiError, Call, Service, json_response
from storage_backup_sandbox.keystone import require_admin
from storage_backup_sandbox.state import State

OPERATIONS = {
    "volume.create": {"quota", "error", "hang", "http500"},
    "volume.delete": {"error", "hang", "http500"},
    "volume.attach": {"hang", "error", "http500"},
    "volume.detach": {"hang", "error", "http500"},
    "snapshot.create": {"error", "quota", "hang", "http500"},
    "snapshot.delete": {"error", "hang", "http500"},
    "server.create": {"error", "http500"},
    "image.create": {"error", "hang", "http500"},
}

control = Service("sandbox", "/_sandbox")


def arm(state: State, operation: str, count: int = 1, mode: str = "error") -> dict:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; known: {', '.join(sorted(OPERATIONS))}")
    if mode not in OPERATIONS[operation]:
        raise ValueError(f"mode {mode!r} is not available for {operation}; use one of "
                         f"{', '.join(sorted(OPERATIONS[operation]))}")
    if count < 1:
        raise ValueError("count must be at least 1")
    with state.lock:
        record = {"id": operation, "operation": operation, "mode": mode, "remaining": count}
        return state.put("faults", record)


def take(state: State, operation: str) -> str | None:
    """Consume one armed fault for ``operation``; returns its mode, or None when the operation succeeds."""
    with state.lock:
        record = state.get("faults", operation)
        if not record:
            return None
        record["remaining"] -= 1
        if record["remaining"] <= 0:
            state.delete("faults", operation)
        state.touch()
        if record["mode"] == "http500":
            raise ApiError(500, f"Injected fault: {operation} failed.")
        return record["mode"]


def clear(state: State) -> None:
    with state.lock:
        state.table("faults").clear()
        state.touch()


@control.route("/faults")
def list_faults(call: Call):
    require_admin(call)
    return 200, {"faults": list(call.state.table("faults").values())}


@control.route("/faults", methods="POST")
def post_fault(call: Call):
    require_admin(call)
    body = call.json()
    try:
        record = arm(call.state, str(body.get("operation")), int(body.get("count", 1)), str(body.get("mode", "error")))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, str(exc)) from None
    return 201, {"fault": record}


@control.route("/faults", methods="DELETE")
def delete_faults(call: Call):
    require_admin(call)
    clear(call.state)
    return 204, None


@control.route("/health", public=True)
def health(call: Call):
    return json_response(200, {"status": "ok"})
