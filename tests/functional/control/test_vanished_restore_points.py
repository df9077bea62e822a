# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A locked restore point whose document was deleted on disk is noticed, loudly (issue 10, item 11): the retention
pass's prune reports it and stops (so its data stays for the document to be put back from a copy), a verify of it
says so, and the admin overview lists it under what needs attention. Real data worker, real repository."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from storage_backup.catalog.models import Destination, RestorePoint
from storage_backup.control import retention
from storage_backup.services import data_plane, jobs, statistics
from storage_backup.services.context import SYSTEM

from tests.functional.control.test_catalog_rebuild import write_points
from tests.support.control_fixtures import run_jobs

pytestmark = pytest.mark.catalog


def _packs(root) -> int:
    return sum(len(files) for _dir, _dirs, files in os.walk(os.path.join(root, "data")))


@pytest.fixture
def vanished(tmp_path, data_worker):
    root = tmp_path / "repo"
    root.mkdir()
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    instance = str(uuid.uuid4())
    ids = write_points(str(root), "proj-worm", instance, 2, lock_until=until)
    destination = Destination.objects.create(name=f"worm-{uuid.uuid4().hex[:6]}", path=str(root))
    for point_id in ids:
        RestorePoint.objects.create(id=point_id, project_id="proj-worm", instance_id=instance,
                                    destination=destination, created_at=dt.datetime.now(dt.UTC), strategy="full",
                                    retention_lock_until=until)
    gone, kept = ids
    os.unlink(root / "restore-points" / gone)  # what someone with a shell on the storage host can do
    return destination, gone, kept, root


def test_the_retention_pass_reports_a_vanished_locked_restore_point_and_keeps_its_data(vanished):
    destination, gone, kept, root = vanished
    packs = _packs(root)
    data_plane.mark_for_prune(destination.id)
    (prune,) = retention.prune_destinations()
    (ended,) = run_jobs(prune.id)
    assert ended.state == "failed"
    assert gone in ended.error and "locked" in ended.error.lower() and "vanished" in ended.error
    assert kept not in ended.error
    assert _packs(root) == packs  # nothing pruned: the vanished point's data is what a restored document needs
    assert RestorePoint.objects.get(pk=gone).missing_since is not None
    assert RestorePoint.objects.get(pk=kept).missing_since is None
    listed = [row["id"] for row in statistics.overview(SYSTEM)["attention"]["vanished_restore_points"]]
    assert gone in listed and kept not in listed  # the catalog is the session's: other tests' rows may be there


def test_the_verify_pass_reports_a_vanished_locked_restore_point(vanished):
    destination, gone, kept, _root = vanished
    (ended,) = run_jobs(jobs.create_verify(SYSTEM, gone).id)
    assert ended.state == "failed"
    assert "locked" in ended.error.lower() and "vanished" in ended.error
    assert RestorePoint.objects.get(pk=gone).missing_since is not None
    (fine,) = run_jobs(jobs.create_verify(SYSTEM, kept).id)
    assert fine.state == "succeeded", fine.error
    listed = [row["id"] for row in statistics.overview(SYSTEM)["attention"]["vanished_restore_points"]]
    assert gone in listed and kept not in listed
