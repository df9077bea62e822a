# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Tenants see a destination's name, never its location (path, export): not in the destinations, not in a failed
job's error, log or result, not in the protected instances' status. Administrators see it."""
from __future__ import annotations

import json
import shutil
import uuid

import pytest
from storage_backup.catalog.models import RestorePoint

from tests.functional.control.test_catalog_rebuild import write_points
from tests.support.control_fixtures import run_jobs

pytestmark = pytest.mark.catalog


def test_tenants_see_destinations_without_their_location(control_plane):
    member, reader, admin = (control_plane.client(user) for user in ("demo-member", "demo-reader", "admin"))
    shared = admin.destination_get(control_plane.destination_id)
    assert shared["path"]  # administrators see where it is
    assert any(d["path"] == shared["path"] for d in admin.destination_list())
    for tenant in (member, reader):
        listed = tenant.destination_list()  # every page: other tests of the session made destinations too
        assert any(d["id"] == shared["id"] and d["name"] == shared["name"] for d in listed)
        assert shared["path"] not in json.dumps(listed)
        assert all("path" not in d for d in listed)
        detail = tenant.destination_get(shared["id"])
        assert detail["name"] == shared["name"] and "path" not in detail


def test_a_failed_job_shows_tenants_no_location_admins_see_it(control_plane, data_worker, tmp_path):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    project = control_plane.project_id("demo-member")
    root = tmp_path / f"secret-location-{uuid.uuid4().hex[:6]}" / "repository"
    instance = str(uuid.uuid4())
    point_id = write_points(str(root), project, instance, 1)[0]
    destination = admin.destination_create(name=f"disclosure-{uuid.uuid4().hex[:6]}", path=str(root))
    RestorePoint.objects.create(id=point_id, project_id=project, instance_id=instance, instance_name="web",
                                destination_id=destination["id"], created_at="2026-01-01T00:00:00Z")
    shutil.rmtree(root.parent)  # the destination's directory is gone: the job fails naming where it looked
    job = member.verify(point_id)
    (ended,) = run_jobs(job["id"])
    assert ended.state == "failed"
    location = str(root.parent)

    seen_by_admin = admin.job_get(job["id"])
    assert location in seen_by_admin["error"] + json.dumps(seen_by_admin["log"])

    seen = member.job_get(job["id"])
    assert seen["state"] == "failed" and seen["error"]
    assert destination["name"] in seen["error"]  # the tenant still learns which destination failed
    listed = member.request("GET", "/v1/jobs", params={"instance_id": instance})
    status = member.instance_status([instance])
    for answer in (seen, listed, status):
        assert location not in json.dumps(answer), answer


def test_a_location_is_redacted_with_what_follows_it_and_no_other_path():
    from storage_backup.catalog.models import Destination
    from storage_backup.services.locations import Redactor

    suffix = uuid.uuid4().hex[:6]
    Destination.objects.create(name=f"near-{suffix}", path=f"/srv/near-{suffix}/")
    Destination.objects.create(name=f"nested-{suffix}", path=f"/srv/near-{suffix}/inner")
    text = (f"cannot write /srv/near-{suffix}/packs/ab/1.pack: ENOSPC; /srv/near-{suffix}x is another; "
            f"'/srv/near-{suffix}/inner/config' and /srv/near-{suffix}")
    assert Redactor().text(text) == (f"cannot write <destination near-{suffix}>: ENOSPC; /srv/near-{suffix}x is "
                                     f"another; '<destination nested-{suffix}>' and <destination near-{suffix}>")
    assert Redactor(active=False).text(text) == text
    # A worker's words name the location below its own mount root: the root goes with it.
    assert Redactor().text(f"the destination /mnt/workers/root/srv/near-{suffix} is gone") == \
        f"the destination <destination near-{suffix}> is gone"
    assert Redactor().value({"log": [{"message": f"/srv/near-{suffix}"}], "n": 1}) == {
        "log": [{"message": f"<destination near-{suffix}>"}], "n": 1}
