# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""In-place revert through the REST API (``POST /v1/restore-points/{id}/revert``): ``web-1`` (volume-backed, one
data volume) is backed up, the guest overwrites both disks, and the revert puts them back byte for byte — one data
volume alone, then the whole instance — keeping the server's id, name, addresses and every volume id. Refused
without a confirmation (400) and across projects (404); a revert that fails on the way leaves nothing behind and
gives the volume back to its server. With ``stop_server`` a data volume's revert stops the server around it (seen in
Nova's instance actions: stop, detach, attach, start), starts it again after a failure, and leaves a server that was
already shut off as it was.

The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import os

import pytest

from tests.functional.e2e.support import expect_api_error, wait_until
from tests.functional.pipeline.support import volume_digest

STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _digests(stack, server_id: str) -> dict:
    return {a.volume_id: volume_digest(stack.guest_device(server_id, a.volume_id))
            for a in stack.service.compute.volume_attachments(server_id)}


def _scribble(stack, server_id: str, volume_id: str) -> None:
    """The guest writes where the volume held data and where it held zeros (a revert must put zeros back)."""
    with open(stack.guest_device(server_id, volume_id), "r+b") as device:
        for offset in (0, 64 * 1024 * 1024 + 512, 700 * 1024 * 1024):
            device.seek(offset)
            device.write(os.urandom(8192))
        device.flush()
        os.fsync(device.fileno())


def _shape(stack, server_id: str) -> tuple:
    server = stack.service.compute.get_server(server_id)
    attachments = sorted((a.volume_id, a.device) for a in stack.service.compute.volume_attachments(server_id))
    return server.id, server.name, server.addresses, attachments


def test_a_backup_to_revert_to(stack):
    policy = stack.policy()
    web = stack.server_named("web-1")
    stack.client().protect(web.id, policy["id"])
    attachments = list(stack.service.compute.volume_attachments(web.id))
    STATE.update(web=web, root=next(a.volume_id for a in attachments if a.device == "/dev/vda"),
                 data=next(a.volume_id for a in attachments if a.device != "/dev/vda"),
                 digests=_digests(stack, web.id), shape=_shape(stack, web.id))
    STATE["point"] = stack.client().restore_point_get(stack.run_backup(web.id, strategy="full")["restore_point_id"])


def test_a_revert_must_be_confirmed_and_is_the_project_s_own(stack):
    point, data = STATE["point"], STATE["data"]
    error = expect_api_error(400, stack.client().revert, point["id"], volume_id=data)
    assert "confirm" in str(error)
    error = expect_api_error(400, stack.client().revert, point["id"], volume_id=data, confirm="not its name")
    assert "confirm" in str(error)
    expect_api_error(400, stack.client().revert, point["id"], confirm=True)  # neither a volume nor the instance
    expect_api_error(400, stack.client().revert, point["id"], volume_id=STATE["root"], confirm=True)  # boot volume
    expect_api_error(404, stack.client("alt-member").revert, point["id"], volume_id=data, confirm=True)
    expect_api_error(404, stack.client("alt-member").revert, point["id"], instance=True, confirm=True)
    # a whole-instance revert always stops the server: asking for it there is a misreading, refused naming the field
    error = expect_api_error(400, stack.client().revert, point["id"], instance=True, confirm=True, stop_server=True)
    assert error.field == "stop_server" and "always stops the server" in str(error), error
    assert not [job for job in stack.client().job_list() if job["type"] == "revert"]


def test_a_failed_revert_leaves_nothing_and_gives_the_volume_back(stack):
    web, data = STATE["web"], STATE["data"]
    _scribble(stack, web.id, data)
    before = _digests(stack, web.id)
    stack.arm_fault("volume.attach", "error")  # the attach to the proxy fails, after the detach and the snapshot
    job = stack.client().revert(STATE["point"]["id"], volume_id=data, confirm=True)
    job = stack.wait_job(job["id"])
    assert job["state"] == "failed", job
    assert "unchanged" in job["error"] and "attached to server" in job["error"], job["error"]
    assert _shape(stack, web.id) == STATE["shape"]
    assert _digests(stack, web.id) == before
    assert stack.leftovers() == {}


