# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``storage-backup proxy-vm create`` against the embedded cloud, as an operator runs it on a control host: the
service account from the STORAGE_BACKUP_* variables, a proxy VM booted in each AZ through Nova with the proxy's
user-data; a wrong AZ, flavor, image or network is refused by name before anything boots; tenants never see them."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid

import openstack
import pytest
import yaml
from storage_backup_sandbox.seed import user as sandbox_user

STORAGE_BACKUP = os.path.join(os.path.dirname(sys.executable), "storage-backup")
BROKER = "redis://:pw@127.0.0.1:6379/0"
COMMAND_TIMEOUT = 180
pytestmark = pytest.mark.timeout(300)


def connect(sandbox, user: str):
    spec = sandbox_user(user)
    return openstack.connect(auth_url=sandbox.auth_url, username=spec.name, password=spec.password,
                             project_name=spec.project, user_domain_id="default", project_domain_id="default",
                             region_name="RegionOne")


@pytest.fixture(scope="module")
def proxy_cloud(sandbox):
    """What an operator has before running the command: an image and a network in the service project."""
    conn = connect(sandbox, "backup-service")
    image = conn.image.create_image(name=f"ubuntu-{uuid.uuid4().hex[:6]}", disk_format="raw",
                                    container_format="bare", data=b"\0" * 1048576, visibility="private")
    network = conn.network.create_network(name=f"proxy-net-{uuid.uuid4().hex[:6]}")
    conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="192.0.2.0/24")
    yield {"conn": conn, "image": image.name, "network": network.name}


def run(sandbox, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    spec = sandbox_user("backup-service")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("OS_", "STORAGE_BACKUP_"))}
    env.update(STORAGE_BACKUP_AUTH_URL=sandbox.auth_url, STORAGE_BACKUP_USERNAME=spec.name,
               STORAGE_BACKUP_PASSWORD=spec.password, STORAGE_BACKUP_PROJECT=spec.project,
               STORAGE_BACKUP_REGION="RegionOne", STORAGE_BACKUP_BROKER_URL=BROKER, NO_PROXY="127.0.0.1,localhost")
    result = subprocess.run([STORAGE_BACKUP, "proxy-vm", "create", *args], env=env, capture_output=True, text=True,
                            timeout=COMMAND_TIMEOUT)
    assert result.returncode == expect, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def servers(conn, prefix: str) -> list:
    return [server for server in conn.compute.servers(details=True) if server.name.startswith(prefix)]


def test_a_proxy_vm_in_each_az_with_its_user_data(sandbox, proxy_cloud):
    conn, prefix = proxy_cloud["conn"], f"proxy-{uuid.uuid4().hex[:6]}"
    result = run(sandbox, "--az", "nova", "--az", "az2", "--flavor", "backup.proxy", "--image", proxy_cloud["image"],
                 "--network", proxy_cloud["network"], "--name-prefix", prefix, "--json")
    printed = {vm["availability_zone"]: vm for vm in json.loads(result.stdout)}
    assert set(printed) == {"nova", "az2"} and all(vm["status"] == "ACTIVE" for vm in printed.values())
    for server in servers(conn, prefix):
        zone = server.availability_zone
        assert server.name == f"{prefix}-{zone}" and printed[zone]["id"] == server.id
        assert server.metadata == {"storage_backup_role": "proxy", "storage_backup_az": zone}
        user_data = base64.b64decode(conn.compute.get_server(server.id).user_data).decode()
        config = yaml.safe_load(user_data)
        env = next(f["content"] for f in config["write_files"] if f["path"].endswith("worker.env"))
        assert f"STORAGE_BACKUP_PROXY_AZ={zone}\n" in env and f"STORAGE_BACKUP_BROKER_URL={BROKER}\n" in env
        assert ["systemctl", "enable", "--now", f"storage-backup-proxy@{zone}"] in config["runcmd"]
    assert len(servers(conn, prefix)) == 2
    # A tenant sees none of the service's proxies.
    assert not servers(connect(sandbox, "demo-member"), prefix)


@pytest.mark.parametrize("change, message", [
    ({"--az": "nowhere"}, "--az nowhere: no such availability zone"),
    ({"--flavor": "m9.huge"}, "--flavor m9.huge: no such flavor"),
    ({"--image": "no-such-image"}, "--image no-such-image: no such image"),
    ({"--network": "no-such-net"}, "--network no-such-net: no such network"),
])
def test_a_wrong_name_is_refused_before_anything_boots(sandbox, proxy_cloud, change, message):
    prefix = f"proxy-{uuid.uuid4().hex[:6]}"
    options = {"--az": "az2", "--flavor": "backup.proxy", "--image": proxy_cloud["image"],
               "--network": proxy_cloud["network"], **change}
    arguments = [item for pair in options.items() for item in pair]
    result = run(sandbox, "--az", "nova", *arguments, "--name-prefix", prefix, expect=2)
    assert message in result.stderr
    assert not servers(proxy_cloud["conn"], prefix)
