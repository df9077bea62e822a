# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Pre/post snapshot commands over real SSH: a Debian ``sshd`` started here on a free loopback port (own host key,
own authorized_keys, in a temp dir), reached at the address the sandbox instance's NIC has."""
from __future__ import annotations

import os
import time

import pytest
from storage_backup import guest_commands
from storage_backup.guest_commands import GuestCommandFailed, HostKeyMismatch, addresses_from_server

from tests.support.instances import COMPUTE, MICROVERSION, create_instance, raise_volume_quota
from tests.support.sshd import SSHD, SshdProcess, keygen, login_user

ADDRESS = "127.77.0.10"  # the instance's fixed IP; Linux answers on all of 127/8
NETWORK = {"service_type": "network", "interface": "public"}


@pytest.fixture(scope="module")
def guest(control_plane, tmp_path_factory):
    """An sshd, and a sandbox instance whose NIC carries the address it listens on."""
    if not os.path.exists(SSHD):
        pytest.fail("sshd is missing: apt-get install openssh-server (tools/bootstrap.sh installs it)")
    work = str(tmp_path_factory.mktemp("sshd"))
    client_key = os.path.join(work, "client_key")
    client_public = keygen(client_key)
    session = control_plane.sandbox.session("demo-member")
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    network = session.post("/v2.0/networks", endpoint_filter=NETWORK,
                           json={"network": {"name": "guest-ssh"}}).json()["network"]
    session.post("/v2.0/subnets", endpoint_filter=NETWORK, json={"subnet": {
        "network_id": network["id"], "cidr": "127.77.0.0/24", "ip_version": 4, "gateway_ip": None}})
    port = session.post("/v2.0/ports", endpoint_filter=NETWORK, json={"port": {
        "network_id": network["id"], "fixed_ips": [{"ip_address": ADDRESS}]}}).json()["port"]
    server = create_instance(session, networks=[{"port": port["id"]}])
    # The control plane (service account) sees the instance's addresses as the proxy will.
    seen = control_plane.sandbox.session("backup-service").get(
        f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION).json()["server"]
    with open(client_key) as handle:
        private_key = handle.read()
    try:
        with SshdProcess(work, ADDRESS, client_public).start() as sshd:
            yield {"addresses": addresses_from_server(seen), "sshd": sshd, "private_key": private_key,
                   "user": login_user()}
    finally:
        # The sandbox is shared by the whole session: a second network in demo would make every later server
        # create without an explicit network ambiguous (409 "Multiple possible networks found"), as in Nova.
        session.delete(f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION)
        deadline = time.time() + 30
        while time.time() < deadline and session.get(f"/servers/{server['id']}", endpoint_filter=COMPUTE,
                                                     raise_exc=False).status_code != 404:
            time.sleep(0.2)
        session.delete(f"/v2.0/ports/{port['id']}", endpoint_filter=NETWORK, raise_exc=False)
        session.delete(f"/v2.0/networks/{network['id']}", endpoint_filter=NETWORK)


def spec(guest, command: str, **overrides) -> dict:
    base = {"command": command, "user": guest["user"], "private_key": guest["private_key"],
            "port": guest["sshd"].port, "timeout": 10, "on_failure": "abort", "host_key_policy": "reject",
            "known_hosts": guest["sshd"].host_public_key}
    base.update(overrides)
    return base


def test_instance_address_comes_from_its_nic(guest):
    assert guest["addresses"] == [ADDRESS]


def test_success_output_goes_to_the_job_log(guest):
    log: list[dict] = []
    result = guest_commands.run_hook("pre", spec(guest, "echo frozen; echo note >&2"), guest["addresses"], log.append)
    assert result.ok and result.exit_status == 0 and result.address == ADDRESS
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
