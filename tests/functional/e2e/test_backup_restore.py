# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The tenant's day, through the REST API only: an admin makes a destination; ``demo-member`` makes a policy,
protects ``web-1`` and backs it up (queued → running with progress → succeeded, a restore point with its figures),
the guest changes data, an incremental backup stores only the changed blocks, the instance comes back in ``az2``
under a new name and one volume alone — every disk byte for byte what it held at backup time.

The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import os
import re

import pytest

from tests.functional.e2e.support import expect_api_error, wait_until
from tests.functional.pipeline.support import volume_digest

BLOCK = 256 * 1024  # the repository's block size
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _digests(stack, server_id: str) -> dict:
    return {a.volume_id: volume_digest(stack.guest_device(server_id, a.volume_id))
            for a in stack.service.compute.volume_attachments(server_id)}


def test_an_admin_makes_a_destination_and_the_tenant_a_policy(stack):
    destination = stack.client("admin").destination_create(name="e2e-repository", path=stack.repository_path)
    assert destination["path"] == stack.repository_path and "repository_secret" not in destination
    policy = stack.client().policy_create(name="daily", destination_id=destination["id"], strategy="incremental",
                                          keep_last=7, retention_lock_days=0)
    assert policy["project_id"] == stack.project_id("demo-member")
    web = stack.server_named("web-1")
    protected = stack.client().protect(web.id, policy["id"])
    assert (protected["policy_id"], protected["availability_zone"]) == (policy["id"], "nova")
    attachments = list(stack.service.compute.volume_attachments(web.id))
    STATE.update(destination=destination, policy=policy, web=web,
                 root=next(a.volume_id for a in attachments if a.device == "/dev/vda"),
                 data=next(a.volume_id for a in attachments if a.device != "/dev/vda"))


def test_a_full_backup_goes_queued_running_succeeded_with_progress(stack):
    web = STATE["web"]
    STATE["digests_1"] = _digests(stack, web.id)
    job = stack.client().backup_create(web.id)
    assert job["state"] == "queued" and job["type"] == "backup"
    seen: list[dict] = []
    job = stack.wait_job(job["id"], seen=seen)
    assert job["state"] == "succeeded", job
    states = [answer["state"] for answer in seen]
    assert states[0] in ("queued", "running") and "running" in states and states[-1] == "succeeded"
    running = [answer["progress"] for answer in seen if answer["state"] == "running" and answer["progress"]["step"]]
    assert running, f"no progress was visible while the job ran: {seen}"
    assert all({"percent", "bytes_read", "bytes_total", "step"} <= set(progress) for progress in running)
    assert any(progress["bytes_total"] >= 3 * 1024 ** 3 for progress in running), seen
    assert any(progress["bytes_read"] > 0 for progress in running), seen
    assert job["progress"]["percent"] == 100
    steps = [entry["step"] for entry in job["log"]]
    for step in ("queued", "submitted", "running", "snapshot", "attach", "read", "commit", "recorded"):
        assert step in steps, f"{step} missing from the job log: {steps}"
    assert job["proxy"].startswith("proxy-nova@")

    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["instance_id"] == web.id and point["policy_id"] == STATE["policy"]["id"]
    assert point["strategy"] == "full"  # asked incremental, but nothing earlier held these disks
    assert point["consistency"] == "per-volume"
    assert point["bytes_total"] == 3 * 1024 ** 3
    assert 0 < point["bytes_stored"] <= point["bytes_read"]
    assert {volume["volume_id"] for volume in point["volumes"]} == {STATE["root"], STATE["data"]}
    assert all(volume["size"] > 0 and volume["strategy"] == "full" for volume in point["volumes"])
    assert point["locked"] is False and point["retention_lock_until"] is None
    listed = stack.client().restore_point_list(instance_id=web.id)
    assert [p["id"] for p in listed] == [point["id"]]
    STATE["rp_1"] = point
    assert stack.leftovers() == {}


