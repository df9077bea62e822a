# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The periodic check for vanished locked restore points (``services/vanished.py``), with a real data worker and
real repositories on disk: a locked restore point whose document was deleted behind the product's back is reported
by the scheduled check alone (no prune, no verify), on the admin overview (REST) and in ``/metrics``; the check
lists names only (a repository whose packs are all destroyed passes it); an unmounted destination fails the check
without marking anything; a lock that expired meanwhile is no alarm. The lock-maintenance margin with the interval
the processes run with: on the overview and in ``/metrics``, logged and audited once by the control worker's look.
The whole product with beat scheduling the check: tests/functional/e2e/test_vanished_check.py."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from storage_backup import contract
from storage_backup.catalog.models import AuditEvent, Destination, Job, JobState, JobType, RestorePoint
from storage_backup.control import lock_maintenance as control_lock_maintenance
from storage_backup.control import vanished_check
from storage_backup.services import bus, jobs, vanished
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import Conflict

from tests.functional.control.test_catalog_rebuild import write_points
from tests.functional.control.test_metrics import samples_of
from tests.support.control_fixtures import run_jobs

pytestmark = pytest.mark.catalog


@pytest.fixture
def made(monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "vanished_check_seconds", 3600.0)
    ids: list[str] = []
    yield ids
    Job.objects.filter(destination_id__in=ids).delete()
    RestorePoint.objects.filter(destination_id__in=ids).delete()
    Destination.objects.filter(id__in=ids).delete()


def _repository(tmp_path, made: list, count: int, name: str = "repo") -> tuple[Destination, list[str], object]:
    root = tmp_path / name
    root.mkdir()
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    instance = str(uuid.uuid4())
    ids = write_points(str(root), "proj-wormwatch", instance, count, lock_until=until)
    destination = Destination.objects.create(name=f"wormwatch-{uuid.uuid4().hex[:6]}", path=str(root))
    made.append(destination.id)
    for point_id in ids:
        RestorePoint.objects.create(id=point_id, project_id="proj-wormwatch", instance_id=instance,
                                    destination=destination, created_at=dt.datetime.now(dt.UTC), strategy="full",
                                    retention_lock_until=until)
    return destination, ids, root


def _scheduled(destination: Destination) -> list[Job]:
    return [job for job in vanished_check.schedule() if job.destination_id == destination.id]


def _scrape(control_plane) -> dict:
    response = requests.get(control_plane.url + "/metrics", headers={"X-Auth-Token": control_plane.token("admin")},
                            timeout=30)
    assert response.status_code == 200, response.text
    return samples_of(response.text)


def test_the_scheduled_check_reports_a_vanished_locked_restore_point(control_plane, data_worker, made, tmp_path):
    destination, (gone, kept), root = _repository(tmp_path, made, 2)
    os.unlink(root / "restore-points" / gone)  # what someone with a shell on the storage host can do

    (job,) = _scheduled(destination)
    assert (job.type, job.task_name, job.queue, job.scheduled) == \
        (JobType.VANISHED_CHECK, contract.CHECK_LOCKED, contract.DATA_QUEUE, True)
    assert sorted(job.request["locked_restore_point_ids"]) == sorted([gone, kept])
    assert _scheduled(destination) == [] and destination not in vanished.due()  # one at a time
    with pytest.raises(Conflict):
        jobs.create_vanished_check(SYSTEM, destination)

    (ended,) = run_jobs(job.id)
    assert ended.state == JobState.FAILED
    assert gone in ended.error and kept not in ended.error and "LOCKED" in ended.error and "vanished" in ended.error
    assert ended.result["missing_locked"] == [gone] and ended.result["restore_points"] == 1
    assert RestorePoint.objects.get(pk=gone).missing_since is not None
    assert RestorePoint.objects.get(pk=kept).missing_since is None
    assert AuditEvent.objects.filter(action="restore_point.vanished", target_id=gone,
                                      detail__contains="periodic check").exists()

    # The admin overview (the REST API, another process) and the metrics it serves say so.
    listed = control_plane.client("admin").overview()["attention"]["vanished_restore_points"]
    assert gone in [row["id"] for row in listed] and kept not in [row["id"] for row in listed]
    samples = _scrape(control_plane)
    assert samples["storage_backup_vanished_restore_points"][(("destination", destination.id),)] == 1
    checked = samples["storage_backup_vanished_check_last_success_timestamp_seconds"]
    assert checked[(("destination", destination.id),)] == pytest.approx(ended.finished_at.timestamp())

    # Due again an interval after the last one was made, not before.
    assert destination not in vanished.due()
    assert destination in vanished.due(timezone.now() + dt.timedelta(hours=1, seconds=1))


