# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The cloud fails under a running backup: a snapshot goes to error, an attach or a detach never completes, the
temporary volume is over quota, the source volume or the instance vanishes mid-backup."""
from __future__ import annotations

import pytest
from storage_backup.cloud.waiting import wait_server_deleted, wait_volume, wait_volume_attached

from tests.faults.matrix import (
    backup_under_fault,
    pausing_worker,
    plain_worker,
    points_of,
    protected_instance,
    recover,
    wait_step,
)
from tests.functional.e2e.support import wait_until
from tests.support.instances import create_volume


@pytest.fixture(scope="module")
def policy(stack):
    return stack.policy(name="matrix-cloud", strategy="incremental")


def _with_data_volume(stack, server: dict) -> str:
    volume = create_volume(stack.handle.session("demo-member"), f"{server['name']}-data")
    stack.demo.compute.create_volume_attachment(server["id"], volume["id"])
    wait_volume_attached(stack.service, volume["id"], server["id"], timeout=60)
    return volume["id"]


@pytest.mark.fault("snapshot of one volume of a two-volume instance goes to error",
                   "job failed naming the snapshot; the other snapshot deleted")
def test_snapshot_error_on_one_of_two_volumes(stack, policy, drill):
    server = protected_instance(stack, policy, "snap-error")
    _with_data_volume(stack, server)
    before = points_of(stack, server["id"])
    job = backup_under_fault(stack, drill, server, "snapshot.create", "error")
    assert job["state"] == "failed" and "Snapshot " in job["error"], job
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("attach of the copy to the proxy never completes", "job failed after the attach timeout; swept")
def test_attach_never_completes(stack, policy, drill):
    server = protected_instance(stack, policy, "attach-hang")
    before = points_of(stack, server["id"])
    job = backup_under_fault(stack, drill, server, "volume.attach", "hang")
    assert job["state"] == "failed" and "attach" in job["error"].lower(), job
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("detach of the copy from the proxy never completes",
                   "the copy stuck in 'detaching' is force-detached and deleted by the sweeper")
def test_detach_never_completes(stack, policy, drill):
    server = protected_instance(stack, policy, "detach-hang")
    before = points_of(stack, server["id"])
    job = backup_under_fault(stack, drill, server, "volume.detach", "hang")
    # The data was read before the release: the restore point may stand; the stuck copy is the sweeper's.
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("the temporary volume is over the project's quota", "job failed naming the quota; nothing left")
def test_quota_for_the_temporary_volume(stack, policy, drill):
    server = protected_instance(stack, policy, "temp-quota")
    before = points_of(stack, server["id"])
    job = backup_under_fault(stack, drill, server, "volume.create", "quota")
    assert job["state"] == "failed" and "quota" in job["error"].lower(), job
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("a data volume detached and deleted before its snapshot",
                   "job failed naming the volume; the next backup takes what is left")
def test_source_volume_deleted_mid_backup(stack, policy, drill):
    server = protected_instance(stack, policy, "volume-gone")
    data_id = _with_data_volume(stack, server)
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "snapshot=6")  # the job has listed the disks; the tenant acts before the snapshots
    try:
        job = stack.client().backup_create(server["id"])
        wait_step(stack, job["id"], "snapshot")
        drill.restart_clock()
        stack.demo.compute.delete_volume_attachment(data_id, server["id"])
        wait_volume(stack.service, data_id, "available", timeout=60)
        stack.demo.block_storage.delete_volume(data_id)
        job = stack.wait_job(job["id"], timeout=90)
    finally:
        plain_worker(stack, "nova")
    assert job["state"] == "failed" and data_id in job["error"], job
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("the instance deleted while its volume is being read",
                   "the backup completes from its snapshot; the restore point restores")
def test_instance_deleted_mid_backup(stack, policy, drill):
    server = protected_instance(stack, policy, "instance-gone")
    pausing_worker(stack, "nova", "read=4")
    try:
        job = stack.client().backup_create(server["id"])
        wait_step(stack, job["id"], "read")
        drill.restart_clock()
        stack.demo.compute.delete_server(server["id"])
        wait_server_deleted(stack.service, server["id"], timeout=60)
        job = stack.wait_job(job["id"], timeout=90)
    finally:
        plain_worker(stack, "nova")
    drill.job_ended(job)
    assert job["state"] == "succeeded", job  # what was read came from the snapshot: the instance is protected
    wait_until(lambda: stack.leftovers() == {}, timeout=60, interval=0.5, what="the sweep")
    stack.run_restore(job["restore_point_id"])  # the lost instance comes back from its last restore point
    drill.recovered()
