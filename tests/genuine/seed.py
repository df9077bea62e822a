# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the genuine cloud holds once up, made through the services' own APIs (openstacksdk, in this process).

``identity``: projects ``demo``, ``alt``, ``service``; the embedded cloud's users with the same names, passwords and
roles (``storage_backup_sandbox.seed.USERS``: so tests log in the same way on either cloud), the services' own users
(admin and ``service`` roles in ``service``), and the catalog, including the product's ``data-protection``
endpoint on a port chosen now (the tests' REST API binds to it). ``services``: every service reported up, the
compute hosts mapped, one host aggregate per availability zone, flavors, an image, and a proxy server per zone in
the ``service`` project; then ``clouds.yaml`` (clouds ``genuine-<user>``).
"""
from __future__ import annotations

import os
import time

import openstack
from storage_backup_sandbox.launch import free_port
from storage_backup_sandbox.seed import BACKUP_SERVICE_PROJECTS, USERS

from tests.genuine import configs

SERVICE_USERS = ("glance", "cinder", "nova", "placement", "neutron")
IMAGE_NAME = "genuine-linux"
IMAGE_BYTES = 8 * 1024 * 1024
FLAVORS = (("1", "m1.tiny", 1, 512, 1), ("2", "m1.small", 1, 1024, 2))


def cloud_name(user: str) -> str:
    return "genuine-" + {"backup-service": "service", "demo-member": "demo", "alt-member": "alt"}.get(user, user)


def admin(cloud) -> openstack.connection.Connection:
    return openstack.connect(auth_url=cloud.auth_url, username="admin", password=configs.PASSWORD,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", interface="public", identity_api_version="3")


def connect(cloud, user: str, project: str | None = None) -> openstack.connection.Connection:
    spec = next(u for u in USERS if u.name == user)
    password = configs.PASSWORD if user == "admin" else spec.password
    return openstack.connect(auth_url=cloud.auth_url, username=user, password=password,
                             project_name=project or spec.project, user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne", interface="public",
                             identity_api_version="3")


def identity(cloud) -> None:
    conn = admin(cloud)
    idc = conn.identity
    roles = {role.name: role for role in idc.roles()}
    for name in ("member", "reader", "service", *sorted({spec.role for spec in USERS})):
        if name not in roles:
            roles[name] = idc.create_role(name=name)
    projects = {project.name: project for project in idc.projects()}
    for name in ("service", "demo", "alt"):
        if name not in projects:
            projects[name] = idc.create_project(name=name, domain_id="default", description=f"The {name} project")
    for name in SERVICE_USERS:
        user = idc.create_user(name=name, password=configs.PASSWORD, domain_id="default")
        for role in ("admin", "service"):
            idc.assign_project_role_to_user(projects["service"], user, roles[role])
    for spec in USERS:
        if spec.name == "admin":
            continue  # keystone-manage bootstrap made it (its password is the tier's)
        user = idc.create_user(name=spec.name, password=spec.password, domain_id="default",
                               default_project_id=projects[spec.project].id)
        idc.assign_project_role_to_user(projects[spec.project], user, roles[spec.role])
        if spec.name == "backup-service":
            for name in BACKUP_SERVICE_PROJECTS:
                idc.assign_project_role_to_user(projects[name], user, roles["member"])
    cloud.ports["data_protection"] = free_port()
    ports = cloud.ports
    services = (
        ("glance", "image", f"http://127.0.0.1:{ports['glance']}"),
        ("cinderv3", "volumev3", f"http://127.0.0.1:{ports['cinder']}/v3/%(project_id)s"),
        ("cinder", "block-storage", f"http://127.0.0.1:{ports['cinder']}/v3/%(project_id)s"),
        ("nova", "compute", f"http://127.0.0.1:{ports['nova']}/v2.1"),
        ("placement", "placement", f"http://127.0.0.1:{ports['placement']}"),
        ("neutron", "network", f"http://127.0.0.1:{ports['neutron']}"),
        ("storage-backup", "data-protection", f"http://127.0.0.1:{ports['data_protection']}"),
    )
    for name, kind, url in services:
        service = idc.create_service(name=name, type=kind)
        for interface in ("public", "internal", "admin"):
            idc.create_endpoint(service_id=service.id, interface=interface, url=url, region_id="RegionOne")
    cloud.meta["projects"] = {name: projects[name].id for name in ("admin", "service", "demo", "alt")}
    cloud.save()
    write_clouds_yaml(cloud)


def write_clouds_yaml(cloud) -> str:
    lines = ["# Written by tests/genuine/seed.py: the genuine tier's users.", "clouds:"]
    for spec in USERS:
        password = configs.PASSWORD if spec.name == "admin" else spec.password
        lines += [f"  {cloud_name(spec.name)}:", "    auth:", f"      auth_url: {cloud.auth_url}",
                  f"      username: {spec.name}", f"      password: {password}",
                  f"      project_name: {spec.project}", "      user_domain_name: Default",
                  "      project_domain_name: Default", "    region_name: RegionOne", "    interface: public",
                  "    identity_api_version: 3"]
    with open(cloud.clouds_yaml + ".tmp", "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(cloud.clouds_yaml + ".tmp", cloud.clouds_yaml)
    return cloud.clouds_yaml


def _until(what: str, check, timeout: float, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as error:
            last = error
        time.sleep(interval)
    raise TimeoutError(f"{what} after {timeout:.0f} s: {last!r}")


def services(cloud) -> None:
    from tests.genuine.cloud import START_TIMEOUT, ZONES

    conn = admin(cloud)
    volume_hosts = {f"genuine@ceph-{zone}" for zone in ZONES} | {"genuine"}
    _until("cinder services up", lambda: volume_hosts <= {
        s.host for s in conn.block_storage.services() if s.state == "up"}, START_TIMEOUT, 2)
    computes = {f"compute-{zone}" for zone in ZONES}
    wanted = {("nova-compute", host) for host in computes}
    _until("nova services up", lambda: wanted <= {(s.binary, s.host) for s in conn.compute.services()
                                                  if s.state == "up"} and {"nova-conductor", "nova-scheduler"} <= {
        s.binary for s in conn.compute.services() if s.state == "up"}, START_TIMEOUT, 2)
    cloud._run("nova-manage", [cloud.bin("nova-manage"), "--config-file",
                               os.path.join(cloud.base, "etc", "nova", "nova.conf"), "cell_v2", "discover_hosts"])
    _until("hypervisors", lambda: len(list(conn.compute.hypervisors())) >= len(ZONES), START_TIMEOUT, 2)
    for zone in ZONES:
        aggregate = conn.compute.create_aggregate(name=f"zone-{zone}", availability_zone=zone)
        conn.compute.add_host_to_aggregate(aggregate, f"compute-{zone}")
    # A group type whose groups take consistent group snapshots, as the embedded cloud's ``consistent_snapshots``.
    conn.block_storage.create_group_type(name="consistent_snapshots",
                                         group_specs={"consistent_group_snapshot_enabled": "<is> True"})
    for flavor_id, name, vcpus, ram, disk in FLAVORS:
        conn.compute.create_flavor(id=flavor_id, name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    image = conn.image.create_image(name=IMAGE_NAME, disk_format="raw", container_format="bare",
                                    visibility="public", data=image_bytes())
    _until("image active", lambda: conn.image.get_image(image.id).status == "active", 120, 0.5)
    cloud.meta["image_id"] = image.id
    from tests.genuine import neutron

    if neutron.real(cloud):
        neutron.seed(cloud, conn, connect(cloud, "demo-member"))
    service = connect(cloud, "backup-service")
    proxies = {}
    for zone in ZONES:
        proxies[zone] = service.compute.create_server(name=f"backup-proxy-{zone}", flavor_id="1", image_id=image.id,
                                                      availability_zone=zone, networks="none").id
    for zone, server_id in proxies.items():
        server = _until(f"proxy server in {zone} active",
                        lambda sid=server_id: _active(service, sid), START_TIMEOUT, 1)
        assert server.availability_zone == zone, f"proxy of {zone} landed in {server.availability_zone}"
    cloud.meta["proxy_servers"] = proxies
    cloud.save()


def _active(conn, server_id: str):
    server = conn.compute.get_server(server_id)
    if server.status == "ERROR":
        raise RuntimeError(f"server {server_id} is ERROR: {server.fault}")
    return server if server.status == "ACTIVE" else None


def image_bytes() -> bytes:
    """An 8 MiB raw image: a recognisable first MiB, holes, a last MiB (what an image-booted root disk starts as)."""
    head = (b"genuine-linux boot sector " * 40000)[:1024 * 1024]
    return head + bytes(IMAGE_BYTES - 2 * len(head)) + head[::-1]