def test_an_incremental_backup_stores_only_the_changed_blocks(stack):
    web, data = STATE["web"], STATE["data"]
    writes = [(64 * 1024 * 1024 + 512, os.urandom(4096)), (400 * 1024 * 1024, os.urandom(4096))]
    with open(stack.guest_device(web.id, data), "r+b") as device:  # the guest writes to its disk
        for offset, payload in writes:
            device.seek(offset)
            device.write(payload)
        device.flush()
        os.fsync(device.fileno())
    STATE["digests_2"] = _digests(stack, web.id)

    job = stack.run_backup(web.id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["strategy"] == "incremental"
    volumes = {volume["volume_id"]: volume for volume in point["volumes"]}
    assert volumes[data]["strategy"] == "incremental" and volumes[data]["parent"] == STATE["rp_1"]["id"]
    assert volumes[data]["blocks_new"] == len({offset // BLOCK for offset, _ in writes})
    assert volumes[STATE["root"]]["blocks_new"] == 0
    assert point["bytes_stored"] <= 2 * BLOCK + 128 * 1024  # the changed blocks and the changed map segments
    assert point["bytes_stored"] < STATE["rp_1"]["bytes_stored"] / 10
    STATE["rp_2"] = point
    assert [p["id"] for p in stack.client().restore_point_list(instance_id=web.id)] == \
        [STATE["rp_2"]["id"], STATE["rp_1"]["id"]]  # newest first
    assert stack.leftovers() == {}


def test_restore_into_another_zone_under_a_new_name(stack):
    # The data volume is named in the request; the boot volume is not and gets the default name.
    job = stack.run_restore(STATE["rp_2"]["id"], name="web-1-copy", availability_zone="az2",
                            volume_names={STATE["data"]: "  web-1-data-copy  "})
    assert job["type"] == "restore" and job["proxy"].startswith("proxy-az2@")
    server_id = job["result"]["server_id"]
    server = stack.service.compute.get_server(server_id)
    assert (server.name, server.availability_zone, server.status) == ("web-1-copy", "az2", "ACTIVE")
    assert server.project_id == STATE["web"].project_id
    restored = job["result"]["volume_ids"]
    assert set(restored) == {STATE["root"], STATE["data"]}
    for original, new in restored.items():
        assert stack.service.block_storage.get_volume(new).availability_zone == "az2"
        assert volume_digest(stack.guest_device(server_id, new)) == STATE["digests_2"][original]
    # What Cinder itself calls them: the name asked for (stripped), and the default for the one not named.
    assert stack.service.block_storage.get_volume(restored[STATE["data"]]).name == "web-1-data-copy"
    root_name = stack.service.block_storage.get_volume(STATE["root"]).name
    assert re.fullmatch(re.escape(root_name) + r" \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
                        stack.service.block_storage.get_volume(restored[STATE["root"]]).name)
    STATE["copy"] = server
    assert stack.leftovers() == {}


def test_restore_a_single_volume_from_the_first_restore_point(stack):
    job = stack.run_restore(STATE["rp_1"]["id"], volume_id=STATE["data"], volume_name="web-1-data-before")
    assert job["type"] == "restore_volume"
    volume = stack.service.block_storage.get_volume(job["result"]["volume_id"])
    assert (volume.name, volume.status, volume.availability_zone) == ("web-1-data-before", "available", "nova")
    assert volume.project_id == STATE["web"].project_id
    path = stack.volume_file(volume.id)
    assert volume_digest(path) == STATE["digests_1"][STATE["data"]]
    assert stack.leftovers() == {}


def test_jobs_are_listed_for_the_tenant(stack):
    jobs = stack.client().job_list(instance_id=STATE["web"].id)
    assert [job["type"] for job in jobs] == ["restore_volume", "restore", "backup", "backup"]
    assert all(job["state"] == "succeeded" for job in jobs)
    usage = stack.client().usage()
    assert usage[0]["restore_points"] == 2 and usage[0]["protected_instances"] == 1
    wait_until(lambda: stack.client().job_get(jobs[0]["id"])["state"] == "succeeded", what="job")


def test_verify_reads_every_chunk_of_a_restore_point(stack):
    job = stack.client().verify(STATE["rp_2"]["id"])
    assert job["type"] == "verify" and job["state"] == "queued"
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert result["restore_point_id"] == STATE["rp_2"]["id"] and result["chunks_verified"] > 0
    assert {volume["volume_id"] for volume in result["volumes"]} == {STATE["root"], STATE["data"]}
    assert any(entry["step"] == "verify" and "every keyed hash matches" in entry["message"] for entry in job["log"])


def test_another_project_sees_nothing_of_it_and_cannot_restore_it(stack):
    alt, demo = stack.client("alt-member"), stack.client()
    demo_ids = {"policies": {p["id"] for p in demo.policy_list()}, "jobs": {j["id"] for j in demo.job_list()},
                "restore points": {p["id"] for p in demo.restore_point_list()}}
    assert all(demo_ids.values())
    seen = {"policies": {p["id"] for p in alt.policy_list()}, "jobs": {j["id"] for j in alt.job_list()},
            "restore points": {p["id"] for p in alt.restore_point_list()}}
    for kind, ids in demo_ids.items():
        assert not ids & seen[kind], f"alt-member sees demo's {kind}"
    for policy_id in demo_ids["policies"]:
        expect_api_error(404, alt.policy_get, policy_id)
    for job_id in demo_ids["jobs"]:
        expect_api_error(404, alt.job_get, job_id)
        expect_api_error(404, alt.job_cancel, job_id)
    web_id = STATE["web"].id
    expect_api_error(404, alt.protected_instance_get, web_id)
    expect_api_error(400, alt.backup_create, web_id)  # not protected in alt's project: never says by whom
    for point_id in demo_ids["restore points"]:
        expect_api_error(404, alt.restore_point_get, point_id)
        expect_api_error(404, alt.restore, point_id, name="stolen", availability_zone="nova")
        expect_api_error(404, alt.restore, point_id, volume_id=STATE["data"])
        expect_api_error(404, alt.verify, point_id)
        expect_api_error(404, alt.restore_point_delete, point_id)
    assert not [s for s in stack.service.compute.servers(all_projects=True) if s.name == "stolen"]
    assert {j["id"] for j in demo.job_list()} == demo_ids["jobs"]  # nothing was queued on demo's behalf


def test_verify_names_a_damaged_chunk(stack):
    """Last in the module: it damages the repository. One byte flipped in the middle of every pack."""
    data_dir = os.path.join(stack.repository, "data")
    packs = [os.path.join(root, name) for root, _, names in os.walk(data_dir) for name in names]
    assert packs
    for pack in packs:
        with open(pack, "r+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(size // 2)
            byte = handle.read(1)
            handle.seek(size // 2)
            handle.write(bytes([byte[0] ^ 0xFF]))
    job = stack.wait_job(stack.client().verify(STATE["rp_1"]["id"])["id"])
    assert job["state"] == "failed", job
    assert "chunk" in job["error"] and "volume" in job["error"], job["error"]
    assert job["attempts"] == 1
    # The data worker recorded what it found (issue 10 item 7): the next backup stores that chunk again.
    assert os.listdir(os.path.join(stack.repository, "damaged"))
