# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""openstacksdk drives the embedded cloud through every call the product makes, as the product makes them.

The product talks to OpenStack only through openstacksdk (``storage_backup.cloud``), with Nova pinned at 2.89 and
Cinder at 3.66 (``compute_default_microversion`` / ``block_storage_default_microversion``). Here plain openstacksdk,
with those pins and its own waits, goes through what a backup, a restore and the sweeper do: version discovery at
the endpoint roots, servers, Cinder volumes and snapshots (create, wait, force-delete, reset), attaching through
Nova's volume attachments, Nova ``createImage``, Glance images (create, patch properties, download, delete),
Neutron ports, networks, subnets and security groups, Keystone projects. A regression of the embedded cloud against
openstacksdk's discovery, microversion headers or response shapes fails here, not in a pipeline test.
"""
from __future__ import annotations

import hashlib
import os
import uuid

import openstack
import openstack.config
import pytest
from openstack import exceptions
from storage_backup.cloud.connection import CINDER_MICROVERSION, NOVA_MICROVERSION

WAIT = {"interval": 0.1, "wait": 60}


def _connect(sandbox, cloud: str, **overrides) -> openstack.connection.Connection:
    config = openstack.config.OpenStackConfig(config_files=[sandbox.clouds_yaml], load_envvars=False)
    options = {"compute_default_microversion": NOVA_MICROVERSION,
               "block_storage_default_microversion": CINDER_MICROVERSION, **overrides}
    return openstack.connection.Connection(config=config.get_one(cloud=cloud, **options))


@pytest.fixture(scope="module")
def service(sandbox):
    conn = _connect(sandbox, "sandbox-service")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def demo(sandbox):
    conn = _connect(sandbox, "sandbox-demo")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def server(service, demo):
    """An image-booted server of the demo project, with a volume attached."""
    tag = uuid.uuid4().hex[:8]
    image = demo.image.create_image(name=f"sdk-boot-{tag}", disk_format="raw", container_format="bare",
                                    data=os.urandom(2 * 1024 * 1024), allow_duplicates=True, wait=True, timeout=60)
    network = next(demo.network.networks(name="demo-net"))
    created = demo.compute.create_server(name=f"sdk-server-{tag}", flavor_id="1", image_id=image.id,
                                         availability_zone="nova", networks=[{"uuid": network.id}],
                                         metadata={"storage_backup_job": "tag-me"}, tags=["sdk"])
    server = service.compute.wait_for_server(created, **WAIT)
    yield server
    service.compute.delete_server(server, ignore_missing=True)
    service.compute.wait_for_delete(server, **WAIT)
    demo.image.delete_image(image, ignore_missing=True)


def test_discovery_at_the_endpoint_roots_serves_the_pins(service):
    compute = service.compute.get_endpoint_data()
    assert compute.api_version == (2, 1) and compute.min_microversion == (2, 1)
    assert compute.max_microversion >= (2, 89)
    block_storage = service.block_storage.get_endpoint_data()
    assert block_storage.api_version[0] == 3 and block_storage.min_microversion == (3, 0)
    assert block_storage.max_microversion >= (3, 66)
    assert service.image.get_endpoint_data().api_version[0] == 2
    assert service.network.get_endpoint_data().api_version == (2, 0)
    assert service.identity.get_endpoint_data().api_version[0] == 3
    # The pins are every request's default, and the services answer at them.
    assert (service.compute.default_microversion, service.block_storage.default_microversion) == (
        NOVA_MICROVERSION, CINDER_MICROVERSION)
    nova = service.compute.get("/flavors")
    assert nova.headers["OpenStack-API-Version"] == f"compute {NOVA_MICROVERSION}"
    assert nova.headers["X-OpenStack-Nova-API-Version"] == NOVA_MICROVERSION
    cinder = service.block_storage.get("/types")
    assert cinder.headers["OpenStack-API-Version"] == f"volume {CINDER_MICROVERSION}"


def test_a_pin_above_what_the_cloud_serves_is_refused_by_openstacksdk(sandbox):
    conn = _connect(sandbox, "sandbox-service", compute_default_microversion="2.999")
    with pytest.raises(exceptions.ConfigException, match="only supports a minimum of 2.1 and a maximum of 2.96"):
        conn.compute.get_endpoint_data()  # openstacksdk checks the pin against the version document
    conn.close()


def test_servers_flavors_key_pairs_and_zones(service, demo, server):
    found = service.compute.get_server(server.id)
    assert found.project_id == demo.current_project_id and found.availability_zone == "nova"
    assert found.root_device_name == "/dev/vda" and found.status == "ACTIVE"
    assert found.flavor.original_name == "m1.tiny" and found.flavor.vcpus == 1  # embedded (2.47+), no id
    assert found.image.id and found.tags == ["sdk"] and found.metadata == {"storage_backup_job": "tag-me"}
    assert server.id in {s.id for s in service.compute.servers(all_projects=True)}
    assert server.id not in {s.id for s in service.compute.servers()}  # the service project's own only
    service.compute.delete_server_metadata(server.id, keys=["storage_backup_job"])
    assert service.compute.get_server(server.id).metadata == {}
    flavors = {f.name: f for f in service.compute.flavors(details=True, is_public="None")}
    assert flavors["m1.tiny"].id == service.compute.get_flavor(flavors["m1.tiny"].id).id
    assert {zone.name for zone in service.compute.availability_zones()} >= {"nova", "az2"}
    key = service.compute.create_keypair(name=f"sdk-key-{uuid.uuid4().hex[:8]}",
                                         public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabg"
                                                    "H5C9okWi0dh2l9GKJl sdk@test", type="ssh")
    assert service.compute.get_keypair(key.name).fingerprint == key.fingerprint
    service.compute.delete_keypair(key.name, ignore_missing=False)
    with pytest.raises(exceptions.NotFoundException):
        service.compute.get_keypair(key.name)


def test_snapshot_copy_attach_to_a_server_and_remove_as_a_backup_does(service, demo, server):
    """Snapshot an in-use volume, make a volume of the snapshot, attach it through Nova, detach, delete all."""
    block_storage = service.block_storage
    source = demo.block_storage.create_volume(size=1, name="sdk-source", availability_zone="nova")
    source = block_storage.wait_for_status(source, "available", failures=["error"], **WAIT)
    demo.compute.create_volume_attachment(server, source)
    block_storage.wait_for_status(source, "in-use", failures=["error"], **WAIT)
    snapshot = block_storage.create_snapshot(volume_id=source.id, name="sdk-snap", force=True,
                                             metadata={"storage_backup_job": "job"})
    snapshot = block_storage.wait_for_status(snapshot, "available", failures=["error"], **WAIT)
    # The snapshot is the service project's (a backup's temporary snapshots are), of the tenant's volume.
    assert snapshot.metadata == {"storage_backup_job": "job"} and snapshot.project_id == service.current_project_id
    assert snapshot.id in {s.id for s in block_storage.snapshots(all_projects=True, volume_id=source.id)}
    copy = block_storage.create_volume(size=1, name="sdk-copy", snapshot_id=snapshot.id, availability_zone="nova",
                                       metadata={"storage_backup_job": "job"})
    copy = block_storage.wait_for_status(copy, "available", failures=["error"], **WAIT)
    proxy = server  # what a proxy VM is to a backup: a server the copy is attached to
    attachment = service.compute.create_volume_attachment(proxy, copy)
    assert attachment.volume_id == copy.id and attachment.device
    copy = block_storage.wait_for_status(copy, "in-use", failures=["error"], **WAIT)
    assert copy.attachments[0]["server_id"] == proxy.id
    assert {a.volume_id for a in service.compute.volume_attachments(proxy)} >= {copy.id, source.id}
    records = list(block_storage.attachments(volume_id=copy.id, all_projects=True))
    assert [record.instance for record in records] == [proxy.id]
    service.compute.delete_volume_attachment(proxy, copy)
    block_storage.wait_for_status(copy, "available", failures=["error"], **WAIT)
    block_storage.delete_volume(copy)
    block_storage.wait_for_delete(copy, **WAIT)
    block_storage.delete_snapshot(snapshot, force=True)  # the admin's os-force_delete
    block_storage.wait_for_delete(snapshot, **WAIT)
    service.compute.delete_volume_attachment(server, source)
    block_storage.wait_for_status(source, "available", failures=["error"], **WAIT)
    block_storage.delete_volume(source, force=True)
    block_storage.wait_for_delete(source, **WAIT)
    with pytest.raises(exceptions.NotFoundException):
        block_storage.get_volume(source.id)


def test_an_attach_that_never_finished_is_reset_by_the_admin(service, demo):
    block_storage = service.block_storage
    volume = block_storage.create_volume(size=1, name="sdk-stuck", availability_zone="nova")
    volume = block_storage.wait_for_status(volume, "available", **WAIT)
    block_storage.reset_volume_status(volume, status="attaching")  # Cinder's attach_status: attached/detached
    assert block_storage.get_volume(volume.id).status == "attaching"
    block_storage.reset_volume_status(volume, status="available", attach_status="detached")
    block_storage.wait_for_status(volume, "available", **WAIT)
    block_storage.delete_volume(volume)
    block_storage.wait_for_delete(volume, **WAIT)


def test_a_restored_volume_is_named_made_bootable_and_uploaded_as_an_image(service, demo):
    block_storage, tenant = service.block_storage, demo.block_storage
    assert "__DEFAULT__" in {t.name for t in tenant.types()}
    volume = tenant.create_volume(size=1, name="sdk-restore", availability_zone="az2",
                                  metadata={"storage_backup_job": "job", "keep": "me"})
    volume = block_storage.wait_for_status(volume, "available", **WAIT)
    tenant.set_volume_bootable_status(volume, True)
    tenant.set_volume_image_metadata(volume, os_distro="debian", hw_disk_bus="virtio")
    tenant.update_volume(volume, name="sdk-restored")
    tenant.delete_volume_metadata(volume, keys=["storage_backup_job"])
    volume = block_storage.get_volume(volume.id)
    assert (volume.name, volume.is_bootable, volume.metadata) == ("sdk-restored", True, {"keep": "me"})
    assert volume.volume_image_metadata == {"os_distro": "debian", "hw_disk_bus": "virtio"}
    upload = tenant.upload_volume_to_image(volume, "sdk-upload", force=False, disk_format="raw",
                                           container_format="bare", visibility="private")
    image = demo.image.wait_for_status(demo.image.get_image(upload["image_id"]), "active", failures=["killed"],
                                       **WAIT)
    assert image.owner == demo.current_project_id and image.disk_format == "raw"
    block_storage.wait_for_status(volume, "available", **WAIT)
    demo.image.delete_image(image)
    tenant.delete_volume(volume)
    block_storage.wait_for_delete(volume, **WAIT)


def test_create_image_of_a_server_answers_the_image_id(service, server):
    image = service.compute.create_server_image(server, "sdk-snapshot", metadata={"storage_backup_job": "j"})
    image = service.image.wait_for_status(image, "active", failures=["killed"], **WAIT)
    assert image.properties["storage_backup_job"] == "j"
    assert image.size and image.disk_format
    service.image.delete_image(image)
    with pytest.raises(exceptions.NotFoundException):
        service.image.get_image(image.id)


def test_glance_images_are_patched_listed_downloaded_and_deleted(service, demo):
    data = os.urandom(1024 * 1024 + 17)
    image = demo.image.create_image(name="sdk-glance", disk_format="raw", container_format="bare", data=data,
                                    allow_duplicates=True, wait=True, timeout=60)
    image = demo.image.get_image(image.id)  # create_image answers the record it made before the upload
    assert image.checksum == hashlib.md5(data, usedforsecurity=False).hexdigest()
    demo.image.update_image(image.id, storage_backup_job="job", hw_vif_multiqueue_enabled="true")
    image = demo.image.get_image(image.id)
    assert image.properties["storage_backup_job"] == "job" and image.is_hw_vif_multiqueue_enabled is True
    kept = {k: v for k, v in image.properties.items() if k != "storage_backup_job"}
    image = demo.image.update_image(image, name="sdk-glance-final", properties={**kept, "os_distro": "debian"})
    image = demo.image.get_image(image.id)
    assert image.name == "sdk-glance-final" and image.os_distro == "debian"
    assert "storage_backup_job" not in (image.properties or {})
    assert image.id in {i.id for i in service.image.images(status="active")}
    download = demo.image.download_image(image, stream=True)
    assert b"".join(download.iter_content(65536)) == data
    raw = demo.image.get(f"/images/{image.id}", raise_exc=True).json()
    assert raw["hw_vif_multiqueue_enabled"] == "true"  # Glance's own string under openstacksdk's bool
    demo.image.delete_image(image, ignore_missing=False)
    demo.image.delete_image(image, ignore_missing=True)


def test_neutron_ports_networks_subnets_and_security_groups(service, demo, server):
    ports = list(service.network.ports(device_id=server.id))
    assert len(ports) == 1 and ports[0].fixed_ips and ports[0].mac_address
    port = ports[0]
    network = service.network.get_network(port.network_id)
    assert network.name == "demo-net" and next(demo.network.networks(name="demo-net")).id == network.id
    groups = [service.network.get_security_group(group) for group in port.security_group_ids]
    assert [g.name for g in groups] == ["default"]
    assert "default" in {g.name for g in demo.network.security_groups(project_id=demo.current_project_id)}
    address = port.fixed_ips[0]["ip_address"]
    subnets = list(service.network.subnets(network_id=network.id))
    assert any(subnet.id == port.fixed_ips[0]["subnet_id"] for subnet in subnets)
    holders = list(service.network.ports(network_id=network.id, fixed_ips=[f"ip_address={address}"]))
    assert [p.id for p in holders] == [port.id]


def test_keystone_projects_by_name_and_id(service, demo):
    (project,) = service.identity.projects(name="demo")
    assert project.id == demo.current_project_id
    assert service.identity.get_project(project.id).name == "demo"
    scoped = service.connect_as(project_id=project.id)
    assert scoped.current_project_id == project.id
    scoped.close()
