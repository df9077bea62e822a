# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Neutron of the embedded cloud over real HTTP, with raw requests and with openstacksdk (what Horizon uses)."""
from __future__ import annotations

import uuid

import openstack
import pytest

from tests.functional.sandbox.nova_helpers import ComputeApi, delete_image, make_ext4_image, upload_image


class NetworkApi:
    def __init__(self, sandbox, user: str = "demo-member"):
        self.session = sandbox.session(user)
        self.base = sandbox.url + "/network/v2.0"

    def request(self, method: str, path: str, json=None, expect=None):
        response = self.session.request(path if path.startswith("http") else self.base + path, method, json=json,
                                        raise_exc=False)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text[:400])
        return response

    def get(self, path: str):
        return self.request("GET", path, expect=200).json()


def sdk(sandbox, user: str = "demo-member"):
    return openstack.connection.Connection(session=sandbox.session(user), region_name="RegionOne")


def test_extensions_horizon_checks(sandbox):
    aliases = {e["alias"] for e in NetworkApi(sandbox).get("/extensions")["extensions"]}
    assert {"security-group", "quotas", "quota_details", "port-security", "router", "external-net", "binding",
            "allowed-address-pairs", "extraroute", "provider", "agent", "network-ip-availability",
            "availability_zone", "network_availability_zone"} <= aliases
    assert "trunk" not in aliases  # not served, so not advertised
    assert NetworkApi(sandbox).get("/extensions/security-group")["extension"]["name"] == "security-group"
    assert NetworkApi(sandbox).request("GET", "/extensions/nope").status_code == 404


def test_seeded_networks_and_tenancy(sandbox):
    demo, alt, admin = NetworkApi(sandbox), NetworkApi(sandbox, "alt-member"), NetworkApi(sandbox, "admin")
    demo_names = {n["name"] for n in demo.get("/networks")["networks"]}
    assert demo_names == {"demo-net", "public"}
    public = demo.get("/networks?name=public")["networks"][0]
    assert public["router:external"] is True and public["shared"] is True
    assert "provider:network_type" not in public  # admin-only attribute
    demo_net = demo.get("/networks?name=demo-net")["networks"][0]
    assert alt.request("GET", f"/networks/{demo_net['id']}").status_code == 404
    assert {n["name"] for n in admin.get("/networks")["networks"]} >= {"demo-net", "alt-net", "service-net",
                                                                        "public"}
    assert admin.get(f"/networks/{demo_net['id']}")["network"]["provider:network_type"] == "geneve"
    cidrs = {s["name"]: s["cidr"] for s in admin.get("/subnets")["subnets"]}
    assert len({cidrs["demo-net-subnet"], cidrs["alt-net-subnet"], cidrs["service-net-subnet"]}) == 3
    subnet = demo.get(f"/subnets/{demo_net['subnets'][0]}")["subnet"]
    assert subnet["allocation_pools"] == [{"start": "10.0.10.2", "end": "10.0.10.254"}]
    router = demo.get("/routers")["routers"][0]
    assert router["external_gateway_info"]["network_id"] == public["id"]
    assert NetworkApi(sandbox, "demo-reader").request(
        "POST", "/networks", json={"network": {"name": "nope"}}).status_code == 403


def test_default_security_group_per_project(sandbox):
    groups = NetworkApi(sandbox, "alt-member").get("/security-groups")["security_groups"]
    default = [g for g in groups if g["name"] == "default"]
    assert len(default) == 1
    rules = default[0]["security_group_rules"]
    assert sorted((r["direction"], r["ethertype"], r["remote_group_id"] is not None) for r in rules) == [
        ("egress", "IPv4", False), ("egress", "IPv6", False), ("ingress", "IPv4", True), ("ingress", "IPv6", True)]
    demo_groups = NetworkApi(sandbox).get("/security-groups")["security_groups"]
    assert default[0]["id"] not in {g["id"] for g in demo_groups}


def test_network_subnet_port_lifecycle_with_filters_and_fields(sandbox):
    api = NetworkApi(sandbox)
    net = api.request("POST", "/networks", json={"network": {"name": f"net-{uuid.uuid4().hex[:6]}"}},
                      expect=201).json()["network"]
    try:
        subnet = api.request("POST", "/subnets", json={"subnet": {
            "network_id": net["id"], "cidr": "192.168.77.0/28", "ip_version": 4, "name": "s",
            "allocation_pools": [{"start": "192.168.77.5", "end": "192.168.77.7"}]}}, expect=201).json()["subnet"]
        assert subnet["gateway_ip"] == "192.168.77.1"
        device = str(uuid.uuid4())
        ports = []
        for _ in range(2):  # the OVN metadata port took .5
            ports.append(api.request("POST", "/ports", json={"port": {"network_id": net["id"], "device_id": device,
                                                                      "device_owner": "compute:nova"}},
                                     expect=201).json()["port"])
        assert [p["fixed_ips"][0]["ip_address"] for p in ports] == ["192.168.77.6", "192.168.77.7"]
        assert all(p["mac_address"].startswith("fa:16:3e:") for p in ports)
        assert api.request("POST", "/ports", json={"port": {"network_id": net["id"]}}).status_code == 409  # full
        selected = api.get(f"/ports?device_id={device}&fields=id&fields=mac_address")["ports"]
        assert sorted(selected, key=lambda p: p["id"]) == sorted(
            ({"id": p["id"], "mac_address": p["mac_address"]} for p in ports), key=lambda p: p["id"])
        assert api.get("/ports?fixed_ips=ip_address%3D192.168.77.7")["ports"][0]["id"] == ports[1]["id"]
        assert api.request("GET", "/ports?no_such_attribute=1").status_code == 400
        assert api.request("DELETE", f"/networks/{net['id']}").status_code == 409  # ports in use
        for port in ports:
            api.request("DELETE", f"/ports/{port['id']}", expect=204)
    finally:
        api.request("DELETE", f"/networks/{net['id']}")
    assert api.request("GET", f"/networks/{net['id']}").status_code == 404


