# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Placement of the embedded cloud: one resource provider per compute host, as Horizon's Hypervisors panel reads it."""
from __future__ import annotations

import uuid

from tests.functional.sandbox.nova_helpers import ComputeApi, delete_image, make_ext4_image, upload_image


def test_catalog_has_placement_and_providers_match_hypervisors(sandbox):
    admin = sandbox.session("admin")
    base = admin.get_endpoint(service_type="placement", interface="public")
    assert base.endswith("/placement")
    headers = {"OpenStack-API-Version": "placement 1.14"}
    assert admin.get(base + "/", authenticated=False).json()["versions"][0]["max_version"] == "1.39"
    providers = admin.get(base + "/resource_providers", headers=headers).json()["resource_providers"]
    hypervisors = ComputeApi(sandbox, "admin", "2.53").body("GET", "/os-hypervisors")["hypervisors"]
    assert {p["uuid"] for p in providers} == {h["id"] for h in hypervisors}
    assert all(p["parent_provider_uuid"] is None for p in providers)
    inventories = admin.get(base + f"/resource_providers/{providers[0]['uuid']}/inventories",
                            headers=headers).json()["inventories"]
    assert set(inventories) == {"VCPU", "PCPU", "MEMORY_MB", "DISK_GB"}
    assert admin.get(base + f"/resource_providers/{uuid.uuid4()}/usages", headers=headers,
                     raise_exc=False).status_code == 404
    assert sandbox.session("demo-member").get(base + "/resource_providers", headers=headers,
                                              raise_exc=False).status_code == 403


def test_usages_follow_the_servers(sandbox):
    admin = sandbox.session("admin")
    base = admin.get_endpoint(service_type="placement", interface="public")
    headers = {"OpenStack-API-Version": "placement 1.9"}
    member = ComputeApi(sandbox, "demo-member")
    image = upload_image(sandbox, make_ext4_image(8))
    provider = next(p for p in admin.get(base + "/resource_providers", headers=headers).json()["resource_providers"]
                    if p["name"] == "compute-az2")

    def used() -> dict:
        return admin.get(base + f"/resource_providers/{provider['uuid']}/usages", headers=headers).json()["usages"]

    before = used()
    server = member.create_server(f"placed-{uuid.uuid4().hex[:6]}", flavor="2", image=image,
                                  availability_zone="az2")
    try:
        member.wait_server(server["id"])
        after = used()
        assert after["VCPU"] == before["VCPU"] + 1 and after["MEMORY_MB"] == before["MEMORY_MB"] + 2048
        project = member.project_id
        mine = sandbox.session("demo-member").get(base + f"/usages?project_id={project}", headers=headers).json()
        assert mine["usages"]["MEMORY_MB"] >= 2048
    finally:
        member.delete_server(server["id"])
        delete_image(sandbox, image)
    assert used() == before
