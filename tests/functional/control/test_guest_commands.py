# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Pre/post snapshot commands over real SSH: a Debian ``sshd`` started here on a free loopback port (own host key,
own authorized_keys, in a temp dir), reached at the instance's access address, which the embedded cloud publishes on
the loopback range (its NIC's fixed IP is an ordinary 10.x one that leads nowhere from here)."""
from __future__ import annotations

import ipaddress
import os
import time

import pytest
from storage_backup import guest_commands
from storage_backup.guest_commands import GuestCommandFailed, HostKeyMismatch, addresses_from_server

from tests.support.instances import COMPUTE, MICROVERSION, create_instance, raise_volume_quota
from tests.support.sshd import SSHD, SshdProcess, keygen, login_user


@pytest.fixture(scope="module")
def guest(control_plane, tmp_path_factory):
    """A sandbox instance on the project's ordinary network, and an sshd at its access address."""
    if not os.path.exists(SSHD):
        pytest.fail("sshd is missing: apt-get install openssh-server (tools/bootstrap.sh installs it)")
    work = str(tmp_path_factory.mktemp("sshd"))
    client_key = os.path.join(work, "client_key")
    client_public = keygen(client_key)
    session = control_plane.sandbox.session("demo-member")
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    server = create_instance(session, networks="auto")  # a NIC on the project's network: a 10.x fixed IP
    # The control plane (service account) sees the instance's addresses as the proxy will.
    seen = control_plane.sandbox.session("backup-service").get(
        f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION).json()["server"]
    with open(client_key) as handle:
        private_key = handle.read()
    try:
        with SshdProcess(work, seen["accessIPv4"], client_public).start() as sshd:
            yield {"addresses": addresses_from_server(seen), "sshd": sshd, "private_key": private_key,
                   "user": login_user(), "server": seen, "address": seen["accessIPv4"]}
    finally:
        session.delete(f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION)
        deadline = time.time() + 30
        while time.time() < deadline and session.get(f"/servers/{server['id']}", endpoint_filter=COMPUTE,
                                                     raise_exc=False).status_code != 404:
            time.sleep(0.2)


def spec(guest, command: str, **overrides) -> dict:
    base = {"command": command, "user": guest["user"], "private_key": guest["private_key"],
            "port": guest["sshd"].port, "timeout": 10, "on_failure": "abort", "host_key_policy": "reject",
            "known_hosts": guest["sshd"].host_public_key}
    base.update(overrides)
    return base


def test_the_ssh_address_is_the_instance_s_loopback_access_address(guest):
    """Nothing leaves 127.0.0.0/8: the product reaches a guest at its access address (the rule real clouds use
    too), which the embedded cloud puts on the loopback range, never at its 10.x fixed IP."""
    fixed = [entry["addr"] for entries in guest["server"]["addresses"].values() for entry in entries]
    assert fixed and not any(ipaddress.ip_address(address).is_loopback for address in fixed)
    assert guest["addresses"] == [guest["server"]["accessIPv4"]]
    assert ipaddress.ip_address(guest["address"]).is_loopback


def test_success_output_goes_to_the_job_log(guest):
    log: list[dict] = []
    result = guest_commands.run_hook("pre", spec(guest, "echo frozen; echo note >&2"), guest["addresses"], log.append)
    assert result.ok and result.exit_status == 0 and result.address == guest["address"]
    messages = [entry["message"] for entry in log]
    assert "stdout: frozen" in messages and "stderr: note" in messages
    assert all(entry["step"] == "pre_command" and entry["at"] for entry in log)


def test_failure_with_abort_raises(guest):
    log: list[dict] = []
    with pytest.raises(GuestCommandFailed) as failed:
        guest_commands.run_hook("pre", spec(guest, "echo cannot freeze >&2; exit 3"), guest["addresses"], log.append)
    assert "exit status 3" in str(failed.value) and "no snapshot was taken" in str(failed.value)
    assert any("cannot freeze" in entry["message"] for entry in log)


def test_failure_with_continue_goes_on(guest):
    log: list[dict] = []
    result = guest_commands.run_hook("post", spec(guest, "exit 1", on_failure="continue"), guest["addresses"],
                                     log.append)
    assert not result.ok and result.exit_status == 1
    assert "continue" in log[-1]["message"]


def test_timeout(guest):
    started = time.monotonic()
    with pytest.raises(GuestCommandFailed) as failed:
        guest_commands.run_hook("pre", spec(guest, "sleep 30", timeout=2), guest["addresses"])
    assert "timed out after 2 s" in str(failed.value)
    assert time.monotonic() - started < 8


def test_host_key_mismatch_is_refused_whatever_the_policy(guest, tmp_path):
    other = keygen(str(tmp_path / "other"))
    for policy in ("reject", "accept-new"):
        with pytest.raises(HostKeyMismatch) as mismatch:
            guest_commands.run_hook("pre", spec(guest, "true", known_hosts=other, host_key_policy=policy),
                                    guest["addresses"])
        assert "does not match" in str(mismatch.value)
    # A mismatch never runs the command, even when the policy would continue on failure.
    result = guest_commands.run_hook("pre", spec(guest, "touch /tmp/should-not-exist-cp", known_hosts=other,
                                                 on_failure="continue"), guest["addresses"])
    assert not result.ok and not os.path.exists("/tmp/should-not-exist-cp")


def test_unknown_host_key(guest):
    with pytest.raises(GuestCommandFailed) as unknown:
        guest_commands.run_hook("pre", spec(guest, "true", known_hosts=None), guest["addresses"])
    assert "unknown" in str(unknown.value)
    log: list[dict] = []
    result = guest_commands.run_hook("pre", spec(guest, "true", known_hosts=None, host_key_policy="accept-new"),
                                     guest["addresses"], log.append)
    assert result.ok and any("accepted new host key" in entry["message"] for entry in log)
