# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the embedded cloud holds at first start.

``seed_base`` runs on every start (it is idempotent): the identity every test and the demo rely on, flavors,
volume types, availability zones, networks. ``seed_demo`` (``--seed demo``) adds the demo's servers with real
data: proxy servers in the service project, instances with ext4 volumes, an image-booted instance.

The users below are the sandbox's only accounts; their passwords are fixed so that docs, tests and the demo can
name them. They are printed by ``make demo`` and written to ``clouds.yaml``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from storage_backup_sandbox import keystone
from storage_backup_sandbox.state import State

AVAILABILITY_ZONES = ("nova", "az2")


@dataclass(frozen=True)
class SandboxUser:
    name: str
    password: str
    project: str
    role: str
    cloud: str | None = None  # the clouds.yaml entry that logs in as this user


USERS = (
    SandboxUser("admin", "admin-secret", "admin", "admin", cloud="sandbox-admin"),
    SandboxUser("demo-member", "demo-secret", "demo", "member", cloud="sandbox-demo"),
    SandboxUser("demo-reader", "demo-reader-secret", "demo", "reader", cloud="sandbox-demo-reader"),
    SandboxUser("alt-member", "alt-secret", "alt", "member", cloud="sandbox-alt"),
    SandboxUser("alt-reader", "alt-reader-secret", "alt", "reader", cloud="sandbox-alt-reader"),
    # The account the backup service (control plane and proxy workers) acts with: admin in the service project,
    # as cloud-wide backup products are deployed.
    SandboxUser("backup-service", "backup-service-secret", "service", "admin", cloud="sandbox-service"),
    # The vault worker's narrow account: only the backup_vault role (storage_backup:vault:*), nothing else.
    SandboxUser("backup-vault", "backup-vault-secret", "service", "backup_vault", cloud="sandbox-vault"),
)
PROJECTS = ("admin", "service", "demo", "alt")
# Projects the backup service may act in (to recreate volumes and servers there on restore), as an operator
# grants with ``openstack role add --user backup-service --project demo member``.
BACKUP_SERVICE_PROJECTS = ("demo", "alt")


def user(name: str) -> SandboxUser:
    for candidate in USERS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def seed_base(state: State) -> None:
    """Idempotent: what every sandbox has, whatever the seed."""
    with state.lock:
        keystone.seed_identity(state)
        for project_name in PROJECTS:
            if keystone.find_by_name(state, "projects", project_name, "default") is None:
                keystone.create_project(state, project_name, "default", description=f"The {project_name} project")
        for role in sorted({spec.role for spec in USERS}):  # Keystone's three, and the product's own roles
            if keystone.find_by_name(state, "roles", role) is None:
                keystone.create_role(state, role)
        for spec in USERS:
            if keystone.find_by_name(state, "users", spec.name, "default") is not None:
                continue
            project = keystone.find_by_name(state, "projects", spec.project, "default")
            record = keystone.create_user(state, spec.name, spec.password, "default",
                                          default_project_id=project["id"])
            keystone.grant_role(state, record["id"], spec.role, project_id=project["id"])
            if spec.name == "backup-service":
                for name in BACKUP_SERVICE_PROJECTS:
                    other = keystone.find_by_name(state, "projects", name, "default")
                    keystone.grant_role(state, record["id"], "member", project_id=other["id"])
        for module in _service_modules():
            seed = getattr(module, "seed_base", None)
            if seed is not None:
                seed(state)
        state.touch()


def seed_demo(state: State) -> None:
    """The demo's servers and data (idempotent: does nothing when already seeded)."""
    if state.meta.get("seeded_demo"):
        return
    from storage_backup_sandbox import demo_data

    demo_data.seed(state)
    state.meta["seeded_demo"] = True
    state.touch()


def _service_modules():
    from storage_backup_sandbox import cinder, glance, neutron, nova

    return (neutron, glance, cinder, nova)


def project_id(state: State, name: str) -> str:
    return keystone.find_by_name(state, "projects", name, "default")["id"]


def write_clouds_yaml(state: State, auth_url: str) -> str:
    """``DIR/clouds.yaml``: one cloud per sandbox user, so ``openstack --os-cloud sandbox-demo`` just works."""
    lines = ["# Written by the embedded cloud (storage_backup_sandbox). Passwords are the sandbox's fixed ones.",
             "clouds:"]
    for spec in USERS:
        if not spec.cloud:
            continue
        lines += [
            f"  {spec.cloud}:",
            "    auth:",
            f"      auth_url: {auth_url}",
            f"      username: {spec.name}",
            f"      password: {spec.password}",
            f"      project_name: {spec.project}",
            "      user_domain_name: Default",
            "      project_domain_name: Default",
            "    region_name: RegionOne",
            "    interface: public",
            "    identity_api_version: 3",
        ]
    path = os.path.join(state.state_dir, "clouds.yaml")
    with open(path + ".tmp", "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    return path
