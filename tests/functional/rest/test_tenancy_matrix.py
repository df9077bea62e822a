# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every endpoint × {owner member, owner reader, other project's member, admin, no token} → the expected code.

The routes come from the URL configuration (``storage_backup.rest.urls``): a new endpoint or method without an entry in
``EXPECTED`` fails ``test_every_route_has_expectations`` and has no cell to pass.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.utils import timezone
from storage_backup import contract
from storage_backup.catalog.models import (
    Destination,
    Job,
    Policy,
    ProtectedInstance,
    RestorePoint,
    RestorePointCopy,
    Webhook,
)
from storage_backup.rest import urls
from storage_backup.services import proxy_keys, vault_recovery
from storage_backup.services.context import SYSTEM

from tests.support.instances import create_instance, raise_volume_quota

# Part of the catalog-heavy subset that tox's functional-postgresql and functional-mariadb run again there.
pytestmark = pytest.mark.catalog

ROLES = ("member", "reader", "other", "admin", "none")
USER_OF = {"member": "demo-member", "reader": "demo-reader", "other": "alt-member", "admin": "admin"}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def routes() -> list[tuple[str, str]]:
    found = []
    for pattern in urls.urlpatterns:
        view = pattern.callback.view_class
        for method in HTTP_METHODS:
            if hasattr(view, method):
                found.append((pattern.name, method.upper()))
    return found


def codes(member, reader, other, admin, none=401) -> dict:
    return dict(zip(ROLES, (member, reader, other, admin, none), strict=True))


PUBLIC = codes(200, 200, 200, 200, 200)
LIST = codes(200, 200, 200, 200)
READ_OWN = codes(200, 200, 404, 200)
EXPECTED = {
    ("version", "GET"): PUBLIC,
    ("openapi", "GET"): PUBLIC,
    ("healthz", "GET"): PUBLIC,
    ("readyz", "GET"): PUBLIC,
    ("metrics", "GET"): codes(403, 403, 403, 200),
    ("policies", "GET"): LIST,
    ("policies", "POST"): codes(201, 403, 201, 201),
    ("policy", "GET"): READ_OWN,
    ("policy", "PATCH"): codes(200, 403, 404, 200),
    ("policy", "DELETE"): codes(204, 403, 404, 204),
    ("protected-instances", "GET"): LIST,
    # another project's instance in the body: 400 naming instance_id, the same answer as for no such instance
    ("protected-instances", "POST"): codes(201, 403, 400, 201),
    ("protected-instance", "GET"): READ_OWN,
    ("protected-instance", "DELETE"): codes(204, 403, 404, 204),
    ("backups", "POST"): codes(202, 403, 400, 202),
    ("restore-points", "GET"): LIST,
    ("restore-point", "GET"): READ_OWN,
    ("restore-point", "PATCH"): codes(200, 403, 404, 200),
    ("restore-point", "DELETE"): codes(204, 403, 404, 204),
    ("restore", "POST"): codes(202, 403, 404, 202),
    ("verify", "POST"): codes(202, 403, 404, 202),
    # the matrix's restore point is of an instance Nova does not have: a revert (over the original) is a 409
    ("revert", "POST"): codes(409, 403, 404, 409),
    ("jobs", "GET"): LIST,
    ("job", "GET"): READ_OWN,
    ("job-cancel", "POST"): codes(202, 403, 404, 202),
    ("destinations", "GET"): LIST,
    ("destinations", "POST"): codes(403, 403, 403, 201),
    ("destination", "GET"): READ_OWN,
    ("proxies", "GET"): codes(403, 403, 403, 200),
    # enrolled worker keys: the administrators' alone (task secrets are sealed to them)
    ("proxy-keys", "GET"): codes(403, 403, 403, 200),
    ("proxy-keys-of-proxy", "GET"): codes(403, 403, 403, 200),
    ("proxy-keys-of-proxy", "POST"): codes(403, 403, 403, 201),
    ("proxy-key", "DELETE"): codes(403, 403, 403, 204),
    ("usage", "GET"): LIST,
    ("quota", "GET"): READ_OWN,
    ("quota", "PUT"): codes(403, 403, 403, 200),
    ("audit-events", "GET"): LIST,
    # the Horizon panels' endpoints (backend/storage_backup/rest/views_dashboard.py)
    ("destination", "PATCH"): codes(403, 403, 403, 200),
    # an unused destination (this cell's own): the administrators' to delete
    ("destination", "DELETE"): codes(403, 403, 403, 204),
    ("destination-usage", "GET"): codes(403, 403, 403, 200),
    # the project's own destination: seen, but pruning and rebuilding are the administrators'
    ("destination-prune", "POST"): codes(403, 403, 404, 202),
    ("destination-rebuild", "POST"): codes(403, 403, 404, 202),
    ("instance-status", "GET"): LIST,
    ("restore-point-instance", "GET"): READ_OWN,
    ("schedule-preview", "GET"): LIST,
    ("overview", "GET"): codes(403, 403, 403, 200),
    # file-level restore (rest/views_files.py): the matrix's restore point holds no volume, so those who may ask
    # learn that it has no such volume; a backup job has nothing to download
    ("restore-point-files", "GET"): codes(404, 403, 404, 404),
    ("restore-point-files-download", "POST"): codes(404, 403, 404, 404),
    ("job-download", "GET"): codes(404, 403, 404, 404),
    # a project's webhooks (backend/storage_backup/rest/views_webhooks.py)
    ("webhooks", "GET"): LIST,
    ("webhooks", "POST"): codes(201, 403, 201, 201),
    ("webhook", "GET"): READ_OWN,
    ("webhook", "PATCH"): codes(200, 403, 404, 200),
    ("webhook", "DELETE"): codes(204, 403, 404, 204),
    ("webhook-secret", "POST"): codes(200, 403, 404, 200),
    # the vault worker's: its dedicated role only, administrators included (tests/functional/rest/test_vault.py)
    ("vault-work", "GET"): codes(403, 403, 403, 403),
    ("vault-copies", "POST"): codes(403, 403, 403, 403),
    ("vault-grants", "POST"): codes(403, 403, 403, 403),
    # a project's vault copies whose restore point was deleted (tests/functional/rest/test_vault_recovery.py)
    ("orphaned-vault-copies", "GET"): LIST,
    ("orphaned-vault-copy-recover", "POST"): codes(201, 403, 404, 201),
}


