# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""charms/overlays/storage-backup.yaml: it loads, every local charm it names is one of ours, and every relation joins
two endpoints that exist with the same interface — ours from the charms' charmcraft.yaml, openstack-base's from the
table below (the endpoints those charms declare in their metadata)."""
from __future__ import annotations

import os

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OVERLAY = os.path.join(REPO_ROOT, "charms", "overlays", "storage-backup.yaml")
#: openstack-base's applications and the endpoints of theirs the overlay uses: (charm, endpoint) -> interface
OPENSTACK_BASE = {
    ("keystone", "identity-credentials"): "keystone-credentials",
    ("mysql-innodb-cluster", "db-router"): "mysql-router",
    ("vault", "certificates"): "tls-certificates",
    ("openstack-dashboard", "dashboard-plugin"): "dashboard-plugin",
    ("ceph-mon", "client"): "ceph-client",
    ("mysql-router", "shared-db"): "mysql-shared",
    ("mysql-router", "db-router"): "mysql-router",
}


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def charm_endpoints(charm_dir: str) -> dict[str, str]:
    meta = load(os.path.join(charm_dir, "charmcraft.yaml"))
    return {name: spec["interface"] for kind in ("requires", "provides", "peers")
            for name, spec in (meta.get(kind) or {}).items()}


def interfaces(overlay: dict) -> dict[str, dict[str, str]]:
    """application -> its endpoints and their interfaces (ours read from charmcraft.yaml)."""
    found = {}
    for name, app in overlay["applications"].items():
        charm = app["charm"]
        if charm.startswith("ch:"):
            found[name] = {endpoint: interface for (base, endpoint), interface in OPENSTACK_BASE.items()
                           if base == charm[3:]}
        else:
            found[name] = charm_endpoints(os.path.dirname(os.path.join(os.path.dirname(OVERLAY), charm)))
    for base, endpoint in OPENSTACK_BASE:
        found.setdefault(base, {})
        found[base].setdefault(endpoint, OPENSTACK_BASE[(base, endpoint)])
    return found


def test_overlay_loads_and_names_our_charms():
    overlay = load(OVERLAY)
    local = {name: app["charm"] for name, app in overlay["applications"].items() if not app["charm"].startswith("ch:")}
    assert set(local) == {"storage-backup-api", "storage-backup-dashboard", "storage-backup-diff"}
    for name, charm in local.items():
        charm_dir = os.path.dirname(os.path.normpath(os.path.join(os.path.dirname(OVERLAY), charm)))
        meta = load(os.path.join(charm_dir, "charmcraft.yaml"))
        # charmcraft pack names the file <name>_<platform>.charm
        assert os.path.basename(charm) == f"{meta['name']}_amd64.charm", name
        for option in overlay["applications"][name].get("options", {}):
            assert option in meta["config"]["options"], f"{name}: no config option {option}"
    assert load(os.path.join(REPO_ROOT, "charms", "storage-backup-dashboard", "charmcraft.yaml"))["subordinate"]
    assert "num_units" not in overlay["applications"]["storage-backup-dashboard"]


def test_every_relation_joins_endpoints_of_one_interface():
    overlay = load(OVERLAY)
    endpoints = interfaces(overlay)
    assert len(overlay["relations"]) == 7
    for left, right in overlay["relations"]:
        (left_app, left_end), (right_app, right_end) = left.split(":"), right.split(":")
        assert left_end in endpoints[left_app], f"{left}: no such endpoint"
        assert right_end in endpoints[right_app], f"{right}: no such endpoint"
        assert endpoints[left_app][left_end] == endpoints[right_app][right_end], f"{left} - {right}"


@pytest.mark.parametrize("relation", [["storage-backup-api:database", "keystone:identity-credentials"],
                                      ["storage-backup-dashboard:dashboard", "vault:certificates"]])
def test_the_check_catches_a_wrong_relation(relation):
    overlay = load(OVERLAY)
    endpoints = interfaces(overlay)
    (left_app, left_end), (right_app, right_end) = (side.split(":") for side in relation)
    assert endpoints[left_app].get(left_end) != endpoints[right_app].get(right_end)
