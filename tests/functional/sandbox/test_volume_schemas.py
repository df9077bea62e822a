# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""tempest's published Cinder response schemas validate the sandbox's answers, per microversion and per role.

Every request names its microversion (``OpenStack-API-Version: volume 3.x``) and is checked with tempest's own
``RestClient.validate_response`` (status code, body, tempest's format checker) against the schema module tempest
uses for that microversion (``volume.v3_xx`` where tempest has one, the base module below it). tempest's schemas set
``additionalProperties: False``, so a field the real API would not return at that microversion fails the test.

Where tempest stops short of what the real API returns (snapshots carry ``group_snapshot_id`` from 3.14,
``user_id`` from 3.41 and ``consumes_quota`` from 3.65 (cinder/api/v3/views/snapshots.py), but tempest only publishes
the 3.0 snapshot schema), the schema below is tempest's with exactly those documented fields added, in the same
way tempest derives its own ``v3_xx`` modules. The availability-zone schema is written here from Cinder's api-ref,
because tempest publishes none for the volume service.
"""
from __future__ import annotations

import copy
import io
import uuid

import pytest
from tempest.lib.api_schema.response.compute.v2_1 import parameter_types
from tempest.lib.api_schema.response.volume import (
    encryption_types,
    extensions,
    group_snapshots,
    group_types,
    groups,
    limits,
    messages,
    quotas,
    scheduler_stats,
    services,
    snapshots,
    transfers,
    versions,
    volume_types,
    volumes,
)
from tempest.lib.api_schema.response.volume.v3_7 import services as services_v3_7
from tempest.lib.api_schema.response.volume.v3_55 import transfers as transfers_v3_55
from tempest.lib.api_schema.response.volume.v3_57 import transfers as transfers_v3_57
from tempest.lib.api_schema.response.volume.v3_61 import volumes as volumes_v3_61
from tempest.lib.api_schema.response.volume.v3_63 import volumes as volumes_v3_63
from tempest.lib.api_schema.response.volume.v3_64 import volumes as volumes_v3_64
from tempest.lib.api_schema.response.volume.v3_65 import volumes as volumes_v3_65
from tempest.lib.api_schema.response.volume.v3_69 import volumes as volumes_v3_69
from tempest.lib.common.rest_client import RestClient

from tests.functional.sandbox.volume_helpers import wait_for

MICROVERSIONS = ["3.0", "3.13", "3.44", "3.55", "3.58", "3.61", "3.63", "3.64", "3.65", "3.69", "3.71"]


def version_tuple(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def volume_module(microversion: str):
    for floor, module in (((3, 69), volumes_v3_69), ((3, 65), volumes_v3_65), ((3, 64), volumes_v3_64),
                          ((3, 63), volumes_v3_63), ((3, 61), volumes_v3_61)):
        if version_tuple(microversion) >= floor:
            return module
    return volumes


def update_schema(module) -> dict:
    """tempest's base module defines the update answer as the create answer with 200; its v3_61+ modules copy the
    base update schema without their own additions (cluster_name, volume_type_id...), although Cinder renders an
    update with the same view as a create. Derive it from the module's create schema, as the base module does."""
    schema = copy.deepcopy(module.create_volume)
    schema["status_code"] = [200]
    return schema


def transfer_module(microversion: str):
    for floor, module in (((3, 57), transfers_v3_57), ((3, 55), transfers_v3_55)):
        if version_tuple(microversion) >= floor:
            return module
    return transfers


def services_module(microversion: str):
    return services_v3_7 if version_tuple(microversion) >= (3, 7) else services


def snapshot_schemas(microversion: str) -> dict:
    """tempest's snapshot schemas plus the fields cinder's v3 view adds at 3.14, 3.41 and 3.65."""
    added = {}
    if version_tuple(microversion) >= (3, 14):
        added["group_snapshot_id"] = parameter_types.uuid_or_null
    if version_tuple(microversion) >= (3, 41):
        added["user_id"] = {"type": "string"}
    if version_tuple(microversion) >= (3, 65):
        added["consumes_quota"] = {"type": "boolean"}
    result = {}
    for name in ("create_snapshot", "update_snapshot", "show_snapshot", "list_snapshots_with_detail",
                 "list_snapshots_no_detail"):
        schema = copy.deepcopy(getattr(snapshots, name))
        body = schema["response_body"]["properties"]
        item = body["snapshots"]["items"] if "snapshots" in body else body["snapshot"]
        if name != "list_snapshots_no_detail":  # the summary list is cinder's base view, unchanged since 3.0
            item["properties"].update(copy.deepcopy(added))
        result[name] = schema
    return result


# cinder 2024.1's group snapshot summary view (the one create answers with, and tempest's create schema allows)
# carries group_type_id, "added for migrating CGs to generic volume groups"; tempest's summary-list schema predates it.
LIST_GROUP_SNAPSHOTS = copy.deepcopy(group_snapshots.list_group_snapshots_no_detail)
LIST_GROUP_SNAPSHOTS["response_body"]["properties"]["group_snapshots"]["items"]["properties"]["group_type_id"] = {
    "type": "string", "format": "uuid"}

AVAILABILITY_ZONES = {  # Cinder api-ref "List Availability Zone Information" (tempest publishes no schema)
    "status_code": [200],
    "response_body": {
        "type": "object",
        "properties": {"availabilityZoneInfo": {"type": "array", "items": {
            "type": "object",
            "properties": {"zoneName": {"type": "string"},
                           "zoneState": {"type": "object", "properties": {"available": {"type": "boolean"}},
                                         "additionalProperties": False, "required": ["available"]}},
            "additionalProperties": False, "required": ["zoneName", "zoneState"]}}},
        "additionalProperties": False, "required": ["availabilityZoneInfo"],
    },
}


class Response(dict):
    """The shape tempest's RestClient.validate_response expects: a header dict with ``status``."""

    def __init__(self, raw):
        super().__init__({k.lower(): v for k, v in raw.headers.items()})
        self.status = raw.status_code


class VolumeApi:
    """Raw Cinder requests at one microversion, each answer validated against a tempest schema."""

    def __init__(self, sandbox, user: str, microversion: str):
        self.session = sandbox.session(user)
        self.microversion = microversion
        self.base = self.session.get_endpoint(service_type="block-storage", interface="public")
        self.root = sandbox.url + "/volume"

    def call(self, method: str, path: str, schema: dict, json=None, url: str | None = None):
        response = self.session.request(url or self.base + path, method, json=json, raise_exc=False,
                                        headers={"OpenStack-API-Version": f"volume {self.microversion}",
                                                 "Accept": "application/json"})
        body = response.json() if response.content else None
        assert response.status_code in schema["status_code"], (method, path, response.status_code, body)
        assert response.headers.get("OpenStack-API-Version") == f"volume {self.microversion}"
        RestClient.validate_response(schema, Response(response), body)
        return body

    def wait_volume(self, volume_id: str, status: str = "available") -> dict:
        schema = volume_module(self.microversion).show_volume
        return wait_for(lambda: self.call("GET", f"/volumes/{volume_id}", schema)["volume"], status)


@pytest.fixture(scope="module", params=MICROVERSIONS)
def microversion(request):
    return request.param


@pytest.mark.parametrize("user", ["demo-member", "admin"])
def test_volumes(sandbox, microversion, user):
    api = VolumeApi(sandbox, user, microversion)
    schemas = volume_module(microversion)
    name = f"schema-{uuid.uuid4().hex[:8]}"
    created = api.call("POST", "/volumes", schemas.create_volume,
                       json={"volume": {"size": 1, "name": name, "metadata": {"purpose": "schema"}}})["volume"]
    wait_for(lambda: api.call("GET", f"/volumes/{created['id']}", schemas.show_volume)["volume"], "available")
    listed = api.call("GET", "/volumes?limit=1", schemas.list_volumes_no_detail)
    assert len(listed["volumes"]) == 1 and listed["volumes_links"][0]["rel"] == "next"
    detail = api.call("GET", f"/volumes/detail?name={name}", schemas.list_volumes_with_detail)["volumes"]
    assert [v["id"] for v in detail] == [created["id"]]
    assert ("os-vol-host-attr:host" in detail[0]) == (user == "admin")
    assert ("volume_type_id" in detail[0]) == (version_tuple(microversion) >= (3, 63))
    assert ("consumes_quota" in detail[0]) == (version_tuple(microversion) >= (3, 65))
    api.call("PUT", f"/volumes/{created['id']}", update_schema(schemas),
             json={"volume": {"description": "validated"}})
    api.call("POST", f"/volumes/{created['id']}/metadata", schemas.create_volume_metadata,
             json={"metadata": {"k": "v"}})
    api.call("GET", f"/volumes/{created['id']}/metadata", schemas.show_volume_metadata)
    api.call("GET", f"/volumes/{created['id']}/metadata/k", volumes.show_volume_metadata_item)
    api.call("POST", f"/volumes/{created['id']}/action", schemas.extend_volume, json={"os-extend": {"new_size": 2}})
    api.wait_volume(created["id"])
    api.call("POST", f"/volumes/{created['id']}/action", schemas.set_bootable_volume,
             json={"os-set_bootable": {"bootable": True}})
    api.call("DELETE", f"/volumes/{created['id']}", schemas.delete_volume)


def test_volume_from_image_shows_image_metadata(sandbox, microversion):
    from tests.functional.sandbox.volume_helpers import glance

    images = glance(sandbox)
    image = images.images.create(name="schema-image", disk_format="raw", container_format="bare")
    images.images.upload(image.id, io.BytesIO(b"\x01" * 4096))
    api = VolumeApi(sandbox, "demo-member", microversion)
    schemas = volume_module(microversion)
    created = api.call("POST", "/volumes", schemas.create_volume,
                       json={"volume": {"size": 1, "imageRef": image.id}})["volume"]
    shown = wait_for(lambda: api.call("GET", f"/volumes/{created['id']}", schemas.show_volume)["volume"],
                     "available")
    assert shown["bootable"] == "true" and shown["volume_image_metadata"]["image_id"] == image.id
    api.call("DELETE", f"/volumes/{created['id']}", schemas.delete_volume)
    images.images.delete(image.id)


def test_snapshots(sandbox, microversion):
    api = VolumeApi(sandbox, "demo-member", microversion)
    schemas = snapshot_schemas(microversion)
    volume = api.call("POST", "/volumes", volume_module(microversion).create_volume,
                      json={"volume": {"size": 1}})["volume"]
    api.wait_volume(volume["id"])
    snapshot = api.call("POST", "/snapshots", schemas["create_snapshot"],
                        json={"snapshot": {"volume_id": volume["id"], "name": "s", "metadata": {"a": "b"}}})
    snapshot_id = snapshot["snapshot"]["id"]
    wait_for(lambda: api.call("GET", f"/snapshots/{snapshot_id}", schemas["show_snapshot"])["snapshot"],
             "available")
    api.call("GET", "/snapshots", schemas["list_snapshots_no_detail"])
    api.call("GET", "/snapshots/detail", schemas["list_snapshots_with_detail"])
    api.call("PUT", f"/snapshots/{snapshot_id}", schemas["update_snapshot"], json={"snapshot": {"name": "t"}})
    api.call("POST", f"/snapshots/{snapshot_id}/metadata", snapshots.create_snapshot_metadata,
             json={"metadata": {"c": "d"}})
    api.call("GET", f"/snapshots/{snapshot_id}/metadata", snapshots.show_snapshot_metadata)
    api.call("GET", f"/snapshots/{snapshot_id}/metadata/c", snapshots.show_snapshot_metadata_item)
    api.call("DELETE", f"/snapshots/{snapshot_id}", snapshots.delete_snapshot)
    wait_for(lambda: _status_or_gone(api, f"/snapshots/{snapshot_id}"), "gone")
    api.call("DELETE", f"/volumes/{volume['id']}", volumes.delete_volume)


def _status_or_gone(api: VolumeApi, path: str) -> dict:
    response = api.session.get(api.base + path, raise_exc=False,
                               headers={"OpenStack-API-Version": f"volume {api.microversion}"})
    return {"status": "gone"} if response.status_code == 404 else next(iter(response.json().values()))


@pytest.mark.parametrize("user", ["demo-member", "demo-reader", "admin"])
def test_volume_types(sandbox, microversion, user):
    api = VolumeApi(sandbox, user, microversion)
    listed = api.call("GET", "/types", volume_types.list_volume_types)["volume_types"]
    assert {t["name"] for t in listed} >= {"__DEFAULT__", "standard", "ssd"}
    api.call("GET", f"/types/{listed[0]['id']}", volume_types.show_volume_type)
    default = api.call("GET", "/types/default", volume_types.show_volume_type)["volume_type"]
    assert default["name"] == "__DEFAULT__"
    api.call("GET", f"/types/{listed[0]['id']}/extra_specs", volume_types.list_volume_types_extra_specs)


def test_volume_type_management_by_admin(sandbox, microversion):
    api = VolumeApi(sandbox, "admin", microversion)
    created = api.call("POST", "/types", volume_types.create_volume_type,
                       json={"volume_type": {"name": f"t-{uuid.uuid4().hex[:6]}", "description": "d",
                                             "extra_specs": {"volume_backend_name": "ceph"}}})["volume_type"]
    api.call("PUT", f"/types/{created['id']}", volume_types.update_volume_types,
             json={"volume_type": {"description": "e"}})
    api.call("POST", f"/types/{created['id']}/extra_specs", volume_types.create_volume_types_extra_specs,
             json={"extra_specs": {"k": "v"}})
    api.call("GET", f"/types/{created['id']}/extra_specs/k", volume_types.show_volume_types_extra_specs)
    api.call("DELETE", f"/types/{created['id']}", volume_types.delete_volume_type)


def test_volume_type_encryption_and_encrypted_volumes(sandbox, microversion):
    """An admin gives a type an encryption spec (tempest's encryption_types schemas); a volume of that type is
    ``encrypted`` with its own ``encryption_key_id`` (from 3.64); the spec cannot change while the type is in use."""
    api = VolumeApi(sandbox, "admin", microversion)
    vtype = api.call("POST", "/types", volume_types.create_volume_type,
                     json={"volume_type": {"name": f"luks-{uuid.uuid4().hex[:6]}"}})["volume_type"]
    assert api.call("GET", f"/types/{vtype['id']}/encryption", encryption_types.show_encryption_type) == {}
    spec = {"provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64", "key_size": 256}
    created = api.call("POST", f"/types/{vtype['id']}/encryption", encryption_types.create_encryption_type,
                       json={"encryption": spec})["encryption"]
    assert created["volume_type_id"] == vtype["id"] and created["provider"] == "luks"
    shown = api.call("GET", f"/types/{vtype['id']}/encryption", encryption_types.show_encryption_type)
    assert shown["encryption_id"] == created["encryption_id"] and shown["key_size"] == 256
    api.call("GET", f"/types/{vtype['id']}/encryption/provider", encryption_types.show_encryption_specs_item)
    api.call("PUT", f"/types/{vtype['id']}/encryption/{created['encryption_id']}",
             encryption_types.update_encryption_type, json={"encryption": {"key_size": 512}})

    schemas = volume_module(microversion)
    volume = api.call("POST", "/volumes", schemas.create_volume,
                      json={"volume": {"size": 1, "volume_type": vtype["name"]}})["volume"]
    volume = api.wait_volume(volume["id"])
    assert volume["encrypted"] is True
    if version_tuple(microversion) >= (3, 64):
        assert volume["encryption_key_id"]
    plain = api.call("POST", "/volumes", schemas.create_volume, json={"volume": {"size": 1}})["volume"]
    assert api.wait_volume(plain["id"])["encrypted"] is False
    # os-volume-encryption-metadata: what Nova's encryptor needs to open the volume (the key id and the spec)
    headers = {"OpenStack-API-Version": f"volume {microversion}"}
    metadata = api.session.get(f"{api.base}/volumes/{volume['id']}/encryption", headers=headers).json()
    assert metadata["provider"] == "luks" and metadata["key_size"] == 512 and metadata["encryption_key_id"]
    assert api.session.get(f"{api.base}/volumes/{plain['id']}/encryption", headers=headers).json() == {
        "encryption_key_id": None}
    refused = api.session.delete(f"{api.base}/types/{vtype['id']}/encryption/{created['encryption_id']}",
                                 raise_exc=False, headers={"OpenStack-API-Version": f"volume {microversion}"})
    assert refused.status_code == 400 and "in use" in refused.text
    for volume_id in (volume["id"], plain["id"]):
        api.call("DELETE", f"/volumes/{volume_id}", volumes.delete_volume)
        wait_for(lambda v=volume_id: _status_or_gone(api, f"/volumes/{v}"), "gone")
    api.call("DELETE", f"/types/{vtype['id']}/encryption/{created['encryption_id']}",
             encryption_types.delete_encryption_type)
    assert api.call("GET", f"/types/{vtype['id']}/encryption", encryption_types.show_encryption_type) == {}
    api.call("DELETE", f"/types/{vtype['id']}", volume_types.delete_volume_type)


def test_groups_and_group_snapshots(sandbox, microversion):
    api = VolumeApi(sandbox, "demo-member", microversion)
    if version_tuple(microversion) < (3, 14):
        # Below their microversions Cinder has no such resources (generic groups 3.13, group snapshots 3.14).
        headers = {"OpenStack-API-Version": f"volume {microversion}"}
        for path, since in (("/groups", (3, 13)), ("/group_snapshots", (3, 14))):
            response = api.session.get(api.base + path, headers=headers, raise_exc=False)
            expected = 200 if version_tuple(microversion) >= since else 404
            assert response.status_code == expected, (microversion, path, response.status_code)
        return
    group_type = api.call("GET", "/group_types/default", group_types.show_default_group_type)["group_type"]
    api.call("GET", "/group_types", group_types.list_group_types)
    api.call("GET", f"/group_types/{group_type['id']}", group_types.show_group_type)
    group = api.call("POST", "/groups", groups.create_group,
                     json={"group": {"name": "g", "group_type": group_type["id"],
                                     "volume_types": ["__DEFAULT__"]}})["group"]
    wait_for(lambda: api.call("GET", f"/groups/{group['id']}", groups.show_group)["group"], "available")
    api.call("GET", "/groups", groups.list_groups_no_detail)
    api.call("GET", "/groups/detail?list_volume=True", groups.list_groups_with_detail)
    volume = api.call("POST", "/volumes", volume_module(microversion).create_volume,
                      json={"volume": {"size": 1, "group_id": group["id"], "volume_type": "__DEFAULT__"}})["volume"]
    api.wait_volume(volume["id"])
    group_snapshot = api.call("POST", "/group_snapshots", group_snapshots.create_group_snapshot,
                              json={"group_snapshot": {"group_id": group["id"], "name": "gs"}})["group_snapshot"]
    wait_for(lambda: api.call("GET", f"/group_snapshots/{group_snapshot['id']}",
                              group_snapshots.show_group_snapshot)["group_snapshot"], "available")
    api.call("GET", "/group_snapshots", LIST_GROUP_SNAPSHOTS)
    api.call("GET", "/group_snapshots/detail", group_snapshots.list_group_snapshots_with_detail)
    api.call("DELETE", f"/group_snapshots/{group_snapshot['id']}", group_snapshots.delete_group_snapshot)
    wait_for(lambda: _status_or_gone(api, f"/group_snapshots/{group_snapshot['id']}"), "gone")
    api.call("POST", f"/groups/{group['id']}/action", groups.delete_group,
             json={"delete": {"delete-volumes": True}})
    wait_for(lambda: _status_or_gone(api, f"/groups/{group['id']}"), "gone")


def test_limits_quotas_and_availability_zones(sandbox, microversion):
    member = VolumeApi(sandbox, "demo-member", microversion)
    project_id = member.session.get_project_id()
    member.call("GET", "/limits", limits.show_limits)
    member.call("GET", f"/os-quota-sets/{project_id}", quotas.show_quota_set)
    member.call("GET", f"/os-quota-sets/{project_id}?usage=True", quotas.show_quota_set_usage)
    member.call("GET", f"/os-quota-sets/{project_id}/defaults", quotas.show_quota_set)
    zones = member.call("GET", "/os-availability-zone", AVAILABILITY_ZONES)["availabilityZoneInfo"]
    assert [z["zoneName"] for z in zones] == ["nova", "az2"]
    admin = VolumeApi(sandbox, "admin", microversion)
    current = admin.call("GET", f"/os-quota-sets/{project_id}", quotas.show_quota_set)["quota_set"]
    admin.call("PUT", f"/os-quota-sets/{project_id}", quotas.update_quota_set,
               json={"quota_set": {"backups": current["backups"]}})


def test_transfers(sandbox, microversion):
    schemas = transfer_module(microversion)
    giver = VolumeApi(sandbox, "demo-member", microversion)
    taker = VolumeApi(sandbox, "alt-member", microversion)
    volume = giver.call("POST", "/volumes", volume_module(microversion).create_volume,
                        json={"volume": {"size": 1}})["volume"]
    giver.wait_volume(volume["id"])
    transfer = giver.call("POST", "/os-volume-transfer", schemas.create_volume_transfer,
                          json={"transfer": {"volume_id": volume["id"], "name": "gift"}})["transfer"]
    giver.call("GET", f"/os-volume-transfer/{transfer['id']}", schemas.show_volume_transfer)
    giver.call("GET", "/os-volume-transfer", schemas.list_volume_transfers_no_detail)
    giver.call("GET", "/os-volume-transfer/detail", schemas.list_volume_transfers_with_detail)
    taker.call("POST", f"/os-volume-transfer/{transfer['id']}/accept", schemas.accept_volume_transfer,
               json={"accept": {"auth_key": transfer["auth_key"]}})
    assert taker.wait_volume(volume["id"])["os-vol-tenant-attr:tenant_id"] == taker.session.get_project_id()
    taker.call("DELETE", f"/volumes/{volume['id']}", volumes.delete_volume)


def test_service_documents(sandbox, microversion):
    admin = VolumeApi(sandbox, "admin", microversion)
    admin.call("GET", "", versions.list_versions, url=admin.root + "/")
    admin.call("GET", "", versions.volume_api_version_details, url=admin.root + "/v3/")
    admin.call("GET", "/extensions", extensions.list_extensions)
    admin.call("GET", "/os-services", services_module(microversion).list_services)
    admin.call("GET", "/scheduler-stats/get_pools", scheduler_stats.get_pools_no_detail)
    admin.call("GET", "/scheduler-stats/get_pools?detail=True", scheduler_stats.get_pools_with_detail)
    if version_tuple(microversion) >= (3, 3):
        admin.call("GET", "/messages", messages.list_messages)
