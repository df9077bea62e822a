# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An operator's policy.yaml changes what the service allows, through the REST API, with real Keystone tokens.

A second REST API process runs over the same catalog with ``STORAGE_BACKUP_POLICY_FILE`` pointing at an override
file; the session's API beside it runs on the defaults, so each call is made to both and the answers compared.
"""
from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import pytest
import requests
from django.utils import timezone
from storage_backup.catalog.models import Destination, Policy, ProtectedInstance, RestorePoint
from storage_backup.policies import list_rules
from storage_backup.rest import urls
from storage_backup_sandbox.launch import ControlApiProcess

from tests.support.instances import create_instance, raise_volume_quota

OVERRIDES = """\
# Readers may start a backup; members may no longer delete restore points (administrators still may).
"storage_backup:backup:create": "rule:project_reader_or_admin"
"storage_backup:restore_point:delete": "rule:admin"
# Anyone may read a restore point: still their own project's only (tenancy is not a rule).
"storage_backup:restore_point:get": "@"
"""


@pytest.fixture(scope="module")
def overridden(control_plane, tmp_path_factory):
    """The REST API again, on the same catalog, under the operator's policy file."""
    folder = tmp_path_factory.mktemp("policy-api")
    policy_file = folder / "policy.yaml"
    policy_file.write_text(OVERRIDES)
    env = dict(control_plane.env, STORAGE_BACKUP_POLICY_FILE=str(policy_file))
    with ControlApiProcess(env, str(folder)).start() as api:
        yield api.url, policy_file


@pytest.fixture(scope="module")
def demo(control_plane):
    project_id = control_plane.project_id("demo-member")
    raise_volume_quota(control_plane.sandbox.session("admin"), project_id)
    shared = Destination.objects.get(pk=control_plane.destination_id)
    policy = Policy.objects.create(project_id=project_id, name=f"policy-overrides-{uuid.uuid4().hex[:8]}",
                                   destination=shared)
    return {"project_id": project_id, "policy": policy, "destination": shared}


def _protected_instance(control_plane, demo) -> str:
    server = create_instance(control_plane.sandbox.session("demo-member"), availability_zone="az2")
    ProtectedInstance.objects.create(instance_id=server["id"], project_id=demo["project_id"], policy=demo["policy"],
                                     name=server["name"], availability_zone="az2")
    return server["id"]


def _restore_point(demo) -> str:
    point = RestorePoint.objects.create(
        id=str(uuid.uuid4()), project_id=demo["project_id"], instance_id=str(uuid.uuid4()),
        availability_zone="az2", destination=demo["destination"], policy=demo["policy"],
        created_at=timezone.now() - dt.timedelta(days=1))
    return point.id


def _call(control_plane, base_url: str, user: str, method: str, path: str, body: dict | None = None):
    return requests.request(method, base_url + path, json=body, timeout=30,
                            headers={"X-Auth-Token": control_plane.token(user)})


def test_readers_start_backups_only_where_the_operator_allows_it(control_plane, demo, overridden):
    url, _ = overridden
    instance_id = _protected_instance(control_plane, demo)
    refused = _call(control_plane, control_plane.url, "demo-reader", "POST", "/v1/backups",
                    {"instance_id": instance_id})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["message"] == (
        "Start a backup of a protected instance of the project now: not allowed for your roles (reader) by policy "
        "rule storage_backup:backup:create.")
    started = _call(control_plane, url, "demo-reader", "POST", "/v1/backups", {"instance_id": instance_id})
    assert started.status_code == 202, started.text
    assert started.json()["type"] == "backup" and started.json()["instance_id"] == instance_id


