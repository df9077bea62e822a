# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Failures, injected with the embedded cloud's faults, and cancellation: every job ends with a clear error and
leaves no snapshot, volume, image or attachment behind (checked with the admin account after each job)."""
from __future__ import annotations

import uuid

import pytest
import redis
from storage_backup.cloud import TEMPORARY_TAG
from storage_backup.cloud.waiting import wait_snapshot_deleted, wait_volume_deleted
from storage_backup.pipeline.errors import JobCancelled

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(autouse=True)
def no_faults_left(pipeline_cloud):
    pipeline_cloud.clear_faults()
    yield
    pipeline_cloud.clear_faults()


@pytest.fixture(scope="module")
def web(pipeline_cloud):
    return pipeline_cloud.server_named("web-1")


@pytest.fixture(scope="module")
def restore_point(pipeline_cloud, web):
    return pipeline_cloud.backup(web, strategy="full").result["restore_point_id"]


@pytest.mark.parametrize(("operation", "mode", "code", "message"), [
    ("snapshot.create", "error", "resource_failed", "went to 'error': Cinder could not make the snapshot"),
    ("snapshot.create", "quota", "over_quota", "Maximum number of snapshots allowed"),
    ("volume.create", "quota", "over_quota", "exceeds allowed gigabytes quota"),
    ("volume.create", "error", "resource_failed", "went to 'error'"),
    ("volume.attach", "hang", "resource_timeout", "stuck in 'attaching' for 8 s on proxy backup-proxy-nova"),
    ("volume.attach", "error", "resource_failed", "the attach failed"),
])
def test_a_failing_step_fails_the_backup_and_leaks_nothing(pipeline_cloud, web, operation, mode, code, message):
    pipeline_cloud.arm_fault(operation, mode)
    outcome = pipeline_cloud.backup(web, expect="FAILURE")
    assert outcome.code == code and outcome.failure.retryable is False, outcome.error
    assert message in str(outcome.error)
    assert pipeline_cloud.leftovers() == {}


def test_a_failed_create_image_fails_the_backup_of_an_image_booted_server(pipeline_cloud):
    app = pipeline_cloud.server_named("app-1")
    pipeline_cloud.arm_fault("image.create", "error")
    outcome = pipeline_cloud.backup(app, expect="FAILURE")
    assert outcome.code == "resource_failed"
    assert "(createImage of root disk of app-1) went to 'killed'" in str(outcome.error)
    assert pipeline_cloud.leftovers() == {}


@pytest.mark.parametrize("operation", ["volume.delete", "snapshot.delete"])
def test_a_delete_that_fails_once_is_forced_and_the_backup_succeeds(pipeline_cloud, web, operation):
    pipeline_cloud.arm_fault(operation, "error")
    result = pipeline_cloud.backup(web).result
    assert result["restore_point_id"]
    assert any("force-deleting" in warning for warning in result["warnings"]), result["warnings"]
    assert result["cleanup_problems"] == []
    assert pipeline_cloud.leftovers() == {}


def test_a_delete_that_keeps_failing_is_reported_and_left_tagged_for_the_sweeper(pipeline_cloud, web):
    cloud = pipeline_cloud
    cloud.arm_fault("volume.delete", "error", count=50)
    job_id = str(uuid.uuid4())
    result = cloud.backup(web, job_id=job_id).result
    assert result["restore_point_id"]  # the data is safe: the job succeeds and says what it could not remove
    assert len(result["cleanup_problems"]) == 4  # two temporary volumes, and the two snapshots they pin
    assert any("error_deleting" in problem for problem in result["cleanup_problems"])
    left = cloud.leftovers()
    assert set(left) == {"volumes", "snapshots"}
    for volume in cloud.service.block_storage.volumes(all_projects=True):
        if volume.name.startswith("storage-backup-"):
            assert volume.name.startswith(f"storage-backup-{job_id}-")
            assert volume.metadata[TEMPORARY_TAG] == job_id
    for snapshot in cloud.service.block_storage.snapshots(all_projects=True):
        assert snapshot.name.startswith(f"storage-backup-{job_id}-")
        assert snapshot.metadata[TEMPORARY_TAG] == job_id
    _sweep(cloud)


def _sweep(cloud) -> None:
    """What the control plane's sweeper does with a job's leftovers, so the next tests start clean."""
    cloud.clear_faults()
    for volume in list(cloud.service.block_storage.volumes(all_projects=True)):
        if volume.name.startswith("storage-backup-"):
            cloud.service.block_storage.delete_volume(volume.id, force=True)
            wait_volume_deleted(cloud.service, volume.id, timeout=30)
    for snapshot in list(cloud.service.block_storage.snapshots(all_projects=True)):
        cloud.service.block_storage.delete_snapshot(snapshot.id)
        wait_snapshot_deleted(cloud.service, snapshot.id, timeout=30)
    assert cloud.leftovers() == {}


def test_a_cleanup_failure_is_added_to_the_error_and_never_replaces_it(pipeline_cloud, web):
    cloud = pipeline_cloud
    cloud.arm_fault("volume.attach", "hang")
    cloud.arm_fault("volume.delete", "error", count=50)
    outcome = cloud.backup(web, expect="FAILURE")
    assert outcome.code == "resource_timeout"  # the job's own error, not the cleanup's
    message = str(outcome.error)
    assert message.index("stuck in 'attaching' for 8 s") < message.index("; cleanup left: volume ")
    assert "error_deleting" in message and message.endswith("(tagged for the sweeper)")
    _sweep(cloud)


def test_a_backup_sent_to_the_wrong_zone_is_refused(pipeline_cloud, web):
    outcome = pipeline_cloud.backup(web, zone="az2", expect="FAILURE")
    assert outcome.code == "wrong_proxy"
    assert "Send the job to queue proxy.nova" in str(outcome.error)
    assert pipeline_cloud.leftovers() == {}


def test_cancel_while_an_attach_hangs_cleans_up(pipeline_cloud, web):
    cloud = pipeline_cloud
    cloud.arm_fault("volume.attach", "hang")
    store = redis.Redis.from_url(cloud.redis.url)
    job_id = str(uuid.uuid4())
    request = {"job_id": job_id, "project_id": web.project_id, "instance_id": web.id, "strategy": "full",
               "destination": cloud.destination(), "repository_secret": None, "labels": {}}

    def cancel_once_attaching(progress: dict) -> None:
        if progress.get("step") == "attach":
            store.set(f"storage-backup:cancel:{job_id}", "1", ex=86400)

    outcome = cloud.wait(cloud.send("proxy.backup_instance", request, "nova"), on_progress=cancel_once_attaching)
    assert outcome.code == "cancelled", outcome.error
    assert "stuck" not in str(outcome.error)  # it stopped on the cancel, not on the attach timeout
    assert cloud.leftovers() == {}


def test_cancel_before_the_job_starts(pipeline_cloud, web):
    cloud = pipeline_cloud
    job_id = str(uuid.uuid4())
    redis.Redis.from_url(cloud.redis.url).set(f"storage-backup:cancel:{job_id}", "1", ex=86400)
    outcome = cloud.backup(web, job_id=job_id, expect="FAILURE")
    assert outcome.code == "cancelled"
    assert cloud.leftovers() == {}


def test_cancel_while_reading_stops_the_engine_and_cleans_up(pipeline_cloud, web):
    """In-process (the Celery path of a cancel is tested above): the cancel arrives when the read step starts, so the
    repository engine itself must notice it between blocks, stop, and leave no restore point."""
    from storage_backup.contract import BackupRequest
    from storage_backup.pipeline.backup import backup_instance
    from storage_backup.pipeline.cancellation import CancelToken
    from storage_backup.pipeline.context import JobContext, Timeouts
    from storage_backup.pipeline.joblog import JobLog
    from storage_backup.pipeline.progress import ProgressReporter
    from storage_backup.proxy.identity import ProxyIdentity
    from storage_backup.repository import Repository

    cloud = pipeline_cloud
    job_id = str(uuid.uuid4())
    token = CancelToken(job_id)

    def cancel_when_reading(meta: dict) -> None:
        if meta["step"] == "read":
            token.set("cancel requested")

    proxy_id = cloud.proxy_servers["nova"]
    ctx = JobContext(job_id=job_id, cloud=cloud.service, proxy=ProxyIdentity("nova", proxy_id,
                                                                             cloud.device_root(proxy_id), "", ""),
                     log=JobLog(job_id), progress=ProgressReporter(cancel_when_reading), cancel=token,
                     timeouts=Timeouts(attach=30, device=30))
    request = {"job_id": job_id, "project_id": web.project_id, "instance_id": web.id, "strategy": "full",
               "destination": cloud.destination(), "labels": {}}
    with pytest.raises(JobCancelled, match="cancelled while reading"):
        backup_instance(ctx, BackupRequest.from_message(request))
    assert any(entry["step"] == "read" for entry in ctx.log.entries)
    assert Repository.open(cloud.repository).list_restore_points(labels={"job_id": job_id}) == []
    assert cloud.leftovers() == {}


def _tenant_volumes(cloud, project_id: str) -> set[str]:
    return {v.id for v in cloud.service.block_storage.volumes(all_projects=True) if v.project_id == project_id}


def test_a_restore_whose_server_fails_removes_everything_it_made(pipeline_cloud, web, restore_point):
    cloud = pipeline_cloud
    volumes_before = _tenant_volumes(cloud, web.project_id)
    cloud.arm_fault("server.create", "error")
    request = cloud.restore_request(restore_point, web.project_id, name="web-1-doomed")
    outcome = cloud.run("proxy.restore_instance", request, "nova", expect="FAILURE")
    assert outcome.code == "resource_failed"
    assert "(web-1-doomed) went to 'ERROR': Nova says: No valid host was found" in str(outcome.error)
    assert _tenant_volumes(cloud, web.project_id) == volumes_before
    assert not [s for s in cloud.service.compute.servers(all_projects=True) if s.name == "web-1-doomed"]
    assert cloud.leftovers() == {}


def test_a_restore_over_quota_removes_what_it_made(pipeline_cloud, web, restore_point):
    cloud = pipeline_cloud
    volumes_before = _tenant_volumes(cloud, web.project_id)
    cloud.arm_fault("volume.create", "quota")
    request = cloud.restore_request(restore_point, web.project_id, name="web-1-quota")
    outcome = cloud.run("proxy.restore_instance", request, "nova", expect="FAILURE")
    assert outcome.code == "over_quota"
    assert _tenant_volumes(cloud, web.project_id) == volumes_before
    assert cloud.leftovers() == {}


def test_a_restore_with_an_unknown_flavor_fails_before_making_anything(pipeline_cloud, web, restore_point):
    cloud = pipeline_cloud
    request = cloud.restore_request(restore_point, web.project_id, flavor_id="no-such-flavor")
    outcome = cloud.run("proxy.restore_instance", request, "nova", expect="FAILURE")
    assert outcome.code == "invalid_request"
    assert "flavor no-such-flavor does not exist" in str(outcome.error)


def test_a_pre_snapshot_command_that_cannot_run_stops_the_backup_before_any_snapshot(pipeline_cloud, web):
    command = {"command": "fsfreeze -f /srv", "user": "debian", "private_key": "not a key", "port": 22,
               "timeout": 5, "on_failure": "abort", "known_hosts": None, "host_key_policy": "reject"}
    outcome = pipeline_cloud.backup(web, pre_command=command, post_command=dict(command, command="fsfreeze -u /srv"),
                                    expect="FAILURE")
    assert outcome.code == "guest_command_failed"
    assert "private key could not be read" in str(outcome.error)
    assert pipeline_cloud.leftovers() == {}


def test_after_all_that_the_cloud_still_backs_up_and_restores_the_volumes_asked_for(pipeline_cloud, web):
    cloud = pipeline_cloud
    result = cloud.backup(web).result
    root = result["volumes"][0]["volume_id"]
    restored = cloud.run("proxy.restore_instance", cloud.restore_request(
        result["restore_point_id"], web.project_id, name="web-1-final", volumes=[root]), "nova").result
    assert list(restored["volume_ids"]) == [root]  # the data volume was not asked for
    server = cloud.service.compute.get_server(restored["server_id"])
    assert server.status == "ACTIVE" and len(server.attached_volumes) == 1
    assert cloud.leftovers() == {}