def test_revert_one_data_volume_in_place(stack):
    web, data = STATE["web"], STATE["data"]
    _scribble(stack, web.id, data)
    assert _digests(stack, web.id)[data] != STATE["digests"][data]
    volume = stack.service.block_storage.get_volume(data)
    job = stack.client().revert(STATE["point"]["id"], volume_id=data, confirm=volume.name or data)
    assert job["type"] == "revert"
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    assert [v["volume_id"] for v in job["result"]["volumes"]] == [data]
    assert job["result"]["volumes"][0]["method"] == "overwrite"
    assert _shape(stack, web.id) == STATE["shape"]
    assert _digests(stack, web.id)[data] == STATE["digests"][data]
    assert stack.service.compute.get_server(web.id).status == "ACTIVE"
    assert stack.leftovers() == {}


def _actions(stack, server_id: str) -> list:
    """Nova's instance actions of the server, oldest first."""
    return list(reversed(list(stack.service.compute.server_actions(server_id))))


def _new_actions(stack, server_id: str, before: list) -> list[str]:
    seen = {action.request_id for action in before}
    return [action.action for action in _actions(stack, server_id) if action.request_id not in seen]


def test_revert_one_data_volume_with_the_server_stopped(stack):
    web, data = STATE["web"], STATE["data"]
    _scribble(stack, web.id, data)
    assert stack.service.compute.get_server(web.id).status == "ACTIVE"
    before = _actions(stack, web.id)
    job = stack.client().revert(STATE["point"]["id"], volume_id=data, confirm=True, stop_server=True)
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    # Nova's record of what happened to the server, in order: stopped before its disk went, started once it was back
    actions = _new_actions(stack, web.id, before)
    assert actions == ["stop", "detach_volume", "attach_volume", "start"], actions
    seen = {action.request_id for action in before}
    stop, detach = (next(a for a in _actions(stack, web.id) if a.action == name and a.request_id not in seen)
                    for name in ("stop", "detach_volume"))
    stopped_at = stack.service.compute.get_server_action(stop.request_id, web.id).events[0]["finish_time"]
    assert stopped_at <= detach.start_time, (stopped_at, detach.start_time)  # SHUTOFF before the detach
    steps = [entry["step"] for entry in job["log"]]
    last_start = len(steps) - 1 - steps[::-1].index("start")  # the first "start" is the job's own
    assert steps.index("stop") < steps.index("detach_from_instance") < steps.index("write") < last_start, steps
    assert stack.service.compute.get_server(web.id).status == "ACTIVE"
    assert job["result"]["server_status"] == "ACTIVE"
    assert _shape(stack, web.id) == STATE["shape"]
    assert _digests(stack, web.id)[data] == STATE["digests"][data]
    assert stack.leftovers() == {}


def test_a_failure_after_the_stop_starts_the_server_again(stack):
    web, data = STATE["web"], STATE["data"]
    _scribble(stack, web.id, data)
    digests = _digests(stack, web.id)
    before = _actions(stack, web.id)
    stack.arm_fault("volume.attach", "error")  # the attach to the proxy fails: after the stop, detach and snapshot
    job = stack.client().revert(STATE["point"]["id"], volume_id=data, confirm=True, stop_server=True)
    job = stack.wait_job(job["id"])
    assert job["state"] == "failed", job
    error = job["error"]
    assert "unchanged" in error and "attached to server" in error, error
    assert f"server {web.id} was stopped by the revert and is started again" in error, error
    actions = _new_actions(stack, web.id, before)
    assert actions[0] == "stop" and actions[-1] == "start", actions
    assert actions.index("detach_volume") < actions.index("attach_volume") < actions.index("start"), actions
    assert stack.service.compute.get_server(web.id).status == "ACTIVE"
    assert _shape(stack, web.id) == STATE["shape"]
    assert _digests(stack, web.id) == digests
    assert stack.leftovers() == {}