def test_members_delete_restore_points_only_where_the_operator_allows_it(control_plane, demo, overridden):
    url, _ = overridden
    point_id = _restore_point(demo)
    denied = _call(control_plane, url, "demo-member", "DELETE", f"/v1/restore-points/{point_id}")
    assert denied.status_code == 403, denied.text
    assert "policy rule storage_backup:restore_point:delete" in denied.json()["error"]["message"]
    assert RestorePoint.objects.filter(pk=point_id).exists()
    assert _call(control_plane, url, "admin", "DELETE", f"/v1/restore-points/{point_id}").status_code == 204
    # The defaults, as before: a member deletes their project's restore point, a reader does not.
    point_id = _restore_point(demo)
    assert _call(control_plane, control_plane.url, "demo-reader", "DELETE",
                 f"/v1/restore-points/{point_id}").status_code == 403
    assert _call(control_plane, control_plane.url, "demo-member", "DELETE",
                 f"/v1/restore-points/{point_id}").status_code == 204
    assert not RestorePoint.objects.filter(pk=point_id).exists()


def test_an_override_never_opens_another_projects_objects(control_plane, demo, overridden):
    url, _ = overridden
    point_id = _restore_point(demo)
    assert _call(control_plane, url, "demo-reader", "GET", f"/v1/restore-points/{point_id}").status_code == 200
    hidden = _call(control_plane, url, "alt-member", "GET", f"/v1/restore-points/{point_id}")
    assert hidden.status_code == 404 and demo["project_id"] not in hidden.text
    instance_id = _protected_instance(control_plane, demo)
    foreign = _call(control_plane, url, "alt-reader", "POST", "/v1/backups", {"instance_id": instance_id})
    assert foreign.status_code == 400 and foreign.json()["error"]["field"] == "instance_id", foreign.text
    listed = _call(control_plane, url, "alt-member", "GET", "/v1/restore-points?all_projects=1&limit=500").json()
    assert all(point["project_id"] != demo["project_id"] for point in listed["results"])


def test_an_edit_of_the_policy_file_applies_without_a_restart(control_plane, overridden):
    url, policy_file = overridden
    assert _call(control_plane, url, "demo-reader", "GET", "/v1/jobs").status_code == 200
    try:
        policy_file.write_text(OVERRIDES + '"storage_backup:job:list": "rule:project_member_or_admin"\n')
        later = time.time() + 2
        os.utime(policy_file, (later, later))  # oslo.policy reloads a file whose modification time changed
        denied = _call(control_plane, url, "demo-reader", "GET", "/v1/jobs")
        assert denied.status_code == 403 and "storage_backup:job:list" in denied.text, denied.text
        assert _call(control_plane, url, "demo-member", "GET", "/v1/jobs").status_code == 200
    finally:
        policy_file.write_text(OVERRIDES)
        later = time.time() + 4
        os.utime(policy_file, (later, later))
    assert _call(control_plane, url, "demo-reader", "GET", "/v1/jobs").status_code == 200


def _django_path(route: str) -> str:
    """``v1/policies/<str:policy_id>`` as the rules write it: ``/v1/policies/{policy_id}``."""
    parts = [f"{{{part.split(':')[-1][:-1]}}}" if part.startswith("<") else part for part in route.split("/")]
    return "/" + "/".join(parts)


def test_every_route_of_the_api_has_a_rule():
    documented = {(operation["method"], operation["path"].split("?")[0])
                  for rule in list_rules() for operation in getattr(rule, "operations", [])}
    # Without a token by design: the version document, the OpenAPI document, and the probes of load balancers and
    # orchestrators (liveness and readiness say nothing about any project).
    public = {"version", "openapi", "healthz", "readyz"}
    missing = []
    for pattern in urls.urlpatterns:
        if pattern.name in public:
            continue
        view = pattern.callback.view_class
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method) and (method.upper(), _django_path(str(pattern.pattern))) not in documented:
                missing.append(f"{method.upper()} {_django_path(str(pattern.pattern))}")
    assert not missing, f"routes without a storage_backup:* rule in their operations: {missing}"
    routes = {_django_path(str(pattern.pattern)) for pattern in urls.urlpatterns}
    assert {path for _method, path in documented} <= routes, "a rule documents a path the API does not have"
