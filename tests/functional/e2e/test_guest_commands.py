# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Pre/post snapshot commands over real SSH, end to end: a policy's commands, a backup through the REST API, the
proxy worker connecting to a real ``sshd`` (Debian's, on a free port of a loopback address) at the instance's access
address, which the embedded cloud publishes on the loopback range (its fixed IP is an ordinary 10.x one).

"The instance" runs its commands on this machine, so they can write into the instance's disk as a guest would:
the pre-command writes a marker the snapshot must hold, the post-command one it must not — proof, read back from a
restore, that they ran before and after the snapshots.
"""
from __future__ import annotations

import os
import time

import pytest

from tests.functional.e2e.support import expect_api_error
from tests.support.instances import create_instance
from tests.support.sshd import SshdProcess, keygen, login_user

MIB = 1024 * 1024
PRE_OFFSET, POST_OFFSET = 1 * MIB, 2 * MIB
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def guest(stack, tmp_path_factory):
    """``db-ssh`` in ``demo`` on the project's network, an sshd at its access address, and a policy."""
    work = str(tmp_path_factory.mktemp("sshd"))
    client_key = os.path.join(work, "client_key")
    client_public = keygen(client_key)
    server = create_instance(stack.handle.session("demo-member"), name="db-ssh", networks="auto")
    assert server["status"] == "ACTIVE", server
    volume_id = next(stack.service.compute.volume_attachments(server["id"])).volume_id
    with open(client_key) as handle:
        private_key = handle.read()
    address = stack.service.compute.get_server(server["id"]).access_ipv4
    with SshdProcess(work, address, client_public).start() as sshd:
        policy = stack.policy(name="app-consistent", strategy="full")
        stack.client().protect(server["id"], policy["id"])
        yield {"server": server, "volume_id": volume_id, "sshd": sshd, "private_key": private_key, "address": address,
               "policy": policy, "device": stack.guest_device(server["id"], volume_id)}


def command(guest, text: str, **overrides) -> dict:
    spec = {"command": text, "user": login_user(), "private_key": guest["private_key"], "port": guest["sshd"].port,
            "timeout": 20, "on_failure": "abort", "host_key_policy": "reject",
            "known_hosts": guest["sshd"].host_public_key}
    spec.update(overrides)
    return spec


def marker(guest, text: str, offset: int) -> str:
    """A shell command that writes ``text`` into the instance's disk at ``offset``, as the guest would."""
    return f"printf {text} | dd of={guest['device']} bs=1 seek={offset} conv=notrunc status=none"


def read_at(path: str, offset: int, size: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(size)


def steps_and_messages(job: dict) -> list[tuple[str, str]]:
    return [(entry["step"], entry["message"]) for entry in job["log"]]


def index_of(log: list[tuple[str, str]], step: str, text: str) -> int:
    return next(i for i, (s, m) in enumerate(log) if s == step and text in m)


def test_pre_and_post_commands_run_in_order_around_the_snapshots(stack, guest):
    pre = command(guest, f"{marker(guest, 'FROZEN', PRE_OFFSET)} && echo frozen && echo note >&2")
    post = command(guest, f"{marker(guest, 'THAWED', POST_OFFSET)} && echo thawed")
    policy = stack.client().policy_update(guest["policy"]["id"], pre_command=pre, post_command=post)
    assert policy["pre_command"]["private_key"] == "********"  # the key never comes back out

    job = stack.run_backup(guest["server"]["id"])
    log = steps_and_messages(job)
    frozen = index_of(log, "pre_command", "stdout: frozen")
    taken = index_of(log, "snapshot", "Snapshots taken")
    thawed = index_of(log, "post_command", "stdout: thawed")
    assert frozen < taken < thawed, log
    assert ("pre_command", "stderr: note") in log
    assert any(step == "pre_command" and f"succeeded on {guest['address']}" in message for step, message in log)

    # The snapshot holds what the pre-command wrote and not what the post-command wrote; the guest has both.
    live = guest["device"]
    assert read_at(live, PRE_OFFSET, 6) == b"FROZEN" and read_at(live, POST_OFFSET, 6) == b"THAWED"
    restored = stack.run_restore(job["restore_point_id"], volume_id=guest["volume_id"], name="db-ssh-restored")
    copy = stack.volume_file(restored["result"]["volume_id"])
    assert read_at(copy, PRE_OFFSET, 6) == b"FROZEN"
    assert read_at(copy, POST_OFFSET, 6) == b"\0" * 6
    assert stack.leftovers() == {}


def test_a_failing_pre_command_with_abort_stops_the_backup_before_any_snapshot(stack, guest):
    stack.client().policy_update(guest["policy"]["id"], pre_command=command(
        guest, "echo cannot freeze the database >&2; exit 3"))
    job = stack.run_backup(guest["server"]["id"], expect="failed")
    assert "exit status 3" in job["error"] and "no snapshot was taken" in job["error"], job["error"]
    assert job["attempts"] == 1  # a command that fails is not retried
    log = steps_and_messages(job)
    assert ("pre_command", "stderr: cannot freeze the database") in log
    assert not [step for step, _ in log if step in ("snapshot", "prepare", "attach", "read")], log
    assert not [step for step, _ in log if step == "post_command"]
    assert stack.leftovers() == {}


def test_a_failing_pre_command_with_continue_goes_on_and_says_so(stack, guest):
    stack.client().policy_update(guest["policy"]["id"], pre_command=command(
        guest, "echo cannot freeze >&2; exit 3", on_failure="continue"))
    job = stack.run_backup(guest["server"]["id"])
    log = steps_and_messages(job)
    goes_on = index_of(log, "pre_command", "the policy says continue, so the backup goes on")
    assert goes_on < index_of(log, "snapshot", "Snapshots taken") < index_of(log, "post_command", "stdout: thawed")
    assert stack.client().restore_point_get(job["restore_point_id"])["instance_id"] == guest["server"]["id"]


def test_a_post_command_alone_runs_after_the_snapshots(stack, guest):
    stack.client().policy_update(guest["policy"]["id"], pre_command=None,
                                 post_command=command(guest, "echo flushed the queue"))
    job = stack.run_backup(guest["server"]["id"])
    log = steps_and_messages(job)
    assert index_of(log, "snapshot", "Snapshots taken") < index_of(log, "post_command", "stdout: flushed the queue")
    assert not [step for step, _ in log if step == "pre_command"]


def test_a_pre_command_that_runs_too_long_is_stopped(stack, guest):
    stack.client().policy_update(guest["policy"]["id"], pre_command=command(guest, "sleep 60", timeout=2))
    started = time.monotonic()
    job = stack.run_backup(guest["server"]["id"], expect="failed")
    assert "timed out after 2 s" in job["error"], job["error"]
    assert time.monotonic() - started < 30
    assert stack.leftovers() == {}


def test_a_host_key_that_does_not_match_is_refused_whatever_the_policy(stack, guest, tmp_path):
    other = keygen(str(tmp_path / "impostor"))
    for host_key_policy in ("reject", "accept-new"):
        stack.client().policy_update(guest["policy"]["id"], pre_command=command(
            guest, "touch /tmp/e2e-should-not-exist", known_hosts=other, host_key_policy=host_key_policy))
        job = stack.run_backup(guest["server"]["id"], expect="failed")
        assert "does not match" in job["error"] and "refusing to run the command" in job["error"], job["error"]
    assert not os.path.exists("/tmp/e2e-should-not-exist")
    error = expect_api_error(400, stack.client().policy_update, guest["policy"]["id"],
                             pre_command=command(guest, "true", known_hosts=None))
    assert error.field == "pre_command.known_hosts"
    assert stack.leftovers() == {}
