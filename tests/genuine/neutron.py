# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Neutron for the genuine tier (see tools/genuine/README.md, "Neutron").

For now a stand-in that answers the calls Nova makes for servers created with ``networks="none"`` (empty lists).
"""
from __future__ import annotations

import os

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


def start(cloud) -> None:
    with open(os.path.join(cloud.base, "wsgi", "neutron_stub.py"), "w") as handle:
        handle.write(STUB.format(port=cloud.ports["neutron"]))
    cloud.meta["neutron"] = "stand-in (empty lists)"
    cloud._gunicorn("neutron", "neutron_stub", cloud.ports["neutron"], threads=1)
