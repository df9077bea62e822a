# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lock maintenance on a real RGW 16.2 (Object Lock, COMPLIANCE), issue 13's "retention that still works under lock":

- the engine: two restore points sharing packs, the first locked for a month, the destination's retention a day;
  after ``Repository.maintain_locks`` every object either needs is retained (RGW's own answer) at least as long as it
  must, and the objects of a restore point that was deleted are left as they were;
- the product (``tests.functional.e2e.support.Stack`` with an S3 destination of its own RGW user): a retention lock
  set through the API reaches the objects' S3 retention; lock maintenance runs by itself every few seconds; with the
  user's key revoked (``radosgw-admin key rm``) the next pass fails, the destination says why and the admin overview
  shows the alert.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from storage_backup.repository import Repository, S3Destination, S3Settings

from tests.ceph.object_storage import Rgw
from tests.functional.e2e.support import Stack, expect_api_error, wait_until
from tests.support.repository_images import MiB, backup, overwrite, write_image

pytestmark = pytest.mark.timeout(300)
#: Seconds between two passes in the Stack (the margin then asks lock_days >= 12 s).
INTERVAL = 6
#: RGW keeps retention dates to the second.
SLACK = dt.timedelta(seconds=1)


def _retained_until(destination: S3Destination, name: str, version_id: str | None = None) -> dt.datetime:
    retention = destination.retention(name, version_id)
    assert retention is not None and retention.mode == "COMPLIANCE", (name, retention)
    return retention.until


def _current_version(destination: S3Destination, name: str) -> str:
    return destination.client.head_object(Bucket=destination.bucket, Key=destination.prefix + name)["VersionId"]


def test_maintenance_retains_what_each_restore_point_needs_and_nothing_else(rgw: Rgw, tmp_path):
    destination = rgw.destination(prefix="repo", lock_mode="COMPLIANCE", lock_days=1)
    repository = Repository.init(destination, block_size=64 * 1024, pack_size=MiB)
    disk = tmp_path / "disk.img"
    write_image(disk, 3 * MiB)
    first, _ = backup(repository, disk, strategy="full")
    overwrite(disk, MiB, b"changed" * 2000)
    second, _ = backup(repository, disk, strategy="incremental", previous=first)
    other = tmp_path / "other.img"
    write_image(other, 2 * MiB, seed=5, pattern="r")
    gone, _ = backup(repository, other, key="other", strategy="full")
    of_first, of_second = set(repository.objects_of(first)), set(repository.objects_of(second))
    assert of_first & of_second - {f"restore-points/{first}"}, "the incremental reuses the full's packs"
    orphaned = {name: _current_version(destination, name)
                for name in set(repository.objects_of(gone)) - of_first - of_second}
    before = {name: _retained_until(destination, name, version) for name, version in orphaned.items()}
    repository.delete_restore_point(gone)  # a delete marker: its packs and index object are referenced by nobody

    locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    started = dt.datetime.now(dt.UTC)
    report = repository.maintain_locks({first: locked_until})
    assert report.ok and report.restore_points == 2 and report.locked_restore_points == 1, report
    keys = {info.name for info in destination.list("keys/")}
    assert report.objects_checked == len(of_first | of_second | {"config"} | keys)
    for name in of_first | {"config"}:
        assert _retained_until(destination, name) >= locked_until - SLACK, name
    for name in of_second - of_first:
        assert _retained_until(destination, name) >= started + dt.timedelta(days=1) - SLACK, name
    assert len(orphaned) > 2  # its document, a pack or more, its index object
    assert {name: _retained_until(destination, name, version) for name, version in orphaned.items()} == before

    # A second pass finds the month-long ones long enough; COMPLIANCE cannot be shortened, and is never asked to be.
    again = repository.maintain_locks({first: locked_until - dt.timedelta(days=10)})
    assert again.ok and again.objects_long_enough >= len(of_first)


@pytest.fixture(scope="module")
def stack(rgw, tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("lock-stack")),
                  settings={"STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL": str(INTERVAL)})
    try:
        yield stack.start()
    finally:
        stack.stop()


