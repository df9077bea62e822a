# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Neutron for the genuine tier: the real ``neutron-server`` 24 (2024.1) with ML2 and no agents.

Without agents no mechanism driver binds a port, and Nova fails every server with a port whose binding failed. So
the server loads one more ML2 mechanism driver, ``genuine_bind`` (below: it binds every port on its first segment,
as an agent-less SDN controller would, and marks it ACTIVE), found through an entry point in a folder of its own on
``PYTHONPATH`` (the cached virtualenv is not touched). Networks, subnets, ports with fixed IPs and MACs, security
groups, routers and floating IPs are the genuine server's, in its own database.

When the virtualenv has no neutron (``tools/genuine/install.sh`` could not install it) or the server does not come
up, the tier falls back to a stand-in that answers empty lists (servers then have no ports): ``meta["neutron"]``
says which one runs and why.
"""
from __future__ import annotations

import os
import subprocess

from storage_backup_sandbox.launch import http_ok, wait_for

from tests.genuine import configs

MECHANISM_DRIVER = '''"""ML2 mechanism driver of the genuine test tier: binds every port, no agent needed."""
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindEverything(api.MechanismDriver):
    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER, {}, status="ACTIVE")
            return
'''

STUB = '''"""Neutron stand-in: empty lists for what nova-api asks about servers without ports."""
import json, re
PORT = {port}
EMPTY = {{'ports': 'ports', 'security-groups': 'security_groups', 'networks': 'networks', 'subnets': 'subnets',
         'floatingips': 'floatingips', 'extensions': 'extensions', 'trunks': 'trunks', 'qos/policies': 'policies'}}
def application(environ, start_response):
    path = environ.get('PATH_INFO', '/').rstrip('/')
    body, status = None, '404 Not Found'
    if path in ('', '/'):
        body, status = {{'versions': [{{'id': 'v2.0', 'status': 'CURRENT', 'links': [
            {{'rel': 'self', 'href': 'http://127.0.0.1:%d/v2.0/' % PORT}}]}}]}}, '200 OK'
    elif path == '/v2.0':
        body, status = {{'resources': []}}, '200 OK'
    else:
        m = re.match(r'^/v2\\.0/(.+?)(\\.json)?$', path)
        if m and m.group(1) in EMPTY and environ['REQUEST_METHOD'] == 'GET':
            body, status = {{EMPTY[m.group(1)]: []}}, '200 OK'
    data = json.dumps(body or {{'NeutronError': {{'type': 'HTTPNotFound', 'message': path, 'detail': ''}}}}).encode()
    start_response(status, [('Content-Type', 'application/json'), ('Content-Length', str(len(data)))])
    return [data]
'''


def available(cloud) -> bool:
    return os.path.exists(os.path.join(cloud.venv, ".neutron")) and os.path.exists(cloud.bin("neutron-server"))


def config_path(cloud) -> str:
    return os.path.join(cloud.base, "etc", "neutron", "neutron.conf")


def prepare(cloud) -> subprocess.Popen | None:
    """Write the config and the driver's folder, and start the schema upgrade (run beside the other syncs)."""
    if not available(cloud):
        return None
    os.makedirs(os.path.join(cloud.base, "etc", "neutron"), exist_ok=True)
    os.makedirs(os.path.join(cloud.base, "data", "neutron", "locks"), exist_ok=True)
    with open(config_path(cloud), "w") as handle:
        handle.write(configs.neutron(cloud.base, cloud.venv, cloud.db_url("neutron"), cloud.ports, cloud.transport))
    plugins = os.path.join(cloud.base, "neutron-plugins")
    dist_info = os.path.join(plugins, "storage_backup_genuine_bind-1.0.dist-info")
    os.makedirs(dist_info, exist_ok=True)
    with open(os.path.join(plugins, "storage_backup_genuine_bind.py"), "w") as handle:
        handle.write(MECHANISM_DRIVER)
    with open(os.path.join(dist_info, "METADATA"), "w") as handle:
        handle.write("Metadata-Version: 2.1\nName: storage-backup-genuine-bind\nVersion: 1.0\n")
    with open(os.path.join(dist_info, "entry_points.txt"), "w") as handle:
        handle.write("[neutron.ml2.mechanism_drivers]\ngenuine_bind = storage_backup_genuine_bind:BindEverything\n")
    out = open(os.path.join(cloud.base, "logs", "neutron-db-manage.log"), "ab")
    process = subprocess.Popen([cloud.bin("neutron-db-manage"), "--config-file", config_path(cloud), "upgrade",
                                "heads"], stdout=out, stderr=subprocess.STDOUT, cwd=cloud.base,
                               env=dict(os.environ, PYTHONWARNINGS="ignore"))
    out.close()
    return process


def start(cloud, upgrade: subprocess.Popen | None, timeout: float) -> None:
    """The real neutron-server when it can run, else the stand-in; ``cloud.meta["neutron"]`` says which."""
    if upgrade is not None:
        try:
            if upgrade.wait(timeout=timeout) != 0:
                raise RuntimeError("neutron-db-manage upgrade heads failed (logs/neutron-db-manage.log)")
            process = cloud._spawn("neutron", [cloud.bin("neutron-server"), "--config-file", config_path(cloud)],
                                   env={"PYTHONPATH": os.path.join(cloud.base, "neutron-plugins")})
            url = f"http://127.0.0.1:{cloud.ports['neutron']}/"
            wait_for(lambda: http_ok(url), timeout, "neutron-server", interval=0.5, process=process.process,
                     log_path=process.log_path)
            cloud.meta["neutron"] = "neutron-server 24 (ML2, mechanism driver genuine_bind, no agents)"
            return
        except Exception as error:
            cloud.meta["neutron_error"] = str(error)[-2000:]
            if "neutron" in cloud.pids:
                from tests.genuine.cloud import stop_pid

                stop_pid(cloud.pids.pop("neutron"))
    with open(os.path.join(cloud.base, "wsgi", "neutron_stub.py"), "w") as handle:
        handle.write(STUB.format(port=cloud.ports["neutron"]))
    cloud.meta["neutron"] = "stand-in (empty lists: servers have no ports)"
    cloud._gunicorn("neutron", "neutron_stub", cloud.ports["neutron"], threads=1)


def real(cloud) -> bool:
    return str(cloud.meta.get("neutron", "")).startswith("neutron-server")


def seed(cloud, admin, demo) -> None:
    """An external network with a router for floating IPs, and the demo project's network (``demo-net``)."""
    public = admin.network.create_network(name="public", is_router_external=True, provider_network_type="flat",
                                          provider_physical_network="physnet1")
    admin.network.create_subnet(network_id=public.id, name="public-subnet", ip_version=4, cidr="172.24.4.0/24",
                                gateway_ip="172.24.4.1", enable_dhcp=False)
    network = demo.network.create_network(name="demo-net")
    subnet = demo.network.create_subnet(network_id=network.id, name="demo-subnet", ip_version=4,
                                        cidr="10.0.0.0/24", enable_dhcp=False)
    router = demo.network.create_router(name="demo-router", external_gateway_info={"network_id": public.id})
    demo.network.add_interface_to_router(router, subnet_id=subnet.id)
    cloud.meta["networks"] = {"public": public.id, "demo-net": network.id}
