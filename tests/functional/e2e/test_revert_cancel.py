# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A revert that ends after it wrote into the volume (cancelled while the volume still hangs on the proxy): the
volume goes back to its server, nothing temporary is left, and the safety snapshot of what the volume held before
stays, out of the job's hands (untagged, named for the volume), and the job says so.

The proxies hold 3 s at every ``detach`` step (``STORAGE_BACKUP_DRILL_PAUSE``), long enough to cancel there.
"""
from __future__ import annotations

import os

import pytest
from storage_backup.cloud import TEMPORARY_TAG

from tests.functional.e2e.support import wait_until
from tests.functional.pipeline.support import volume_digest

WORKER_SETTINGS = {"STORAGE_BACKUP_DRILL_PAUSE": "detach=3"}
pytestmark = pytest.mark.timeout(300)


def test_a_revert_cancelled_after_writing_keeps_the_safety_snapshot(stack):
    web = stack.server_named("web-1")
    stack.client().protect(web.id, stack.policy()["id"])
    data = next(a.volume_id for a in stack.service.compute.volume_attachments(web.id) if a.device != "/dev/vda")
    point = stack.run_backup(web.id)["restore_point_id"]
    device = stack.guest_device(web.id, data)
    with open(device, "r+b") as disk:
        disk.write(os.urandom(4096))
    before = volume_digest(device)

    job = stack.client().revert(point, volume_id=data, confirm=True)
    wait_until(lambda: any(e["step"] == "detach" and "this proxy" in e["message"]
                           for e in stack.client().job_get(job["id"])["log"]), what="the detach from the proxy")
    stack.client().job_cancel(job["id"])
    job = stack.wait_job(job["id"])
    assert job["state"] == "cancelled", job
    said = " ".join(entry["message"] for entry in job["log"])
    snapshots = [s for s in stack.service.block_storage.snapshots(all_projects=True, details=True)
                 if s.volume_id == data]
    assert len(snapshots) == 1, snapshots
    kept = snapshots[0]
    assert kept.name == f"storage-backup-safety-{data}" and TEMPORARY_TAG not in (kept.metadata or {})
    assert f"safety snapshot {kept.id}" in said and "attached to server" in said, said
    assert data in {a.volume_id for a in stack.service.compute.volume_attachments(web.id)}
    assert volume_digest(stack.guest_device(web.id, data)) != before  # the revert had written it
    assert {k: v for k, v in stack.leftovers().items() if k != "snapshots"} == {}
    assert stack.leftovers()["snapshots"] == [f"{kept.id} {kept.name} {kept.status}"]  # the kept one, only


def test_a_revert_cancelled_after_it_stopped_the_server_starts_it_again(stack):
    """``stop_server``: the cancel lands while the volume hangs on the proxy, the server SHUTOFF; the volume goes
    back, and the server is started again although the job is cancelled."""
    web = stack.server_named("web-1")
    data = next(a.volume_id for a in stack.service.compute.volume_attachments(web.id) if a.device != "/dev/vda")
    for snapshot in stack.service.block_storage.snapshots(all_projects=True, details=True):
        if snapshot.volume_id == data and snapshot.name == f"storage-backup-safety-{data}":  # the test above's
            stack.service.block_storage.delete_snapshot(snapshot.id)
            wait_until(lambda s=snapshot: stack.service.block_storage.find_snapshot(s.id, ignore_missing=True)
                       is None, what="the kept snapshot's deletion")
    point = stack.run_backup(web.id)["restore_point_id"]

    job = stack.client().revert(point, volume_id=data, confirm=True, stop_server=True)
    wait_until(lambda: any(e["step"] == "detach" and "this proxy" in e["message"]
                           for e in stack.client().job_get(job["id"])["log"]), what="the detach from the proxy")
    assert stack.service.compute.get_server(web.id).status == "SHUTOFF"  # stopped while its volume is away
    stack.client().job_cancel(job["id"])
    job = stack.wait_job(job["id"])
    assert job["state"] == "cancelled", job
    said = " ".join(entry["message"] for entry in job["log"])
    assert f"Starting server {web.id} again after the failure" in said, said
    assert f"server {web.id} was stopped by the revert and is started again" in said, said
    assert stack.service.compute.get_server(web.id).status == "ACTIVE"
    assert data in {a.volume_id for a in stack.service.compute.volume_attachments(web.id)}
    assert {k: v for k, v in stack.leftovers().items() if k != "snapshots"} == {}
