# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""S3 destinations through the REST API (no object store needed: the control plane never opens one).

An admin makes one with ``type: s3``, ``path`` the location URL and ``credentials``; what is wrong is a 400 naming
the field, whose message never repeats a key; the credentials are write-only (no answer, audit event or stored
column in clear holds the secret) and can be rotated by PATCH, audited without the secret; tenants see none of
the forms an S3 location takes in texts (``s3://bucket/prefix``, the endpoint URL and host, "bucket NAME")."""
from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from storage_backup.catalog.models import Destination, Job, JobState, JobType

from storage_backup_dashboard.client import BackupApiError

pytestmark = pytest.mark.catalog

SECRET = "wJalrXUtnFEMI-s3-destination-secret"
ENDPOINT = "http://127.0.0.1:7480"


def _location(bucket: str, query: str = "") -> str:
    return f"s3://{bucket}/tenants/a?endpoint={ENDPOINT}&region=default&path_style=1{query}"


def _credentials(secret: str = SECRET) -> dict:
    return {"access_key": "AKIAPRODUCTTEST", "secret_key": secret}


def _refused(call, field: str) -> BackupApiError:
    with pytest.raises(BackupApiError) as refused:
        call()
    assert refused.value.status == 400, refused.value
    assert (refused.value.field or "").split(".")[0] == field, (refused.value.field, refused.value.message)
    assert SECRET not in refused.value.message and "SK-IN-URL" not in refused.value.message
    return refused.value


@pytest.fixture
def bucket() -> str:
    return f"b-{uuid.uuid4().hex[:10]}"


def test_bad_s3_destinations_are_400_naming_the_field(control_plane, bucket):
    admin = control_plane.client("admin")

    def create(path, credentials=None, **fields):
        return lambda: admin.destination_create(name="s3-bad", type="s3", path=path,
                                                credentials=_credentials() if credentials is None else credentials,
                                                **fields)

    for path in (f"https://{bucket}/x",  # not s3://
                 f"s3://AK:SK-IN-URL@{bucket}/x",  # credentials in the location
                 f"s3://{bucket}/x?secret_key=SK-IN-URL",
                 f"s3://{bucket}/x?endpoint=http://AK:SK-IN-URL@127.0.0.1:7480",  # in the endpoint
                 f"s3://{bucket}/x?endpoint=ftp://127.0.0.1",
                 f"s3://{bucket}/x?endpoint=http://127.0.0.1:notaport",
                 _location(bucket, "&lock=COMPLIANCE"),  # a lock without lock_days
                 _location(bucket, "&lock=FOREVER&lock_days=1"),
                 _location(bucket, "&noncurrent_days=0"),
                 _location(bucket, "&colour=blue")):
        _refused(create(path), "path")
    assert "lock_days" in _refused(create(_location(bucket, "&lock=COMPLIANCE")), "path").message
    too_long = _refused(create(_location(bucket, "&lock=COMPLIANCE&lock_days=400"), max_lock_days=365), "path")
    assert "max_lock_days (365)" in too_long.message
    for credentials in ({}, {"access_key": "AK"}, {"access_key": "AK", "secret_key": SECRET, "region": "x"},
                        {"access_key": " ", "secret_key": SECRET}):
        _refused(create(_location(bucket), credentials), "credentials")
    _refused(create(_location(bucket), hardened=True), "hardened")
    _refused(lambda: admin.destination_create(name="fs", path="/srv/x", credentials=_credentials()), "credentials")
    assert not Destination.objects.filter(name="s3-bad").exists()
    # Nothing refused was recorded with its secret either.
    assert SECRET not in json.dumps(admin.audit_events(all_projects=True, limit=200))


def test_credentials_are_write_only_sealed_at_rest_and_rotated_by_patch(control_plane, bucket):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    created = admin.destination_create(name=f"s3-{bucket}", type="s3",
                                       path=_location(bucket, "&lock=COMPLIANCE&lock_days=1"),
                                       credentials=_credentials())
    assert created["type"] == "s3" and "credentials" not in created
    assert created["path"] == _location(bucket, "&lock=COMPLIANCE&lock_days=1")  # normalised, as given
    stored = Destination.objects.get(id=created["id"])
    assert stored.credentials == _credentials()
    with connection.cursor() as cursor:  # the secret entry is encrypted in the column; the access key is not
        cursor.execute("SELECT credentials FROM catalog_destination WHERE id = %s", [created["id"]])
        (raw,) = cursor.fetchone()
    assert SECRET not in str(raw) and "AKIAPRODUCTTEST" in str(raw)

    answers = [admin.destination_get(created["id"]), admin.destination_list(), admin.destination_usage(),
               member.destination_list(), admin.request("GET", "/v1/destinations", params={"all_projects": 1})]
    assert SECRET not in json.dumps(answers)

    rotated = admin.destination_update(created["id"], credentials=_credentials("rotated-" + SECRET) |
                                       {"access_key": "AKIAROTATED"})
    assert "credentials" not in rotated
    assert Destination.objects.get(id=created["id"]).credentials == {"access_key": "AKIAROTATED",
                                                                     "secret_key": "rotated-" + SECRET}
    events = [event for event in admin.audit_events(all_projects=True, limit=200)
              if event["target_id"] == created["id"] and event["action"] == "destination.update"]
    assert events and "credentials replaced (access key AKIAROTATED)" in events[0]["detail"]
    assert SECRET not in json.dumps(admin.audit_events(all_projects=True, limit=200))

    _refused(lambda: admin.destination_update(created["id"], credentials={"access_key": "AK"}), "credentials")
    _refused(lambda: admin.destination_update(created["id"], credentials={**_credentials(), "x": "y"}),
             "credentials")
    _refused(lambda: admin.destination_update(created["id"], hardened=True), "hardened")
    admin.destination_update(created["id"], max_lock_days=1)  # the location locks each object a day
    with_lock = Destination.objects.get(id=created["id"])
    with_lock.path = _location(bucket, "&lock=COMPLIANCE&lock_days=3")  # as an older, laxer check let in
    with_lock.save()
    assert "lock_days (3)" in _refused(lambda: admin.destination_update(created["id"], max_lock_days=2),
                                       "max_lock_days").message
    _refused(lambda: admin.destination_update(control_plane.destination_id, credentials=_credentials()),
             "credentials")  # a filesystem destination has none
    with pytest.raises(BackupApiError) as forbidden:
        member.destination_update(created["id"], credentials=_credentials())
    assert forbidden.value.status in (403, 404)
    assert Destination.objects.get(id=created["id"]).credentials["access_key"] == "AKIAROTATED"


def test_tenants_see_no_form_of_an_s3_location(control_plane, bucket):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    location = _location(bucket, "&lock=GOVERNANCE&lock_days=2")
    name = f"offsite-{uuid.uuid4().hex[:6]}"
    created = admin.destination_create(name=name, type="s3", path=location, credentials=_credentials())
    assert all("path" not in d for d in member.destination_list())
    # What the S3 code and boto3 print when a job fails (recorded as the worker said it).
    error = (f"destination {created['id']} is not reachable: the bucket {bucket} does not exist "
             f"(s3://{bucket}/tenants/a); Could not connect to the endpoint URL: "
             f"\"{ENDPOINT}/{bucket}/tenants/a/config\"; connect to 127.0.0.1:7480 refused")
    job = Job.objects.create(type=JobType.VERIFY, project_id=control_plane.project_id("demo-member"),
                             destination_id=created["id"], state=JobState.FAILED, error=error,
                             log=[{"step": "failed", "message": error, "level": "error"}],
                             result={"location": location})
    try:
        seen_by_admin = admin.job_get(job.id)
        assert f"s3://{bucket}/tenants/a" in seen_by_admin["error"] and "127.0.0.1:7480" in seen_by_admin["error"]
        seen = member.job_get(job.id)
        assert f"<destination {name}>" in seen["error"]
        text = json.dumps(seen)
        for form in (bucket, "127.0.0.1:7480", ENDPOINT, "s3://", "tenants/a"):
            assert form not in text, (form, text)
    finally:
        job.delete()


def test_tenants_see_no_form_of_a_swift_location_either(control_plane):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    container = f"c-{uuid.uuid4().hex[:8]}"
    auth_url = "http://127.0.0.1:5999/v3"
    name = f"offsite-swift-{uuid.uuid4().hex[:6]}"
    created = admin.destination_create(
        name=name, type="swift", path=f"swift://{container}/tenants?auth_url={auth_url}&region=RegionOne",
        credentials={"application_credential_id": "ac-id", "application_credential_secret": SECRET})
    error = (f"the container {container} does not exist (swift://{container}/tenants); Unable to establish "
             f"connection to {auth_url}/auth/tokens: 127.0.0.1:5999 refused")
    job = Job.objects.create(type=JobType.VERIFY, project_id=control_plane.project_id("demo-member"),
                             destination_id=created["id"], state=JobState.FAILED, error=error)
    try:
        assert container in admin.job_get(job.id)["error"]
        seen = json.dumps(member.job_get(job.id))
        assert f"<destination {name}>" in seen
        for form in (container, "127.0.0.1:5999", auth_url, "swift://"):
            assert form not in seen, (form, seen)
    finally:
        job.delete()
