# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The names a restore gives its new volumes (``volume_names`` for a whole instance, ``volume_name`` for one
volume): refused with a 400 naming the field when they cannot be (a volume the restore point does not hold, too long,
empty, a control character), stripped, and handed to the proxy in the job's request. Over HTTP with real Keystone
tokens against the real API process; the restore itself is proven in tests/functional/e2e/test_backup_restore.py."""
from __future__ import annotations

import uuid

import pytest
from storage_backup.catalog.models import Job, RestorePoint

from storage_backup_dashboard.client import BackupApiError
from tests.functional.rest.test_restore_refusals import cloud, make_point, refused  # noqa: F401 (cloud: fixture)

pytestmark = pytest.mark.catalog


def queued_request(member, point_id: str, **options) -> dict:
    job = member.restore(point_id, **options)
    assert job["state"] == "queued"
    member.job_cancel(job["id"])
    return Job.objects.get(pk=job["id"]).request


@pytest.fixture
def point(control_plane, cloud):  # noqa: F811
    point_id = make_point(control_plane, cloud, boot_source="image")
    return point_id, RestorePoint.objects.get(pk=point_id).volumes[0]["volume_id"]


def test_named_volumes_reach_the_proxy_request_stripped(control_plane, point):
    member = control_plane.client("demo-member")
    point_id, volume = point
    request = queued_request(member, point_id, volume_names={volume: "  db-data \u00e9t\u00e9  "})
    assert request["volume_names"] == {volume: "db-data \u00e9t\u00e9"}
    assert "volume_names" not in queued_request(member, point_id)  # none named: every volume keeps the default
    request = queued_request(member, point_id, volume_id=volume, volume_name=" one-volume ")
    assert request["name"] == "one-volume"
    # the older spelling of a single volume's name still works, and agrees with the new one
    assert queued_request(member, point_id, volume_id=volume, name="old-style")["name"] == "old-style"
    assert queued_request(member, point_id, volume_id=volume, name="same", volume_name="same")["name"] == "same"
    assert queued_request(member, point_id, volume_id=volume, volume_name="x" * 255)["name"] == "x" * 255


def test_a_name_for_a_volume_the_restore_point_does_not_hold_is_refused(control_plane, point):
    member = control_plane.client("demo-member")
    point_id, volume = point
    stranger = str(uuid.uuid4())
    field, message = refused(member, point_id, volume_names={volume: "ok", stranger: "nope"})
    assert field == "volume_names" and stranger in message and volume in message
    # an image-booted server's root disk comes back as an image, not a volume: it cannot be named
    field, message = refused(member, point_id, volume_names={"root-disk": "root"})
    assert field == "volume_names" and "root-disk" in message


@pytest.mark.parametrize("name, says", [
    ("x" * 256, "256 characters"), ("   ", "empty"), ("", "empty"), ("web\n1", "U+000A"), ("a\x1b[31mred", "U+001B"),
    ("tab\there", "U+0009"), ("del\x7f", "U+007F")])
def test_bad_names_are_refused_naming_the_field(control_plane, point, name, says):
    member = control_plane.client("demo-member")
    point_id, volume = point
    field, message = refused(member, point_id, volume_names={volume: name})
    assert field == "volume_names" and says in message, message
    field, message = refused(member, point_id, volume_id=volume, volume_name=name)
    assert field == "volume_name" and says in message, message


def test_each_name_goes_with_its_kind_of_restore(control_plane, point):
    member = control_plane.client("demo-member")
    point_id, volume = point
    field, message = refused(member, point_id, volume_id=volume, volume_names={volume: "a"})
    assert field == "volume_names" and "volume_name" in message
    field, message = refused(member, point_id, volume_name="a")
    assert field == "volume_name" and "volume_names" in message
    field, _ = refused(member, point_id, volume_id=volume, name="one", volume_name="other")
    assert field == "volume_name"
    assert refused(member, point_id, volume_names=["not", "an", "object"])[0] == "volume_names"


def test_another_project_cannot_learn_the_volumes_by_naming_them(control_plane, point):
    point_id, volume = point
    with pytest.raises(BackupApiError) as raised:
        control_plane.client("alt-member").restore(point_id, volume_names={volume: "mine"})
    assert raised.value.status == 404
