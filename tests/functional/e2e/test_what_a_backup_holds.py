# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a backup leaves out is said, and what it holds comes back (issue 10, item 12), through the REST API only:

- a flavor's ephemeral disk and swap live on the hypervisor, where an agentless product never reads: the restore
  point, the instance's protection status and the job's log say, loudly, that they are not protected;
- a floating IP and a server group's membership are recorded at backup; after the original server is deleted (its
  floating IP freed), the restored server gets the same floating IP and joins the same group; a floating IP that is
  taken is a warning, not a failed restore;
- a volume Cinder encrypts goes only to an encrypted destination (an unencrypted one is refused up front, with what
  to do), and comes back into an encrypted volume type (an unencrypted type asked for is a 400 naming it).
"""
from __future__ import annotations

import uuid

import pytest
from storage_backup.cloud.waiting import wait_server, wait_server_deleted, wait_volume

from tests.functional.e2e.support import expect_api_error

pytestmark = pytest.mark.timeout(300)
STATE: dict = {}


def _boot_volume(stack, name: str, volume_type: str | None = None):
    demo = stack.demo
    kwargs = {"volume_type": volume_type} if volume_type else {}
    volume = demo.block_storage.create_volume(size=1, name=name, availability_zone="nova", **kwargs)
    wait_volume(stack.service, volume.id, "available", timeout=60)
    demo.block_storage.set_volume_bootable_status(volume.id, True)
    return volume


def _server(stack, name: str, flavor_id: str = "1", volume_type: str | None = None, group_id: str | None = None):
    """A volume-booted demo server on demo-net (its root volume of ``volume_type``), ACTIVE."""
    demo = stack.demo
    root = _boot_volume(stack, f"{name}-root", volume_type)
    network = next(demo.network.networks(name="demo-net"))
    extra = {"scheduler_hints": {"group": group_id}} if group_id else {}
    created = demo.compute.create_server(
        name=name, flavor_id=flavor_id, availability_zone="nova", networks=[{"uuid": network.id}],
        block_device_mapping=[{"uuid": root.id, "source_type": "volume", "destination_type": "volume",
                               "boot_index": 0, "delete_on_termination": True}], **extra)
    return wait_server(stack.service, created.id, timeout=60)


def _policy(stack, destination_id: str | None = None) -> dict:
    if destination_id is None:
        return stack.policy()
    return stack.client().policy_create(name=f"encrypted-{uuid.uuid4().hex[:6]}", destination_id=destination_id)


def _protect_and_back_up(stack, server, policy: dict) -> dict:
    stack.client().protect(server.id, policy["id"])
    job = stack.run_backup(server.id)
    return job


# -- ephemeral and swap ------------------------------------------------------------------------------------------------

def test_a_flavor_with_ephemeral_and_swap_is_said_to_leave_disks_unprotected(stack):
    flavor = stack.admin.compute.create_flavor(name=f"eph-{uuid.uuid4().hex[:6]}", ram=512, vcpus=1, disk=1,
                                               ephemeral=2, swap=512, is_public=True)
    server = _server(stack, "eph-1", flavor_id=flavor.id)
    job = _protect_and_back_up(stack, server, _policy(stack))

    warnings = [entry["message"] for entry in job["log"] if entry.get("level") == "warning"]
    assert any("ephemeral" in message and "swap" in message and "not" in message for message in warnings), job["log"]
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["unprotected_disks"] == [{"kind": "ephemeral", "size_mb": 2048}, {"kind": "swap", "size_mb": 512}]
    document = stack.client().restore_point_instance(point["id"])
    assert document["unprotected_disks"] == point["unprotected_disks"]
    status = stack.client().instance_status([server.id])[0]
    assert status["unprotected_disks"] == point["unprotected_disks"]

    plain = stack.server_named("web-1")  # flavor 2: neither ephemeral nor swap
    assert stack.client().instance_status([plain.id])[0]["unprotected_disks"] == []


# -- floating IPs and server groups -----------------------------------------------------------------------------------

def test_a_floating_ip_and_a_server_group_are_recorded_at_backup(stack):
    demo = stack.demo
    group = demo.compute.create_server_group(name="web-tier", policy="anti-affinity")
    server = _server(stack, "fip-1", group_id=group.id)
    port = next(demo.network.ports(device_id=server.id))
    public = next(stack.admin.network.networks(name="public"))
    fip = demo.network.create_ip(floating_network_id=public.id, port_id=port.id)
    assert fip.port_id == port.id

    job = _protect_and_back_up(stack, server, _policy(stack))
    document = stack.client().restore_point_instance(job["restore_point_id"])
    assert document["floating_ips"] == [{
        "id": fip.id, "floating_ip_address": fip.floating_ip_address, "floating_network_id": public.id,
        "port_id": port.id, "fixed_ip_address": port.fixed_ips[0]["ip_address"]}]
    assert document["server_groups"] == [{"id": group.id, "name": "web-tier", "policy": "anti-affinity"}]
    STATE.update(group=group, fip=fip, fip_server=server, fip_point=job["restore_point_id"],
                 fixed_ip=port.fixed_ips[0]["ip_address"])


def test_the_restored_server_gets_the_floating_ip_back_and_joins_the_group(stack):
    server, fip, group = STATE["fip_server"], STATE["fip"], STATE["group"]
    stack.demo.compute.delete_server(server.id)
    wait_server_deleted(stack.service, server.id, timeout=60)
    assert stack.demo.network.get_ip(fip.id).port_id is None  # the port went with the server: the address is free

    job = stack.run_restore(STATE["fip_point"])
    restored = job["result"]["server_id"]
    port = next(stack.demo.network.ports(device_id=restored))
    assert port.fixed_ips[0]["ip_address"] == STATE["fixed_ip"]
    again = stack.demo.network.get_ip(fip.id)
    assert (again.port_id, again.fixed_ip_address) == (port.id, STATE["fixed_ip"])
    assert restored in stack.demo.compute.get_server_group(group.id).member_ids
    steps = " ".join(entry["message"] for entry in job["log"])
    assert fip.floating_ip_address in steps and group.id in steps
    STATE["restored"] = restored


def test_a_floating_ip_in_use_and_a_deleted_group_are_warnings_and_the_restore_succeeds(stack):
    fip, group = STATE["fip"], STATE["group"]
    stack.demo.compute.delete_server_group(group.id)  # its member, the first restore, keeps the floating IP
    job = stack.run_restore(STATE["fip_point"], name="fip-1-second")
    warnings = " ".join(entry["message"] for entry in job["log"] if entry.get("level") == "warning")
    assert fip.floating_ip_address in warnings and "server group" in warnings, job["log"]
    assert stack.demo.network.get_ip(fip.id).port_id != next(
        stack.demo.network.ports(device_id=job["result"]["server_id"])).id
    server = stack.service.compute.get_server(job["result"]["server_id"])
    assert server.status == "ACTIVE" and not server.server_groups


# -- Cinder-encrypted volumes -----------------------------------------------------------------------------------------

def _encrypted_type(stack, name: str) -> str:
    vtype = stack.admin.block_storage.create_type(name=name)
    stack.admin.block_storage.create_type_encryption(vtype, provider="luks", control_location="front-end",
                                                     cipher="aes-xts-plain64", key_size=256)
    return vtype.id


def test_an_encrypted_volume_is_refused_an_unencrypted_destination(stack):
    STATE["luks"] = _encrypted_type(stack, "luks")
    server = _server(stack, "secret-1", volume_type="luks")
    volume_id = next(stack.service.compute.volume_attachments(server.id)).volume_id
    assert stack.service.block_storage.get_volume(volume_id).is_encrypted
    policy = _policy(stack)  # the stack's destination: not encrypted
    error = expect_api_error(400, stack.client().protect, server.id, policy["id"])
    assert error.field == "policy_id" and "encrypt" in str(error) and volume_id in str(error)
    STATE.update(secret=server, secret_volume=volume_id, plain_policy=policy)


def test_a_backup_to_an_unencrypted_destination_is_refused_with_what_to_do(stack):
    # An instance protected before its encrypted volume was attached: the backup request is refused up front.
    server = stack.server_named("web-1")
    stack.client().protect(server.id, STATE["plain_policy"]["id"])
    volume = stack.demo.block_storage.create_volume(size=1, name="secret-data", volume_type="luks",
                                                    availability_zone="nova")
    wait_volume(stack.service, volume.id, "available", timeout=60)
    stack.demo.compute.create_volume_attachment(server.id, volume_id=volume.id)
    wait_volume(stack.service, volume.id, "in-use", timeout=60)
    try:
        error = expect_api_error(400, stack.client().backup_create, server.id)
        assert "encrypted" in str(error) and volume.id in str(error) and "destination" in str(error)
    finally:
        stack.demo.compute.delete_volume_attachment(volume.id, server.id)
        wait_volume(stack.service, volume.id, "available", timeout=60)
        stack.demo.block_storage.delete_volume(volume.id)


def test_an_encrypted_volume_goes_to_an_encrypted_destination_and_comes_back_encrypted(stack):
    path, _ = stack.new_repository("encrypted")
    destination = stack.client("admin").destination_create(name="e2e-encrypted", path=path, encrypted=True,
                                                            repository_secret="correct horse battery staple")
    server = STATE["secret"]
    job = _protect_and_back_up(stack, server, _policy(stack, destination["id"]))
    point_id = job["restore_point_id"]
    error = expect_api_error(400, stack.client().restore, point_id,
                             volume_types={STATE["secret_volume"]: "standard"})
    assert error.field == "volume_types" and "encrypt" in str(error)
    error = expect_api_error(400, stack.client().restore, point_id, volume_id=STATE["secret_volume"],
                             volume_type="standard")
    assert error.field == "volume_type" and "'standard' is not encrypted" in str(error)

    job = stack.run_restore(point_id, name="secret-1-back")
    new_volume = stack.service.block_storage.get_volume(job["result"]["volume_ids"][STATE["secret_volume"]])
    assert new_volume.is_encrypted and new_volume.volume_type == "luks"
    job = stack.run_restore(point_id, volume_id=STATE["secret_volume"], name="secret-volume-back")
    single = stack.service.block_storage.get_volume(job["result"]["volume_id"])
    assert single.is_encrypted and single.volume_type == "luks"
    assert stack.leftovers() == {}
