# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What restore rebuilds around a server, on the genuine Neutron and Nova: a floating IP and a server group are
recorded at backup; once the original is deleted (Neutron frees its port's fixed IP and the floating IP), the
restored server gets the same fixed IP on the same network, the floating IP back, and joins the group.
"""
from __future__ import annotations

import pytest
from storage_backup.cloud.waiting import wait_server_deleted

from tests.genuine import neutron
from tests.genuine.instances import TIMEOUT, boot_from_image

pytestmark = pytest.mark.timeout(600)


def test_a_floating_ip_and_a_server_group_come_back_with_the_server(stack):
    if not neutron.real(stack.cloud):
        pytest.fail(f"the genuine Neutron did not run: {stack.cloud.meta.get('neutron_error')}")
    demo = stack.connect("demo-member")
    group = demo.compute.create_server_group(name="genuine-tier", policy="anti-affinity")
    server = boot_from_image(stack, demo, "fip-1", scheduler_hints={"group": group.id})
    port = next(demo.network.ports(device_id=server.id))
    public = next(stack.service.network.networks(name="public"))
    fip = demo.network.create_ip(floating_network_id=public.id, port_id=port.id)
    fixed = port.fixed_ips[0]["ip_address"]
    policy = stack.client().policy_create(name="genuine-network", destination_id=stack.destination()["id"])
    stack.client().protect(server.id, policy["id"])
    job = stack.run_backup(server.id)
    document = stack.client().restore_point_instance(job["restore_point_id"])
    assert document["floating_ips"] == [{
        "id": fip.id, "floating_ip_address": fip.floating_ip_address, "floating_network_id": public.id,
        "port_id": port.id, "fixed_ip_address": fixed}]
    assert document["server_groups"] == [{"id": group.id, "name": "genuine-tier", "policy": "anti-affinity"}]

    demo.compute.delete_server(server.id)
    wait_server_deleted(stack.service, server.id, timeout=TIMEOUT)
    assert demo.network.get_ip(fip.id).port_id is None  # Nova deleted the port it made: the addresses are free
    restored = stack.run_restore(job["restore_point_id"])["result"]["server_id"]
    port = next(demo.network.ports(device_id=restored))
    assert (port.network_id, port.fixed_ips[0]["ip_address"]) == (stack.cloud.meta["networks"]["demo-net"], fixed)
    again = demo.network.get_ip(fip.id)
    assert (again.port_id, again.fixed_ip_address) == (port.id, fixed)
    assert restored in demo.compute.get_server_group(group.id).member_ids
    assert stack.leftovers() == {}