def _rgw_user(rgw: Rgw) -> dict:
    """A user of its own (its key is revoked below, which no other test must feel)."""
    uid = f"lockmaint-{uuid.uuid4().hex[:8]}"
    made = json.loads(rgw.admin("user", "create", f"--uid={uid}", f"--display-name={uid}").stdout)
    key = made["keys"][0]
    return {"uid": uid, "access_key": key["access_key"], "secret_key": key["secret_key"]}


def _jobs(stack, job_type: str, **filters) -> list[dict]:
    return [job for job in stack.client("admin").job_list(all_projects=True) if job["type"] == job_type
            and all(job.get(key) == value for key, value in filters.items())]


def test_a_lock_through_the_product_reaches_s3_and_a_failed_pass_is_an_alert(stack, rgw):
    user = _rgw_user(rgw)
    settings = rgw.settings(f"lockmaint-{uuid.uuid4().hex[:10]}", prefix="product", lock_mode="COMPLIANCE",
                            lock_days=1)
    admin, member = stack.client("admin"), stack.client()
    too_short = S3Settings.from_dict({**settings.__dict__, "lock_days": 0.0001}).location  # 8.6 s < 2 x 6 s
    refused = expect_api_error(400, admin.destination_create, name="too-short", type="s3", path=too_short,
                               credentials={"access_key": user["access_key"], "secret_key": user["secret_key"]})
    assert refused.field == "path" and "lock_days=0.0001 is too short" in refused.message, refused
    destination = admin.destination_create(
        name="rgw-worm", type="s3", path=settings.location,
        credentials={"access_key": user["access_key"], "secret_key": user["secret_key"]})
    policy = member.policy_create(name="to-rgw", destination_id=destination["id"], strategy="full", keep_last=3)
    web = stack.server_named("web-1")
    member.protect(web.id, policy["id"])
    point_id = stack.run_backup(web.id)["restore_point_id"]

    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=20)).replace(microsecond=0)
    member.restore_point_lock(point_id, until.isoformat().replace("+00:00", "Z"))
    lock = wait_until(lambda: [job for job in _jobs(stack, "lock", restore_point_id=point_id)
                               if job["state"] in ("succeeded", "failed")], timeout=60, what="the lock job")[0]
    assert lock["state"] == "succeeded" and lock["result"]["objects_retained"] > 0, lock
    assert not lock["result"]["catalog_only"]
    s3 = S3Destination(settings, {"access_key": user["access_key"], "secret_key": user["secret_key"]})
    names = Repository.open(s3).objects_of(point_id)
    assert lock["result"]["objects_retained"] >= len(names)
    for name in names:
        assert _retained_until(s3, name) >= until - SLACK, name

    # Lock maintenance runs on its own (every INTERVAL seconds), and succeeds.
    # (The stack's only destination with Object Lock: every lock_maintenance job is this destination's.)
    wait_until(lambda: [job for job in _jobs(stack, "lock_maintenance") if job["state"] == "succeeded"],
               timeout=60, what="a lock maintenance pass")

    # The destination's credentials revoked: the next pass fails, and the admin overview says so.
    rgw.admin("key", "rm", f"--uid={user['uid']}", f"--access-key={user['access_key']}")

    def alert():
        entries = admin.overview()["attention"].get("lock_maintenance", [])
        return [entry for entry in entries if entry["destination_id"] == destination["id"]
                and entry["problem"] == "failed"]

    [entry] = wait_until(alert, timeout=60, what="the lock maintenance alert")
    assert "InvalidAccessKeyId" in entry["error"] or "AccessDenied" in entry["error"], entry
    assert entry["protected_until"] and entry["last_success"]
    failed = [job for job in _jobs(stack, "lock_maintenance") if job["state"] == "failed"]
    assert failed and failed[0]["error"][:80] in entry["error"]
