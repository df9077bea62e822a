# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""tempest's published Nova response schemas validate the sandbox's answers, per microversion and per role.

Every request names its microversion (``OpenStack-API-Version: compute 2.x``) and its answer is checked with
tempest's own ``RestClient.validate_response`` (status code, headers, body, tempest's format checker) against the
schema module tempest's compute clients use for that microversion: the highest ``compute.v2_xx`` module at or below
it that defines the schema. tempest's schemas set ``additionalProperties: False``, so a field the real Nova would
not return at that microversion (or to that role) fails the test as surely as a missing one.
"""
from __future__ import annotations

import importlib
import pkgutil
import uuid

import pytest
import tempest.lib.api_schema.response.compute as compute_schemas
from tempest.lib.common.rest_client import RestClient

from tests.functional.sandbox.nova_helpers import (
    ComputeApi,
    Response,
    VolumeApi,
    delete_image,
    make_ext4_image,
    upload_image,
)

SERVER_MICROVERSIONS = ["2.1", "2.3", "2.9", "2.16", "2.19", "2.26", "2.47", "2.63", "2.71", "2.73", "2.75",
                        "2.79", "2.89", "2.90", "2.96"]
ADMIN_MICROVERSIONS = ["2.1", "2.3", "2.16", "2.47", "2.73", "2.96"]
RESOURCE_MICROVERSIONS = ["2.1", "2.2", "2.11", "2.13", "2.19", "2.26", "2.28", "2.33", "2.36", "2.39", "2.41",
                          "2.47", "2.53", "2.55", "2.57", "2.61", "2.64", "2.70", "2.73", "2.75", "2.79", "2.87",
                          "2.96"]


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


_MODULE_VERSIONS = sorted(
    (_version(name[1:].replace("_", ".")), name)
    for _, name, is_package in pkgutil.iter_modules(compute_schemas.__path__) if is_package and name.startswith("v2_")
)


class Schemas:
    """tempest's schemas of one API (``servers``, ``flavors``...) at one microversion.

    ``schemas.name`` is taken from the highest ``compute.v2_xx.<kind>`` module at or below the microversion that
    defines ``name``, which is what tempest's compute service clients pick (their modules only redefine what
    changed; a name no later module redefines, such as ``create_server``, comes from ``v2_1``).
    """

    def __init__(self, kind: str, microversion: str):
        self.kind = kind
        self.modules = []
        for version, package in _MODULE_VERSIONS:
            if version > _version(microversion):
                break
            try:
                self.modules.append(importlib.import_module(f"{compute_schemas.__name__}.{package}.{kind}"))
            except ModuleNotFoundError:
                continue
        assert self.modules, (kind, microversion)

    def __getattr__(self, name: str) -> dict:
        for module in reversed(self.modules):
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"tempest publishes no {self.kind}.{name} schema")


def schemas(kind: str, microversion: str) -> Schemas:
    return Schemas(kind, microversion)


def validate(schema: dict, response) -> dict | None:
    body = response.json() if response.content else None
    RestClient.validate_response(schema, Response(response), body)
    return body


@pytest.fixture(scope="module")
def image(sandbox):
    image_id = upload_image(sandbox, make_ext4_image(8))
    yield image_id
    delete_image(sandbox, image_id)


def _boot(api: ComputeApi, image: str, microversion: str) -> tuple[dict, dict]:
    servers = schemas("servers", microversion)
    extra = {"metadata": {"purpose": "schema"}}
    if _version(microversion) >= (2, 19):
        extra["description"] = "validated by tempest schemas"
    if _version(microversion) >= (2, 52):
        extra["tags"] = ["schema"]
    networks = "auto" if _version(microversion) >= (2, 37) else None
    body = {"name": f"schema-{microversion}-{uuid.uuid4().hex[:6]}", "flavorRef": "1", "imageRef": image, **extra}
    if networks:
        body["networks"] = networks
    response = api.request("POST", "/servers", json={"server": body})
    created = response.json()["server"]
    schema = servers.create_server_with_admin_pass if "adminPass" in created else servers.create_server
    validate(schema, response)
    return created, api.wait_server(created["id"])


@pytest.mark.parametrize("microversion", SERVER_MICROVERSIONS)
def test_server_lifecycle_as_member(sandbox, image, microversion):
    _server_lifecycle(sandbox, image, microversion, "demo-member")


@pytest.mark.parametrize("microversion", ADMIN_MICROVERSIONS)
def test_server_lifecycle_as_admin(sandbox, image, microversion):
    _server_lifecycle(sandbox, image, microversion, "admin")


def _server_lifecycle(sandbox, image: str, microversion: str, user: str) -> None:
    api = ComputeApi(sandbox, user, microversion)
    volumes = VolumeApi(sandbox, user)
    servers = schemas("servers", microversion)
    created, _ = _boot(api, image, microversion)
    server_id = created["id"]
    volume = volumes.create(1, name=f"schema-{microversion}")
    try:
        validate(servers.get_server, api.request("GET", f"/servers/{server_id}"))
        validate(servers.list_servers, api.request("GET", "/servers"))
        paged = validate(servers.list_servers_detail, api.request("GET", "/servers/detail?limit=1"))
        assert paged["servers_links"][0]["rel"] == "next"
        validate(servers.update_server, api.request("PUT", f"/servers/{server_id}",
                                                    json={"server": {"name": "renamed"}}))
        validate(servers.list_addresses, api.request("GET", f"/servers/{server_id}/ips"))
        validate(servers.set_server_metadata, api.request("PUT", f"/servers/{server_id}/metadata",
                                                          json={"metadata": {"a": "1", "b": "2"}}))
        validate(servers.update_server_metadata, api.request("POST", f"/servers/{server_id}/metadata",
                                                             json={"metadata": {"c": "3"}}))
        validate(servers.set_show_server_metadata_item, api.request("GET", f"/servers/{server_id}/metadata/a"))
        validate(servers.delete_server_metadata_item, api.request("DELETE", f"/servers/{server_id}/metadata/a"))
        if _version(microversion) >= (2, 26):
            validate(servers.update_all_tags, api.request("PUT", f"/servers/{server_id}/tags",
                                                          json={"tags": ["one", "two"]}))
            validate(servers.update_tag, api.request("PUT", f"/servers/{server_id}/tags/three"))
            validate(servers.check_tag_existence, api.request("GET", f"/servers/{server_id}/tags/three"))
            validate(servers.delete_tag, api.request("DELETE", f"/servers/{server_id}/tags/one"))
            assert validate(servers.list_tags, api.request("GET", f"/servers/{server_id}/tags"))["tags"] == [
                "two", "three"]
        validate(servers.get_console_output, api.request("POST", f"/servers/{server_id}/action",
                                                         json={"os-getConsoleOutput": {"length": 5}}))
        if _version(microversion) >= (2, 6):
            validate(servers.get_remote_consoles, api.request(
                "POST", f"/servers/{server_id}/remote-consoles",
                json={"remote_console": {"protocol": "vnc", "type": "novnc"}}))
        else:
            validate(servers.get_vnc_console, api.request("POST", f"/servers/{server_id}/action",
                                                          json={"os-getVNCConsole": {"type": "novnc"}}))
        interfaces = schemas("interfaces", microversion)
        listed = validate(interfaces.list_interfaces, api.request("GET", f"/servers/{server_id}/os-interface"))
        port_id = listed["interfaceAttachments"][0]["port_id"]
        validate(interfaces.get_create_interfaces, api.request("GET", f"/servers/{server_id}/os-interface/{port_id}"))

        attached = validate(servers.attach_volume, api.request(
            "POST", f"/servers/{server_id}/os-volume_attachments",
            json={"volumeAttachment": {"volumeId": volume["id"]}}))
        assert attached["volumeAttachment"]["device"] == "/dev/vdb"
        volumes.wait(volume["id"], "in-use")
        validate(servers.list_volume_attachments, api.request("GET", f"/servers/{server_id}/os-volume_attachments"))
        validate(servers.show_volume_attachment,
                 api.request("GET", f"/servers/{server_id}/os-volume_attachments/{volume['id']}"))
        validate(servers.get_server, api.request("GET", f"/servers/{server_id}"))
        validate(servers.detach_volume,
                 api.request("DELETE", f"/servers/{server_id}/os-volume_attachments/{volume['id']}"))
        volumes.wait(volume["id"], "available")

        validate(servers.server_actions_common_schema, api.request("POST", f"/servers/{server_id}/action",
                                                                   json={"os-stop": None}))
        stopped = api.wait_server(server_id, "SHUTOFF")
        assert stopped["OS-EXT-STS:power_state"] == 4
        actions = validate(servers.list_instance_actions,
                           api.request("GET", f"/servers/{server_id}/os-instance-actions"))
        assert [a["action"] for a in actions["instanceActions"]][-1] == "create"
        request_id = actions["instanceActions"][0]["request_id"]
        validate(servers.show_instance_action,
                 api.request("GET", f"/servers/{server_id}/os-instance-actions/{request_id}"))
        validate(servers.delete_server, api.request("DELETE", f"/servers/{server_id}"))
        api.delete_server(server_id)
    finally:
        api.request("DELETE", f"/servers/{server_id}")
        volumes.wait(volume["id"], "available") if volumes.get(volume["id"]) else None
        volumes.delete(volume["id"])


@pytest.mark.parametrize("microversion", ["2.1", "2.47", "2.96"])
def test_boot_from_volume_server_schemas(sandbox, image, microversion):
    api = ComputeApi(sandbox, "demo-member", microversion)
    servers = schemas("servers", microversion)
    body = {"name": f"bfv-schema-{microversion}", "flavorRef": "1", "block_device_mapping_v2": [
        {"boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True}]}
    if _version(microversion) >= (2, 37):
        body["networks"] = "none"
    response = api.request("POST", "/servers", json={"server": body})
    created = response.json()["server"]
    validate(servers.create_server_with_admin_pass, response)
    try:
        server = api.wait_server(created["id"])
        assert server["image"] == ""
        shown = validate(servers.get_server, api.request("GET", f"/servers/{created['id']}"))
        attached = shown["server"]["os-extended-volumes:volumes_attached"]
        assert len(attached) == 1
        listed = validate(servers.list_volume_attachments,
                          api.request("GET", f"/servers/{created['id']}/os-volume_attachments"))
        assert listed["volumeAttachments"][0]["device"] == "/dev/vda"
    finally:
        api.delete_server(created["id"])


def _ssh_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " test"


@pytest.mark.parametrize("microversion", RESOURCE_MICROVERSIONS)
def test_flavor_limit_zone_keypair_quota_schemas(sandbox, microversion):
    api = ComputeApi(sandbox, "demo-member", microversion)
    flavors = schemas("flavors", microversion)
    listed = validate(flavors.list_flavors, api.request("GET", "/flavors"))
    assert {f["name"] for f in listed["flavors"]} >= {"m1.tiny", "m1.small", "m1.medium"}
    assert "backup.proxy" not in {f["name"] for f in listed["flavors"]}  # private to the service project
    validate(flavors.list_flavors_details, api.request("GET", "/flavors/detail?is_public=None"))
    validate(flavors.create_update_get_flavor_details, api.request("GET", "/flavors/1"))
    paged = validate(flavors.list_flavors, api.request("GET", "/flavors?limit=2"))
    assert len(paged["flavors"]) == 2 and paged["flavors_links"][0]["rel"] == "next"
    extra_specs = schemas("flavors_extra_specs", microversion)
    validate(extra_specs.set_get_flavor_extra_specs, api.request("GET", "/flavors/1/os-extra_specs"))

    limits = validate(schemas("limits", microversion).get_limit, api.request("GET", "/limits"))
    assert limits["limits"]["absolute"]["maxTotalInstances"] == 10
    validate(schemas("availability_zone", microversion).list_availability_zone_list,
             api.request("GET", "/os-availability-zone"))

    keypairs = schemas("keypairs", microversion)
    name = f"key-{uuid.uuid4().hex[:8]}"
    if _version(microversion) >= (2, 92):  # Nova stopped generating keys: the client brings its public key
        refused = api.request("POST", "/os-keypairs", json={"keypair": {"name": name}})
        assert refused.status_code == 400
        created = validate(keypairs.create_keypair, api.request(
            "POST", "/os-keypairs", json={"keypair": {"name": name, "public_key": _ssh_public_key()}}))
        assert "private_key" not in created["keypair"]
    else:
        created = validate(keypairs.create_keypair,
                           api.request("POST", "/os-keypairs", json={"keypair": {"name": name}}))
        assert created["keypair"]["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert len(created["keypair"]["fingerprint"].split(":")) == 16
    validate(keypairs.list_keypairs, api.request("GET", "/os-keypairs"))
    validate(keypairs.get_keypair, api.request("GET", f"/os-keypairs/{name}"))
    validate(keypairs.delete_keypair, api.request("DELETE", f"/os-keypairs/{name}"))

    quotas = schemas("quotas", microversion)
    project_id = api.project_id
    validate(quotas.get_quota_set, api.request("GET", f"/os-quota-sets/{project_id}"))
    validate(quotas.get_quota_set, api.request("GET", f"/os-quota-sets/{project_id}/defaults"))
    validate(quotas.get_quota_set_details, api.request("GET", f"/os-quota-sets/{project_id}/detail"))
    usage = schemas("tenant_usages", microversion)
    validate(usage.get_tenant_usage, api.request("GET", f"/os-simple-tenant-usage/{project_id}"
                                                        "?start=2020-01-01T00:00:00"))
    groups = schemas("server_groups", microversion)
    policy = {"policy": "anti-affinity"} if _version(microversion) >= (2, 64) else {"policies": ["anti-affinity"]}
    group = validate(groups.create_show_server_group,
                     api.request("POST", "/os-server-groups", json={"server_group": {"name": "g", **policy}}))
    validate(groups.list_server_groups, api.request("GET", "/os-server-groups"))
    validate(groups.create_show_server_group, api.request("GET", f"/os-server-groups/{group['server_group']['id']}"))
    validate(groups.delete_server_group, api.request("DELETE", f"/os-server-groups/{group['server_group']['id']}"))
    validate(schemas("versions", microversion).get_one_version, api.request("GET", sandbox.url + "/compute/v2.1/"))
    validate(schemas("extensions", microversion).list_extensions, api.request("GET", "/extensions"))


@pytest.mark.parametrize("microversion", RESOURCE_MICROVERSIONS)
def test_admin_resource_schemas(sandbox, microversion):
    api = ComputeApi(sandbox, "admin", microversion)
    zones = validate(schemas("availability_zone", microversion).list_availability_zone_list_detail,
                     api.request("GET", "/os-availability-zone/detail"))
    assert {z["zoneName"] for z in zones["availabilityZoneInfo"]} == {"internal", "nova", "az2"}
    services = validate(schemas("services", microversion).list_services, api.request("GET", "/os-services"))
    assert {s["binary"] for s in services["services"]} == {"nova-conductor", "nova-scheduler", "nova-compute"}
    if _version(microversion) < (2, 88):  # tempest publishes no hypervisor schema for 2.88's smaller view
        hypervisors = schemas("hypervisors", microversion)
        detail = validate(hypervisors.list_hypervisors_detail, api.request("GET", "/os-hypervisors/detail"))
        validate(hypervisors.list_search_hypervisors, api.request("GET", "/os-hypervisors"))
        first = detail["hypervisors"][0]["id"]
        validate(hypervisors.get_hypervisor, api.request("GET", f"/os-hypervisors/{first}"))
        validate(hypervisors.get_hypervisor_statistics, api.request("GET", "/os-hypervisors/statistics"))
    flavors = schemas("flavors", microversion)
    flavor_id = f"schema-{uuid.uuid4().hex[:8]}"
    body = {"name": flavor_id, "ram": 256, "vcpus": 1, "disk": 1, "id": flavor_id}
    validate(flavors.create_update_get_flavor_details, api.request("POST", "/flavors", json={"flavor": body}))
    validate(flavors.delete_flavor, api.request("DELETE", f"/flavors/{flavor_id}"))
    access = schemas("flavors_access", microversion)
    validate(access.add_remove_list_flavor_access, api.request("GET", "/flavors/10/os-flavor-access"))
    quotas = schemas("quotas", microversion)
    demo = ComputeApi(sandbox, "demo-member").project_id
    validate(quotas.get_quota_set, api.request("GET", f"/os-quota-sets/{demo}"))
    validate(quotas.update_quota_set, api.request("PUT", f"/os-quota-sets/{demo}",
                                                  json={"quota_set": {"key_pairs": 100}}))
    validate(schemas("tenant_usages", microversion).list_tenant_usage,
             api.request("GET", "/os-simple-tenant-usage?detailed=1&start=2020-01-01T00:00:00"))
    validate(schemas("aggregates", microversion).list_aggregates, api.request("GET", "/os-aggregates"))
    if _version(microversion) < (2, 43):
        validate(schemas("hosts", microversion).list_hosts, api.request("GET", "/os-hosts"))
    else:  # the deprecated hosts API is gone from 2.43
        assert api.request("GET", "/os-hosts").status_code == 404
    validate(schemas("migrations", microversion).list_migrations, api.request("GET", "/os-migrations"))