def test_paging_with_links(sandbox):
    api = NetworkApi(sandbox, "admin")
    page = api.get("/networks?limit=2&sort_key=name&sort_dir=asc")
    assert [n["name"] for n in page["networks"]] == ["alt-net", "demo-net"]
    following = api.get(next(link["href"] for link in page["networks_links"] if link["rel"] == "next"))
    assert [n["name"] for n in following["networks"]][:2] == ["public", "service-net"]


def test_security_group_rules(sandbox):
    api = NetworkApi(sandbox)
    group = api.request("POST", "/security-groups", json={"security_group": {"name": f"web-{uuid.uuid4().hex[:4]}"}},
                        expect=201).json()["security_group"]
    try:
        assert len(group["security_group_rules"]) == 2  # egress v4 + v6
        rule = {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
                "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0", "ethertype": "IPv4"}
        created = api.request("POST", "/security-group-rules", json={"security_group_rule": rule},
                              expect=201).json()["security_group_rule"]
        assert api.request("POST", "/security-group-rules", json={"security_group_rule": rule}).status_code == 409
        bad = dict(rule, port_range_min=30, port_range_max=20)
        assert api.request("POST", "/security-group-rules", json={"security_group_rule": bad}).status_code == 400
        assert NetworkApi(sandbox, "alt-member").request("GET", f"/security-groups/{group['id']}").status_code == 404
        api.request("DELETE", f"/security-group-rules/{created['id']}", expect=204)
        default = api.get("/security-groups?name=default")["security_groups"][0]
        assert api.request("DELETE", f"/security-groups/{default['id']}").status_code == 409
    finally:
        api.request("DELETE", f"/security-groups/{group['id']}", expect=204)


@pytest.fixture(scope="module")
def image(sandbox):
    image_id = upload_image(sandbox, make_ext4_image(8))
    yield image_id
    delete_image(sandbox, image_id)


def test_server_ports_floating_ip_and_quota_usage(sandbox, image):
    compute = ComputeApi(sandbox)
    api = NetworkApi(sandbox)
    before = api.get(f"/quotas/{compute.project_id}/details")["quota"]
    server = compute.create_server(f"fip-{uuid.uuid4().hex[:6]}", image=image)
    fip = None
    try:
        compute.wait_server(server["id"])
        port = api.get(f"/ports?device_id={server['id']}")["ports"][0]
        assert port["status"] == "ACTIVE" and port["binding:vnic_type"] == "normal"
        assert "binding:host_id" not in port  # admin-only
        assert NetworkApi(sandbox, "admin").get(f"/ports/{port['id']}")["port"]["binding:host_id"] == "compute-nova"
        public = api.get("/networks?router:external=True")["networks"][0]
        fip = api.request("POST", "/floatingips", json={"floatingip": {"floating_network_id": public["id"],
                                                                       "port_id": port["id"]}},
                          expect=201).json()["floatingip"]
        assert fip["status"] == "ACTIVE" and fip["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
        addresses = compute.server(server["id"])["addresses"]["demo-net"]
        assert [a["OS-EXT-IPS:type"] for a in addresses] == ["fixed", "floating"]
        assert addresses[1]["addr"] == fip["floating_ip_address"]
        details = api.get(f"/quotas/{compute.project_id}/details")["quota"]
        assert details["port"]["used"] == before["port"]["used"] + 1
        assert details["floatingip"]["used"] == before["floatingip"]["used"] + 1
        assert details["network"]["limit"] == 100
    finally:
        compute.delete_server(server["id"])
        if fip:
            assert api.get(f"/floatingips/{fip['id']}")["floatingip"]["port_id"] is None  # freed with the port
            api.request("DELETE", f"/floatingips/{fip['id']}", expect=204)


def test_openstacksdk_sees_what_horizon_needs(sandbox):
    conn = sdk(sandbox)
    nets = {n.name: n for n in conn.network.networks()}
    assert nets["public"].is_router_external and nets["public"].is_shared
    assert {e.alias for e in conn.network.extensions()} >= {"security-group", "quotas"}
    ports = list(conn.network.ports(network_id=nets["demo-net"].id))
    assert ports and all(p.network_id == nets["demo-net"].id for p in ports)
    quota = conn.network.get_quota(conn.current_project_id, details=True)
    assert quota.networks["limit"] == 100
    groups = list(conn.network.security_groups(project_id=conn.current_project_id))
    assert [g.name for g in groups if g.name == "default"] == ["default"]
    zones = {(z.name, z.resource) for z in conn.network.availability_zones()}
    assert ("nova", "network") in zones
    admin = sdk(sandbox, "admin")
    availability = admin.network.get_network_ip_availability(nets["demo-net"].id)
    assert availability.total_ips == 253 and availability.used_ips >= 2
    assert {a.agent_type for a in admin.network.agents()} >= {"DHCP agent", "L3 agent", "Open vSwitch agent"}