def test_a_server_already_shut_off_stays_off(stack):
    web, data = STATE["web"], STATE["data"]
    stack.service.compute.stop_server(web.id)
    wait_until(lambda: stack.service.compute.get_server(web.id).status == "SHUTOFF", what="the stop")
    _scribble(stack, web.id, data)
    before = _actions(stack, web.id)
    try:
        job = stack.client().revert(STATE["point"]["id"], volume_id=data, confirm=True, stop_server=True)
        job = stack.wait_job(job["id"])
        assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
        assert _new_actions(stack, web.id, before) == ["detach_volume", "attach_volume"]
        assert any("SHUTOFF already: it stays so" in entry["message"] for entry in job["log"]), job["log"]
        assert stack.service.compute.get_server(web.id).status == "SHUTOFF"
        assert _digests(stack, web.id)[data] == STATE["digests"][data]
    finally:
        stack.service.compute.start_server(web.id)
        wait_until(lambda: stack.service.compute.get_server(web.id).status == "ACTIVE", what="the start")
    assert stack.leftovers() == {}


def test_revert_the_whole_instance_in_place(stack):
    web = STATE["web"]
    _scribble(stack, web.id, STATE["root"])
    _scribble(stack, web.id, STATE["data"])
    job = stack.client().revert(STATE["point"]["id"], instance=True, confirm="web-1")
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    methods = {v["volume_id"]: v["method"] for v in job["result"]["volumes"]}
    assert methods == {STATE["root"]: "rebuild", STATE["data"]: "overwrite"}
    steps = [entry["step"] for entry in job["log"]]
    for step in ("image", "stop", "detach_from_instance", "safety_snapshot", "write", "rebuild", "start"):
        assert step in steps, f"{step} missing from {steps}"
    assert _shape(stack, web.id) == STATE["shape"]
    assert _digests(stack, web.id) == STATE["digests"]
    assert stack.service.compute.get_server(web.id).status == "ACTIVE"
    assert stack.leftovers() == {}


def test_a_volume_that_changed_size_since_is_refused(stack):
    data = STATE["data"]
    volume = stack.service.block_storage.get_volume(data)
    stack.service.block_storage.extend_volume(data, volume.size + 1)
    wait_until(lambda: stack.service.block_storage.get_volume(data).size == volume.size + 1, what="the extend")
    error = expect_api_error(409, stack.client().revert, STATE["point"]["id"], volume_id=data, confirm=True)
    assert f"is {volume.size + 1} GiB now and was {volume.size} GiB" in str(error)
    error = expect_api_error(409, stack.client().revert, STATE["point"]["id"], instance=True, confirm=True)
    assert "GiB now" in str(error)


def test_an_image_booted_instance_is_rebuilt_from_its_backed_up_root_disk(stack):
    """``app-1`` boots from an image (its root disk is the hypervisor's): Nova's plain rebuild writes it from an
    image of the restore point's root disk, which stays, since the server refers to it."""
    app = stack.server_named("app-1")
    stack.client().protect(app.id, stack.policy()["id"])
    root = stack.root_disk(app.id)
    digest = volume_digest(root)
    point = stack.run_backup(app.id)["restore_point_id"]
    with open(root, "r+b") as disk:
        disk.write(os.urandom(65536))
    assert volume_digest(root) != digest
    shape = _shape(stack, app.id)
    job = stack.client().revert(point, instance=True, confirm="app-1")
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    assert [(v["volume_id"], v["method"]) for v in job["result"]["volumes"]] == [("root-disk", "rebuild")]
    assert _shape(stack, app.id) == shape
    server = stack.service.compute.get_server(app.id)
    assert server.status == "ACTIVE" and volume_digest(stack.root_disk(app.id)) == digest
    image = stack.service.image.get_image(server.image["id"])
    assert image.name == f"app-1-reverted-{point[:8]}"
    assert stack.leftovers() == {}
