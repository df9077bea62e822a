# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the control plane does on its own: retention (every 2 s here) deletes restore points a policy no longer
keeps, from the catalog at once and from the repository by a ``delete`` job on the data worker, and the ``prune`` job
after it gives the space back; a WORM-locked restore point stays whatever the rules say (409 on DELETE, admin
included); a policy scheduled every minute makes a restore point with nobody asking.

The scheduled policy is made first so that its minute passes while the retention tests run.
"""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from tests.functional.e2e.support import expect_api_error, wait_until

STACK_SETTINGS = {"STORAGE_BACKUP_RETENTION_SECONDS": "2"}
MIB = 1024 * 1024
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _pack_bytes(path: str) -> int:
    """What the repository's packs take on disk."""
    total = 0
    for root, _, names in os.walk(os.path.join(path, "data")):
        total += sum(os.stat(os.path.join(root, name)).st_blocks * 512 for name in names)
    return total


def _guest_writes_random(stack, server_id: str, volume_id: str, offset: int, size: int) -> None:
    with open(stack.guest_device(server_id, volume_id), "r+b") as device:
        device.seek(offset)
        device.write(os.urandom(size))
        device.flush()
        os.fsync(device.fileno())


def test_a_policy_scheduled_every_minute_is_made(stack):
    policy = stack.policy("alt-member", name="every-minute", schedule="* * * * *", timezone="Europe/Warsaw",
                          keep_last=5)
    assert policy["next_run_at"]
    alt_vm = stack.server_named("alt-vm-1")
    stack.client("alt-member").protect(alt_vm.id, policy["id"])
    STATE.update(scheduled=policy, alt_vm=alt_vm, scheduled_at=time.monotonic())


def test_retention_deletes_older_restore_points_from_the_repository_and_prunes(stack):
    path, repository = stack.new_repository("repository-keep-one")
    destination = stack.client("admin").destination_create(name="keep-one", path=path)
    member = stack.client()
    policy = member.policy_create(name="keep-one", destination_id=destination["id"], keep_last=1,
                                  strategy="incremental")
    web = stack.server_named("web-1")
    member.protect(web.id, policy["id"])
    data = next(a.volume_id for a in stack.service.compute.volume_attachments(web.id) if a.device != "/dev/vda")

    _guest_writes_random(stack, web.id, data, 200 * MIB, 8 * MIB)  # incompressible: it shows in the packs
    first = stack.run_backup(web.id)["restore_point_id"]
    _guest_writes_random(stack, web.id, data, 200 * MIB, 8 * MIB)  # the same blocks, new data
    second = stack.run_backup(web.id)["restore_point_id"]
    assert _pack_bytes(repository) > 16 * MIB  # both versions of the 8 MiB are stored

    wait_until(lambda: [p["id"] for p in member.restore_point_list(instance_id=web.id)] == [second],
               timeout=30, what="retention to delete the older restore point")
    expect_api_error(404, member.restore_point_get, first)
    deleted = wait_until(lambda: [j for j in member.job_list() if j["type"] == "delete" and j["state"] == "succeeded"],
                         timeout=30, what="the delete job on the data worker")
    assert deleted[0]["scheduled"] and deleted[0]["result"]["deleted"] == [first]
    assert any(first in entry["message"] for entry in deleted[0]["log"] if entry["step"] == "deleted")
    assert first not in os.listdir(os.path.join(repository, "restore-points")) and \
        second in os.listdir(os.path.join(repository, "restore-points"))

    # The prune after it: the first version of the 8 MiB is gone from the disk.
    wait_until(lambda: _pack_bytes(repository) < 12 * MIB, timeout=30, what="the prune to give the space back")
    prunes = wait_until(lambda: [j for j in stack.client("admin").job_list(all_projects=True)
                                 if j["type"] == "prune" and j["state"] == "succeeded"
                                 and j["result"]["bytes_freed"] > 0], timeout=30, what="the prune job")
    assert prunes[0]["result"]["bytes_freed"] >= 8 * MIB
    # What is kept is whole.
    verified = stack.wait_job(member.verify(second)["id"])
    assert verified["state"] == "succeeded", verified
    member.unprotect(web.id)


def test_a_worm_locked_restore_point_outlives_the_rules(stack):
    member, admin = stack.client(), stack.client("admin")
    policy = stack.policy(name="locked", keep_last=1, retention_lock_days=1, strategy="full")
    app = stack.server_named("app-1")
    member.protect(app.id, policy["id"])
    points = [stack.run_backup(app.id)["restore_point_id"] for _ in range(2)]
    until = dt.datetime.fromisoformat(member.restore_point_get(points[0])["retention_lock_until"])
    assert until > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    time.sleep(5)  # retention has run twice since: keep_last=1 would delete the first, the lock keeps it
    assert {p["id"] for p in member.restore_point_list(instance_id=app.id)} == set(points)
    for client in (member, admin):
        error = expect_api_error(409, client.restore_point_delete, points[0])
        assert "retention lock" in error.message
    assert member.restore_point_get(points[0])["locked"] is True


def test_the_scheduled_policy_made_a_restore_point_on_its_own(stack):
    alt, alt_vm = stack.client("alt-member"), STATE["alt_vm"]
    points = wait_until(lambda: alt.restore_point_list(instance_id=alt_vm.id), timeout=150, interval=1,
                        what="a scheduled restore point")
    assert points[0]["policy_id"] == STATE["scheduled"]["id"]
    job = alt.job_get(points[0]["job_id"])
    assert job["scheduled"] is True and job["state"] == "succeeded" and job["type"] == "backup"
    assert job["log"][0]["message"].startswith("Scheduled")
    assert alt.policy_get(STATE["scheduled"]["id"])["last_scheduled_at"]
    assert stack.leftovers() == {}