def test_every_route_has_expectations():
    assert set(routes()) == set(EXPECTED), "add the new route to EXPECTED (and to the API's docs)"


class World:
    """Fresh objects of the demo project for one cell (a mutating call must not see another cell's changes)."""

    def __init__(self, control_plane, demo_instances):
        self.cp = control_plane
        self.demo_project = control_plane.project_id("demo-member")
        self.instances = demo_instances
        suffix = uuid.uuid4().hex[:8]
        self.destination = Destination.objects.create(name=f"demo-only-{suffix}", path="/srv/demo-only",
                                                      project_id=self.demo_project)
        shared = Destination.objects.get(pk=control_plane.destination_id)
        self.policy = Policy.objects.create(project_id=self.demo_project, name=f"matrix-{suffix}",
                                            destination=shared)
        self.point = RestorePoint.objects.create(
            id=str(uuid.uuid4()), project_id=self.demo_project, instance_id=str(uuid.uuid4()),
            availability_zone="az2", destination=shared, policy=self.policy,
            created_at=timezone.now() - dt.timedelta(days=1))
        self.job = Job.objects.create(type="backup", project_id=self.demo_project, instance_id=str(uuid.uuid4()),
                                      availability_zone="az2", queue="proxy.az2", task_name="proxy.backup_instance",
                                      destination=shared, policy=self.policy)

    def orphaned_copy(self) -> RestorePointCopy:
        """A complete vault copy of a demo restore point deleted from the catalog (its row kept on the copy)."""
        point = RestorePoint(id=str(uuid.uuid4()), project_id=self.demo_project, instance_id=str(uuid.uuid4()),
                             availability_zone="az2", destination=self.point.destination, policy=self.policy,
                             created_at=timezone.now() - dt.timedelta(days=2))
        vault = Destination.objects.create(name=f"matrix-vault-{uuid.uuid4().hex[:8]}", path="/srv/matrix-vault",
                                           vault=True)
        return RestorePointCopy.objects.create(
            restore_point_id=point.id, project_id=self.demo_project, instance_id=point.instance_id,
            point_created_at=point.created_at, primary=point.destination, vault=vault, state="copied",
            copied_at=timezone.now(), primary_deleted_at=timezone.now(), point_record=vault_recovery.record_of(point))

    @staticmethod
    def new_public_key() -> str:
        return contract.public_key_text(X25519PrivateKey.generate())

    def protected_instance(self, real: bool = False) -> str:
        """Reading or removing a protection needs no instance in Nova; a backup looks it up there."""
        server = self.instances.pop() if real else {"id": str(uuid.uuid4()), "name": "catalog-only"}
        ProtectedInstance.objects.create(instance_id=server["id"], project_id=self.demo_project,
                                         policy=self.policy, name=server["name"], availability_zone="az2")
        return server["id"]

    def request(self, route: str, method: str) -> tuple[str, dict | None]:
        """Path and body of one call to ``route``."""
        cp = self.cp
        if route == "version":
            return "/v1/", None
        if route == "openapi":
            return "/v1/openapi.json", None
        if route in ("healthz", "readyz", "metrics"):
            return f"/{route}", None
        if route == "policies":
            return "/v1/policies", {"name": "matrix-new", "destination_id": cp.destination_id}
        if route == "policy":
            return f"/v1/policies/{self.policy.id}", {"keep_last": 3}
        if route == "protected-instances" and method == "GET":
            return "/v1/protected-instances", None
        if route == "protected-instances":
            return "/v1/protected-instances", {"instance_id": self.instances.pop()["id"],
                                               "policy_id": self.policy.id}
        if route == "protected-instance":
            return f"/v1/protected-instances/{self.protected_instance()}", None
        if route == "backups":
            return "/v1/backups", {"instance_id": self.protected_instance(real=True)}
        if route == "restore-points":
            return "/v1/restore-points", None
        if route == "restore-point":
            until = (timezone.now() + dt.timedelta(days=30)).isoformat()
            return f"/v1/restore-points/{self.point.id}", {"retention_lock_until": until}
        if route == "restore":
            return f"/v1/restore-points/{self.point.id}/restore", {"name": "restored"}
        if route == "verify":
            return f"/v1/restore-points/{self.point.id}/verify", None
        if route == "restore-point-files":
            return f"/v1/restore-points/{self.point.id}/volumes/no-such-volume/files?path=/etc", None
        if route == "restore-point-files-download":
            return f"/v1/restore-points/{self.point.id}/volumes/no-such-volume/files/download", {"path": "/etc"}
        if route == "job-download":
            return f"/v1/jobs/{self.job.id}/download", None
        if route == "revert":
            return f"/v1/restore-points/{self.point.id}/revert", {"instance": True, "confirm": True}
        if route == "jobs":
            return "/v1/jobs", None
        if route == "job":
            return f"/v1/jobs/{self.job.id}", None
        if route == "job-cancel":
            return f"/v1/jobs/{self.job.id}/cancel", None
        if route == "destinations":
            return "/v1/destinations", {"name": "matrix", "path": "/srv/matrix"}
        if route == "destination":
            return f"/v1/destinations/{self.destination.id}", {"retention_lock_min_days": 1}
        if route == "destination-usage":
            return "/v1/destination-usage", None
        if route == "destination-prune":
            return f"/v1/destinations/{self.destination.id}/prune", None
        if route == "destination-rebuild":
            return f"/v1/destinations/{self.destination.id}/rebuild", {"dry_run": True}
        if route == "instance-status":
            return f"/v1/instance-status?instance_id={self.protected_instance()}", None
        if route == "restore-point-instance":
            return f"/v1/restore-points/{self.point.id}/instance", None
        if route == "schedule-preview":
            return "/v1/schedule-preview?schedule=0+2+*+*+*&timezone=Europe/Warsaw&count=3", None
        if route == "overview":
            return "/v1/overview?days=7", None
        if route == "proxy-keys":
            return "/v1/proxy-keys", None
        if route == "proxy-keys-of-proxy":
            return "/v1/proxies/matrix-proxy/keys", {"queue": "proxy.matrix-zone", "public_key": self.new_public_key()}
        if route == "proxy-key":
            key = proxy_keys.enrol(SYSTEM, "matrix-proxy", "proxy.matrix-zone", self.new_public_key())
            return f"/v1/proxies/matrix-proxy/keys/{key.key_id}", None
        if route == "webhooks":
            return "/v1/webhooks", {"url": "https://hooks.example.com/matrix"}
        if route in ("webhook", "webhook-secret"):
            hook = Webhook.objects.create(project_id=self.demo_project, url="https://hooks.example.com/demo",
                                          secret="whsec_matrix")
            suffix = "/secret" if route == "webhook-secret" else ""
            return f"/v1/webhooks/{hook.id}{suffix}", {"description": "renamed"} if not suffix else None
        if route == "vault-work":
            return f"/v1/vault/work?vault={self.destination.id}", None
        if route == "vault-copies":
            return "/v1/vault/copies", {"copy_id": str(uuid.uuid4()), "state": "copied"}
        if route == "vault-grants":
            return "/v1/vault/grants", {"grant_id": self.job.id, "grant": {"expires": "2030-01-01T00:00:00Z",
                                                                          "objects": {"config": "http://x/"}}}
        if route == "orphaned-vault-copies":
            self.orphaned_copy()
            return "/v1/vault-copies", None
        if route == "orphaned-vault-copy-recover":
            return f"/v1/vault-copies/{self.orphaned_copy().id}/recover", None
        if route in ("proxies", "usage", "audit-events"):
            return f"/v1/{route}", None
        if route == "quota":
            return f"/v1/quotas/{self.demo_project}", {"restore_points": 1000}
        raise AssertionError(f"no request for route {route}")


