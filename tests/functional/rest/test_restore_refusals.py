# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A restore that can only fail is refused when it is asked for (400 naming the field), not accepted and failed later
on a proxy: a network the project may not use, a private flavor not granted to it or one smaller than what was backed
up, an availability zone or a volume type that does not exist. Checked against the embedded cloud's own networks,
flavors (with their access lists), zones and volume types."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import Destination, Policy, RestorePoint

from storage_backup_dashboard.client import BackupApiError
from tests.support.instances import COMPUTE, MICROVERSION, NETWORK, VOLUME

pytestmark = pytest.mark.catalog


def network_id(session, name: str) -> str:
    networks = session.get("/v2.0/networks", endpoint_filter=NETWORK, params={"name": name}).json()["networks"]
    return networks[0]["id"]


@pytest.fixture(scope="module")
def cloud(control_plane):
    """The embedded cloud's networks by owner, and a private flavor granted to the demo project."""
    admin = control_plane.sandbox.session("admin")
    demo_project = control_plane.project_id("demo-member")
    flavor_id = f"granted-{uuid.uuid4().hex[:6]}"
    admin.post("/flavors", endpoint_filter=COMPUTE, headers=MICROVERSION, json={"flavor": {
        "name": flavor_id, "id": flavor_id, "ram": 1024, "vcpus": 1, "disk": 2, "os-flavor-access:is_public": False}})
    admin.post(f"/flavors/{flavor_id}/action", endpoint_filter=COMPUTE, headers=MICROVERSION,
               json={"addTenantAccess": {"tenant": demo_project}})
    private_type = f"private-{uuid.uuid4().hex[:6]}"
    admin.post("/types", endpoint_filter=VOLUME, json={"volume_type": {
        "name": private_type, "os-volume-type-access:is_public": False}})
    return {"demo": network_id(admin, "demo-net"), "alt": network_id(admin, "alt-net"),
            "public": network_id(admin, "public"), "granted_flavor": flavor_id, "private_type": private_type}


def make_point(control_plane, cloud, *, flavor: dict | None = None, networks=("demo",), boot_source="volume",
               root_size: int = 1 << 30) -> str:
    project = control_plane.project_id("demo-member")
    shared = Destination.objects.get(pk=control_plane.destination_id)
    policy = Policy.objects.create(project_id=project, name=f"refusals-{uuid.uuid4().hex[:6]}", destination=shared)
    volume = str(uuid.uuid4())
    metadata = {"name": "web", "availability_zone": "nova", "boot_source": boot_source,
                "flavor": flavor or {"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1},
                "nics": [{"network_id": cloud[name], "network_name": name, "fixed_ips": []} for name in networks],
                "block_device_mapping": [{"volume_id": volume, "boot_index": 0, "volume_type": None}]}
    volumes = [{"volume_id": volume, "size": root_size}]
    if boot_source == "image":
        volumes.append({"volume_id": "root-disk", "size": root_size})
    point = RestorePoint.objects.create(
        id=str(uuid.uuid4()), project_id=project, instance_id=str(uuid.uuid4()), availability_zone="nova",
        destination=shared, policy=policy, created_at=timezone.now() - dt.timedelta(hours=1), volumes=volumes,
        metadata=metadata)
    return point.id


def refused(member, point_id: str, **options) -> tuple[str, str]:
    with pytest.raises(BackupApiError) as raised:
        member.restore(point_id, **options)
    error = raised.value
    assert error.status == 400, (options, error.status, error.message)
    return error.field, error.message


def accepted(member, point_id: str, **options) -> None:
    job = member.restore(point_id, **options)
    assert job["state"] == "queued"
    member.job_cancel(job["id"])


def test_networks_the_project_may_not_use_are_refused(control_plane, cloud):
    member = control_plane.client("demo-member")
    point = make_point(control_plane, cloud)
    field, message = refused(member, point, network_mapping={cloud["demo"]: cloud["alt"]})
    assert field == "network_mapping" and cloud["alt"] in message
    field, _ = refused(member, point, network_mapping={cloud["demo"]: str(uuid.uuid4())})
    assert field == "network_mapping"
    # the original NIC is on another project's network and nothing maps it: refused, with the way out
    on_alt = make_point(control_plane, cloud, networks=("alt",))
    field, message = refused(member, on_alt)
    assert field == "network_mapping" and "network_mapping" in message
    accepted(member, on_alt, network_mapping={cloud["alt"]: cloud["demo"]})
    accepted(member, point, network_mapping={cloud["demo"]: cloud["public"]})  # shared and external
    accepted(member, point)


def test_flavors_the_project_may_not_use_or_too_small_are_refused(control_plane, cloud):
    member = control_plane.client("demo-member")
    point = make_point(control_plane, cloud)
    field, message = refused(member, point, flavor_id="10")  # backup.proxy: private, granted to service only
    assert field == "flavor_id" and "10" in message
    assert refused(member, point, flavor_id="no-such-flavor")[0] == "flavor_id"
    accepted(member, point, flavor_id=cloud["granted_flavor"])
    big = make_point(control_plane, cloud, flavor={"id": "3", "name": "m1.medium", "vcpus": 2, "ram": 4096,
                                                   "disk": 4})
    field, message = refused(member, big, flavor_id="1")  # m1.tiny: 512 MiB of RAM, 4096 backed up
    assert field == "flavor_id" and "RAM" in message
    image_booted = make_point(control_plane, cloud, boot_source="image", root_size=3 << 30,
                              flavor={"id": "2", "name": "m1.small", "vcpus": 1, "ram": 512, "disk": 3})
    field, message = refused(member, image_booted, flavor_id="1")  # a 1 GiB disk for a 3 GiB root disk
    assert field == "flavor_id" and "disk" in message
    accepted(member, image_booted, flavor_id="3")


def test_zones_and_volume_types_that_do_not_exist_are_refused(control_plane, cloud):
    member = control_plane.client("demo-member")
    point = make_point(control_plane, cloud)
    assert refused(member, point, availability_zone="atlantis")[0] == "availability_zone"
    volume = RestorePoint.objects.get(pk=point).volumes[0]["volume_id"]
    field, message = refused(member, point, volume_types={volume: "no-such-type"})
    assert field == "volume_types" and "no-such-type" in message
    assert refused(member, point, volume_id=volume, volume_type="no-such-type")[0] == "volume_type"
    accepted(member, point, volume_types={volume: cloud["private_type"]})  # private types exist too
    accepted(member, point, availability_zone="az2")
