# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Catalog rebuild from a repository written with the repository engine, and the WORM lock held in both places:
the repository work runs on the real data worker (``rebuild``, ``lock``, ``delete`` jobs), never in this process's
control plane."""
from __future__ import annotations

import datetime as dt
import io
import os
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, RestorePoint
from storage_backup.repository import Repository
from storage_backup.services import restore_points
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import Conflict

from tests.support.control_fixtures import run_jobs

# Part of the catalog-heavy subset that tox's functional-postgresql and functional-mariadb run again there.
pytestmark = pytest.mark.catalog


def write_points(path: str, project_id: str, instance_id: str, count: int, lock_until=None) -> list[str]:
    repository = Repository.open(path) if os.path.exists(os.path.join(path, "config")) else Repository.init(path)
    disk = os.path.join(path, "..", f"disk-{instance_id}.img")
    ids = []
    for index in range(count):
        with open(disk, "wb") as handle:
            handle.write(os.urandom(64 * 1024) + bytes(1024 * 1024) + str(index).encode() * 1000)
        with repository.start_restore_point(
                labels={"project_id": project_id, "instance_id": instance_id, "job_id": str(uuid.uuid4())},
                instance_metadata={"name": f"web-{instance_id[:4]}", "availability_zone": "nova"},
                consistency="per-volume", lock_until=lock_until) as writer:
            writer.backup_volume("vol-a", disk, strategy="incremental")
            ids.append(writer.commit())
    return ids


@pytest.fixture
def destination(tmp_path, data_worker):
    path = tmp_path / "repo"
    path.mkdir()
    Repository.init(str(path))
    return Destination.objects.create(name=f"rebuild-{uuid.uuid4().hex[:6]}", path=str(path))


def test_rebuild_catalog_from_repository_alone(destination):
    instance_id = str(uuid.uuid4())
    ids = write_points(destination.path, "proj-r", instance_id, 3)
    stale = RestorePoint.objects.create(id=str(uuid.uuid4()), project_id="proj-r", instance_id=instance_id,
                                        destination=destination, created_at=timezone.now())
    out = io.StringIO()
    call_command("rebuild_catalog", "--destination", destination.id, stdout=out)
    assert "3 created, 0 updated, 1 removed" in out.getvalue()
    rebuilt = list(RestorePoint.objects.filter(destination=destination).order_by("created_at"))
    assert [p.id for p in rebuilt] == ids
    first = rebuilt[0]
    assert first.project_id == "proj-r" and first.instance_id == instance_id and first.instance_name.startswith("web")
    assert first.availability_zone == "nova" and first.volumes[0]["volume_id"] == "vol-a"
    assert first.bytes_total > 1024 * 1024 and first.consistency == "per-volume"
    assert not RestorePoint.objects.filter(pk=stale.pk).exists()
    out = io.StringIO()
    call_command("rebuild_catalog", "--destination", destination.id, stdout=out)
    assert "0 created, 3 updated, 0 removed" in out.getvalue()


def test_rebuild_refuses_an_empty_mount(tmp_path, data_worker):
    empty = Destination.objects.create(name="empty", path=str(tmp_path))
    RestorePoint.objects.create(id=str(uuid.uuid4()), project_id="p", instance_id="i", destination=empty,
                                created_at=timezone.now())
    with pytest.raises(Exception, match="is there no repository|no repository"):
        call_command("rebuild_catalog", "--destination", empty.id, stdout=io.StringIO())
    assert RestorePoint.objects.filter(destination=empty).count() == 1
    job = Job.objects.filter(destination=empty, type="rebuild").get()
    assert job.state == "failed" and "no repository" in job.error and job.queue == "data"
    assert any(entry["step"] == "failed" and entry["message"].startswith("repository_unavailable: ")
               for entry in job.log)


def test_worm_lock_is_kept_in_the_repository_and_survives_a_rebuild(destination):
    until = timezone.now() + dt.timedelta(days=3)
    [point_id] = write_points(destination.path, "proj-w", str(uuid.uuid4()), 1)
    call_command("rebuild_catalog", "--destination", destination.id, stdout=io.StringIO())
    restore_points.extend_lock(SYSTEM, point_id, until)
    [lock] = Job.objects.filter(restore_point_id=point_id, type="lock")
    assert lock.state == "queued" and RestorePoint.objects.get(pk=point_id).retention_lock_until == until
    [lock] = run_jobs(lock.id)  # the repository gets the lock from the data worker
    assert lock.state == "succeeded" and lock.result["locked"] is True, lock.error
    with pytest.raises(Conflict, match="never shortened"):
        restore_points.extend_lock(SYSTEM, point_id, until - dt.timedelta(days=1))
    with pytest.raises(Conflict, match="retention lock"):
        restore_points.delete_restore_point(SYSTEM, point_id)
    # The catalog is lost: the lock comes back from the repository, and the repository refuses too.
    RestorePoint.objects.filter(pk=point_id).delete()
    call_command("rebuild_catalog", "--destination", destination.id, stdout=io.StringIO())
    rebuilt = RestorePoint.objects.get(pk=point_id)
    assert abs((rebuilt.retention_lock_until - until).total_seconds()) < 1
    assert Repository.open(destination.path).get_restore_point(point_id).locked()


def test_unlocked_point_is_deleted_from_repository_and_catalog(destination):
    [point_id] = write_points(destination.path, "proj-d", str(uuid.uuid4()), 1)
    call_command("rebuild_catalog", "--destination", destination.id, stdout=io.StringIO())
    job = restore_points.delete_restore_point(SYSTEM, point_id)
    assert not RestorePoint.objects.filter(pk=point_id).exists()  # gone from the catalog at once
    assert job.type == "delete" and job.restore_point_id == point_id
    # A rebuild before the data worker deleted it must not bring it back.
    call_command("rebuild_catalog", "--destination", destination.id, stdout=io.StringIO())
    assert not RestorePoint.objects.filter(pk=point_id).exists()
    [job] = run_jobs(job.id)
    assert job.state == "succeeded" and job.result["deleted"] == [point_id], job.error
    assert point_id not in Repository.open(destination.path).restore_point_ids()