def test_the_check_lists_names_and_reads_no_data(control_plane, data_worker, made, tmp_path):
    destination, ids, root = _repository(tmp_path, made, 2, "wrecked")
    for directory, _dirs, files in os.walk(root / "data"):  # every pack destroyed: a chunk read would fail
        for name in files:
            open(os.path.join(directory, name), "wb").close()
    (job,) = _scheduled(destination)
    (ended,) = run_jobs(job.id)
    assert ended.state == JobState.SUCCEEDED, ended.error
    assert ended.result["missing_locked"] == [] and ended.result["restore_points"] == 2
    assert not RestorePoint.objects.filter(pk__in=ids, missing_since__isnull=False).exists()


def test_an_unmounted_destination_fails_the_check_and_marks_nothing(control_plane, data_worker, made, tmp_path):
    destination, ids, root = _repository(tmp_path, made, 1, "unmounted")
    (tmp_path / "mount-point").mkdir()  # the share's mount point, with nothing mounted on it: no repository
    for path, says in ((tmp_path / "mount-point", "could not be checked"), (tmp_path / "no-such-dir", "not reachable")):
        Destination.objects.filter(pk=destination.pk).update(path=str(path))
        destination.refresh_from_db()
        (ended,) = run_jobs(jobs.create_vanished_check(SYSTEM, destination).id, timeout=120)
        assert ended.state == JobState.FAILED and says in ended.error, ended.error
        assert not RestorePoint.objects.filter(pk__in=ids, missing_since__isnull=False).exists()


def test_a_lock_that_expired_before_the_result_is_no_alarm(control_plane, data_worker, made, tmp_path):
    destination, (point,), root = _repository(tmp_path, made, 1, "expired")
    (job,) = _scheduled(destination)
    # The lock ended, and retention deleted the restore point as it should, before the check ran.
    RestorePoint.objects.filter(pk=point).update(retention_lock_until=timezone.now() - dt.timedelta(seconds=1))
    os.unlink(root / "restore-points" / point)
    (ended,) = run_jobs(job.id)
    assert ended.state == JobState.SUCCEEDED, ended.error
    assert ended.result["missing_locked"] == [point]  # the worker saw it gone; the catalog knew why
    assert RestorePoint.objects.get(pk=point).missing_since is None


def test_a_vault_is_never_checked_from_the_primary_side(control_plane, made, tmp_path):
    destination, _ids, _root = _repository(tmp_path, made, 1, "vault")
    Destination.objects.filter(pk=destination.pk).update(vault=True)
    destination.refresh_from_db()
    assert _scheduled(destination) == []
    with pytest.raises(Conflict) as refused:
        jobs.create_vanished_check(SYSTEM, destination)
    assert "vault" in refused.value.message


def _lock_location(lock_days: float) -> str:
    return (f"s3://wormwatch-{uuid.uuid4().hex[:8]}/repo?endpoint=http://127.0.0.1:9&region=default&path_style=1"
            f"&lock=COMPLIANCE&lock_days={lock_days:g}")


def test_a_lock_days_under_the_margin_of_the_interval_in_force(control_plane, made, monkeypatch):
    """Made when the interval was shorter (here: written straight into the catalog; the API refuses it now). The
    API process runs with the default interval, 12 h: lock_days must be 1 day or more."""
    short = Destination.objects.create(name=f"short-{uuid.uuid4().hex[:6]}", type="s3", path=_lock_location(0.5),
                                       credentials={"access_key": "a", "secret_key": "b"})
    made.append(short.id)
    alerts = control_plane.client("admin").overview()["attention"]["lock_maintenance"]
    (alert,) = [entry for entry in alerts if entry["destination_id"] == short.id]
    assert alert["problem"] == "margin" and "lock_days=0.5 is shorter than twice" in alert["error"]
    assert "Lower STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL to 6 h or less" in alert["error"]
    samples = _scrape(control_plane)["storage_backup_lock_maintenance_alert"]
    assert samples[(("destination", short.id), ("problem", "margin"))] == 1

    # The control worker's look, with the interval it runs with: said once (log and audit), forgotten when mended.
    bus.redis_client().srem(control_lock_maintenance.SHORT_MARGIN_KEY, short.id)
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 43200.0)
    assert short.id in control_lock_maintenance.check_margins()
    assert short.id in control_lock_maintenance.check_margins()
    records = AuditEvent.objects.filter(action="destination.lock_margin", target_id=short.id)
    assert records.count() == 1 and "STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL" in records.get().detail
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 3600.0)  # lowered: 0.5 days is enough
    assert short.id not in control_lock_maintenance.check_margins()
    assert not bus.redis_client().sismember(control_lock_maintenance.SHORT_MARGIN_KEY, short.id)