@pytest.fixture(scope="module")
def demo_instances(control_plane):
    """Demo-project instances for the cells that protect or back one up (each cell takes its own)."""
    session = control_plane.sandbox.session("demo-member")
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    needed = 2 * len(ROLES)  # POST protected-instances and POST backups
    return [create_instance(session, availability_zone="az2") for _ in range(needed)]


CELLS = [(route, method, role) for route, method in routes() for role in ROLES]


@pytest.mark.parametrize(("route", "method", "role"), CELLS, ids=[f"{m} {r} as {who}" for r, m, who in CELLS])
def test_tenancy(control_plane, demo_instances, route, method, role):
    expected = EXPECTED.get((route, method), {}).get(role)
    assert expected is not None, f"{method} {route} has no expected code for {role}"
    world = World(control_plane, demo_instances)
    path, body = world.request(route, method)
    headers = {"X-Auth-Token": control_plane.token(USER_OF[role])} if role != "none" else {}
    response = requests.request(method, control_plane.url + path, headers=headers,
                                json=body if method in ("POST", "PUT", "PATCH") else None, timeout=30)
    assert response.status_code == expected, f"{method} {path} as {role}: {response.status_code} {response.text}"
    if expected == 404 and world.demo_project not in path:
        assert world.demo_project not in response.text  # nothing about the object leaks
    if method == "GET" and role == "other" and expected == 200 and "results" in response.json():
        assert all(item.get("project_id", "") in ("", control_plane.project_id("alt-member"))
                   for item in response.json()["results"]), "another project's objects leaked into a list"


def test_admin_sees_all_projects_only_when_asked(control_plane):
    World(control_plane, [])
    admin = control_plane.client("admin")
    demo = control_plane.project_id("demo-member")
    own = admin.request("GET", "/v1/restore-points")["results"]
    assert all(point["project_id"] != demo for point in own)
    everything = admin.request("GET", "/v1/restore-points", params={"all_projects": 1})["results"]
    assert any(point["project_id"] == demo for point in everything)
    member_everything = control_plane.client("demo-member").request(
        "GET", "/v1/restore-points", params={"all_projects": 1, "limit": 500})["results"]
    assert all(point["project_id"] == demo for point in member_everything)  # the flag means nothing to them
