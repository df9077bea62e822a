# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 14: an administrator deletes a destination nothing uses (refused, saying what uses it, otherwise); a new
destination's path must be its own (not another's, not inside another's) and, where the control plane sees the
data workers' filesystem, an existing directory."""
from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, Policy, RestorePoint
from storage_backup.services.destinations import check_location
from storage_backup.services.errors import ValidationFailed

from storage_backup_dashboard.client import BackupApiError

pytestmark = pytest.mark.catalog


def _refusal(call) -> BackupApiError:
    with pytest.raises(BackupApiError) as raised:
        call()
    return raised.value


def test_an_unused_destination_is_deleted_a_used_one_is_refused_saying_why(control_plane, tmp_path):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    project = control_plane.project_id("demo-member")
    made = admin.destination_create(name=f"gone-{uuid.uuid4().hex[:6]}", path=str(tmp_path / "unused"))
    used = admin.destination_create(name=f"used-{uuid.uuid4().hex[:6]}", path=str(tmp_path / "used"))
    destination = Destination.objects.get(pk=used["id"])
    policy = Policy.objects.create(project_id=project, name=f"on-it-{uuid.uuid4().hex[:6]}",
                                   destination=destination, schedule="0 3 * * *", timezone="UTC")
    try:
        # a member may not delete (and learns nothing of what exists)
        assert _refusal(lambda: member.destination_delete(made["id"])).status == 403
        error = _refusal(lambda: admin.destination_delete(used["id"]))
        assert error.status == 409 and f"used by policy {policy.name}" in error.message, error.message
        policy.delete()
        point = RestorePoint.objects.create(id=str(uuid.uuid4()), project_id=project, instance_id=str(uuid.uuid4()),
                                            instance_name="web", destination=destination, created_at=timezone.now(),
                                            strategy="full", volumes=[])
        error = _refusal(lambda: admin.destination_delete(used["id"]))
        assert error.status == 409 and "holds 1 restore point(s)" in error.message, error.message
        point.delete()
        job = Job.objects.create(type="prune", project_id="", destination=destination, state="running")
        error = _refusal(lambda: admin.destination_delete(used["id"]))
        assert error.status == 409 and "queued or running jobs" in error.message, error.message
        job.delete()

        admin.destination_delete(made["id"])
        assert not Destination.objects.filter(pk=made["id"]).exists()
        assert _refusal(lambda: admin.destination_delete(made["id"])).status == 404
        events = [event for event in admin.audit_events(all_projects=True, limit=50)
                  if event.get("action") == "destination.delete" and event.get("target_id") == made["id"]]
        assert events, "the deletion is audited"
    finally:
        Policy.objects.filter(destination=destination).delete()
        RestorePoint.objects.filter(destination=destination).delete()
        Job.objects.filter(destination=destination).delete()
        Destination.objects.filter(pk__in=[made["id"], used["id"]]).delete()


def test_a_path_another_destination_has_or_holds_is_refused(control_plane, tmp_path):
    admin = control_plane.client("admin")
    first = admin.destination_create(name=f"first-{uuid.uuid4().hex[:6]}", path=str(tmp_path / "repo"))
    try:
        for path, words in ((str(tmp_path / "repo") + "/", "already uses"),
                            (str(tmp_path / "repo" / "inner"), "lies inside"),
                            (str(tmp_path), "holds")):
            error = _refusal(lambda path=path: admin.destination_create(name="again", path=path))
            assert (error.status, error.field) == (400, "path"), error
            assert words in error.message and first["name"] in error.message, error.message
        assert _refusal(lambda: admin.destination_create(name="nfs-again", type="nfs",
                                                         path=str(tmp_path / "repo"))).field == "path"
        sibling = admin.destination_create(name=f"sibling-{uuid.uuid4().hex[:6]}", path=str(tmp_path / "repo2"))
        Destination.objects.filter(pk=sibling["id"]).delete()
    finally:
        Destination.objects.filter(pk=first["id"]).delete()


def test_where_the_data_workers_filesystem_is_seen_the_path_must_be_a_directory(monkeypatch, tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("not a repository")
    monkeypatch.setitem(settings.CONTROL, "destination_root", "")
    assert check_location("filesystem", str(tmp_path / "missing"), None)[0] == str(tmp_path / "missing")
    monkeypatch.setitem(settings.CONTROL, "destination_root", "/")
    assert check_location("filesystem", str(tmp_path / "dir") + "/", None)[0] == str(tmp_path / "dir")
    with pytest.raises(ValidationFailed, match="is a file, not a directory") as raised:
        check_location("filesystem", str(tmp_path / "file"), None)
    assert raised.value.field == "path"
    with pytest.raises(ValidationFailed, match="does not exist on the data workers"):
        check_location("nfs", str(tmp_path / "missing"), None)
    # below the data workers' own root, as they see it
    monkeypatch.setitem(settings.CONTROL, "destination_root", str(tmp_path))
    assert check_location("filesystem", "/dir", None)[0] == "/dir"
    with pytest.raises(ValidationFailed, match="does not exist"):
        check_location("filesystem", "/missing", None)
