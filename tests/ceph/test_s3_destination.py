# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The S3 destination on a real Ceph RGW 16.2: the ``Destination`` contract, the repository engine end to end, and
Object Lock (COMPLIANCE refuses version deletes and shortening; a plain delete only hides a version; retention is
extended; multipart objects get retention; a repository restores from the versions after a hostile mass delete).

RGW is the tier's one radosgw (session fixture ``rgw``, tests/ceph/object_storage.py).
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from storage_backup.repository import (
    CorruptObject,
    InvalidRequest,
    ObjectNotFound,
    Repository,
    S3Credentials,
    S3Destination,
    S3Settings,
    S3VersionsView,
    open_destination,
)

from tests.ceph.object_storage import OBJECT_THRESHOLD
from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image

THRESHOLD = OBJECT_THRESHOLD
PASSWORD = "s3-destination-test"


def test_a_location_names_no_credentials_and_round_trips():
    settings = S3Settings.from_location("s3://backups/tenant-a/?endpoint=http://127.0.0.1:7480&region=default"
                                        "&path_style=1&lock=compliance&lock_days=30&multipart_threshold=8388608")
    assert (settings.bucket, settings.prefix, settings.lock_mode, settings.lock_days) == \
        ("backups", "tenant-a/", "COMPLIANCE", 30.0)
    assert settings.path_style and settings.multipart_threshold == 8 * MiB
    assert S3Settings.from_location(settings.location) == settings
    for bad in ("s3://AK:SK@backups/x", "s3://backups/x?secret_key=SK", "s3://backups/x?lock=COMPLIANCE",
                "s3://backups/x?lock=FOREVER&lock_days=1", "s3://backups/x?part_size=1024"):
        with pytest.raises(InvalidRequest):
            S3Settings.from_location(bad)
    assert "SK" not in repr(S3Credentials("AK", "SK", "TOKEN")) and "TOKEN" not in repr(S3Credentials("AK", "SK"))
    # No credentials at all: refused, not a hunt through boto3's chain (instance metadata, ~/.aws).
    assert S3Credentials.from_environment({}) is None
    assert S3Credentials.from_environment({"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}).access_key == "AK"


def _code(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


# --- the Destination contract ---------------------------------------------------------------------------------

def test_the_destination_contract_on_a_plain_bucket(rgw):
    destination = rgw.destination(prefix="repo/one")
    destination.put("config", b"{}", exclusive=True)
    with pytest.raises(FileExistsError):
        destination.put("config", b"{other}", exclusive=True)  # If-None-Match: * (honoured in unversioned buckets)
    assert destination.get("config") == b"{}"
    destination.put("index/a", b"0123456789")
    destination.put("index/a", b"abcdefghij")  # replaced
    assert destination.get_range("index/a", 2, 3) == b"cde"
    with pytest.raises(CorruptObject):
        destination.get_range("index/a", 8, 5)
    with pytest.raises(CorruptObject):
        destination.get_range("index/a", 20, 5)
    with pytest.raises(ObjectNotFound):
        destination.get("index/missing")
    with pytest.raises(ObjectNotFound):
        destination.get_range("index/missing", 0, 1)
    assert destination.exists("index/a") and not destination.exists("index/missing")
    assert destination.size("index/a") == 10

    # A pack filled by several threads at once, large enough for a multipart upload (3 parts).
    size = 12 * MiB + 123
    writer = destination.open_writer("data/ab/abcd", capacity=size)
    pieces = [(offset, os.urandom(min(MiB, size - offset))) for offset in range(0, size, MiB)]
    threads = [threading.Thread(target=lambda part=part: writer.write_at(part[0], part[1][:100], part[1][100:]))
               for part in pieces]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not destination.exists("data/ab/abcd")  # nothing visible before commit
    writer.commit()
    assert destination.get("data/ab/abcd") == b"".join(piece for _offset, piece in pieces)

    aborted = destination.open_writer("data/ab/aborted")
    aborted.write(b"x" * 100)
    aborted.abort()
    listed = {info.name: info.size for info in destination.list()}
    assert listed == {"config": 2, "index/a": 10, "data/ab/abcd": size}
    assert [info.name for info in destination.list("data/")] == ["data/ab/abcd"]
    destination.delete("index/a")
    destination.delete("index/a")  # a missing object is not an error
    assert not destination.exists("index/a")

    # A multipart upload that never completed is invisible, and cleanup_incomplete aborts it.
    destination.client.create_multipart_upload(Bucket=destination.bucket, Key="repo/one/data/cd/dangling")
    assert not destination.exists("data/cd/dangling")
    assert destination.cleanup_incomplete(older_than=3600) == 0
    assert destination.cleanup_incomplete(older_than=0) == 1
    assert destination.client.list_multipart_uploads(Bucket=destination.bucket).get("Uploads", []) == []


def test_open_destination_takes_a_location_without_credentials(rgw):
    bucket = f"t-{uuid.uuid4().hex[:12]}"
    location = f"s3://{bucket}/some/prefix?endpoint={rgw.endpoint}&region=default&path_style=1"
    destination = open_destination(location, credentials={"access_key": rgw.credentials.access_key,
                                                          "secret_key": rgw.credentials.secret_key})
    assert isinstance(destination, S3Destination) and destination.prefix == "some/prefix/"
    assert destination.ensure_bucket() is True
    destination.put("config", b"c")
    assert destination.client.get_object(Bucket=bucket, Key="some/prefix/config")["Body"].read() == b"c"
    assert rgw.credentials.secret_key not in repr(destination) + destination.location
    with pytest.raises(InvalidRequest):
        open_destination(f"s3://{rgw.credentials.access_key}:{rgw.credentials.secret_key}@{bucket}/p")
    with pytest.raises(InvalidRequest):
        open_destination(f"s3://{bucket}/p?secret_key=x")
    config = {"type": "s3", "bucket": bucket, "prefix": "some/prefix", "endpoint": rgw.endpoint,
              "region": "default", "path_style": True}
    assert open_destination(config, credentials=rgw.credentials).get("config") == b"c"


def test_exclusive_create_in_a_versioned_bucket(rgw, monkeypatch):
    # RGW 16.2 ignores If-None-Match in versioned buckets (which Object Lock needs): the destination checks the
    # key's versions after the PUT instead.
    destination = rgw.destination(lock_mode="GOVERNANCE", lock_days=1)
    raw = destination.client
    raw.put_object(Bucket=destination.bucket, Key="probe", Body=b"1", IfNoneMatch="*")
    raw.put_object(Bucket=destination.bucket, Key="probe", Body=b"2", IfNoneMatch="*")  # accepted: the quirk
    assert len(raw.list_object_versions(Bucket=destination.bucket, Prefix="probe")["Versions"]) == 2

    destination.put("keys/k1", b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        destination.put("keys/k1", b"second", exclusive=True)
    # A racer that wrote between our existence check and our PUT: the older version wins, ours is removed.
    monkeypatch.setattr(destination, "_head", lambda name, version_id=None: None)
    with pytest.raises(FileExistsError):
        destination.put("keys/k1", b"late", exclusive=True)
    monkeypatch.undo()
    assert destination.get("keys/k1") == b"first"
    versions = list(destination.versions("keys/k1"))
    assert len(versions) == 1 and destination.retention("keys/k1").mode == "GOVERNANCE"
    # Behind a delete marker the name is free again; the older, hidden version does not win.
    destination.delete("keys/k1")
    destination.put("keys/k1", b"again", exclusive=True)
    assert destination.get("keys/k1") == b"again"
    with pytest.raises(FileExistsError):
        destination.put("keys/k1", b"third", exclusive=True)


def test_a_lock_mode_needs_a_bucket_with_object_lock(rgw):
    plain = rgw.destination()
    locked = S3Destination(rgw.settings(plain.bucket, lock_mode="COMPLIANCE", lock_days=1), rgw.credentials)
    with pytest.raises(InvalidRequest, match="Object Lock"):
        locked.put("index/x", b"x")
    locked.put("locks/x", b"x")  # mutable objects need no lock


# --- Object Lock ------------------------------------------------------------------------------------------------

def test_compliance_refuses_version_deletes_and_a_delete_only_hides(rgw):
    destination = rgw.destination(lock_mode="COMPLIANCE", lock_days=1)
    raw, bucket = destination.client, destination.bucket
    destination.put("data/ab/pack", b"precious")
    destination.put("locks/l", b"lock")
    retention = destination.retention("data/ab/pack")
    assert retention.mode == "COMPLIANCE"
    assert retention.until > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    assert destination.retention("locks/l") is None
    version_id = raw.head_object(Bucket=bucket, Key="data/ab/pack")["VersionId"]

    for attempt in ({"VersionId": version_id}, {"VersionId": version_id, "BypassGovernanceRetention": True}):
        with pytest.raises(ClientError) as refused:
            raw.delete_object(Bucket=bucket, Key="data/ab/pack", **attempt)
        assert _code(refused.value) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as refused:  # shortening
        raw.put_object_retention(Bucket=bucket, Key="data/ab/pack", VersionId=version_id,
                                 Retention={"Mode": "COMPLIANCE",
                                            "RetainUntilDate": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)})
    assert _code(refused.value) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as refused:  # weakening to GOVERNANCE
        raw.put_object_retention(Bucket=bucket, Key="data/ab/pack", VersionId=version_id,
                                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": retention.until})
    assert _code(refused.value)[1] == 403

    # An overwrite is a new version: the locked one is untouched.
    raw.put_object(Bucket=bucket, Key="data/ab/pack", Body=b"garbage")
    assert destination.get_version("data/ab/pack", version_id) == b"precious"

    destination.delete("data/ab/pack")  # only a delete marker
    with pytest.raises(ObjectNotFound):
        destination.get("data/ab/pack")
    with pytest.raises(ObjectNotFound):
        destination.get_range("data/ab/pack", 0, 3)
    assert not destination.exists("data/ab/pack")
    assert [info.name for info in destination.list()] == ["locks/l"]
    versions = list(destination.versions("data/"))
    assert sum(version.delete_marker for version in versions) == 1
    assert {version.version_id for version in versions if not version.delete_marker} >= {version_id}
    assert destination.get_version("data/ab/pack", version_id) == b"precious"
    assert destination.get_version_range("data/ab/pack", version_id, 2, 3) == b"eci"


def test_governance_yields_to_the_bypass_header(rgw):
    destination = rgw.destination(lock_mode="GOVERNANCE", lock_days=1)
    raw, bucket = destination.client, destination.bucket
    destination.put("index/i", b"i")
    version_id = raw.head_object(Bucket=bucket, Key="index/i")["VersionId"]
    with pytest.raises(ClientError) as refused:
        raw.delete_object(Bucket=bucket, Key="index/i", VersionId=version_id)
    assert _code(refused.value) == ("AccessDenied", 403)
    raw.delete_object(Bucket=bucket, Key="index/i", VersionId=version_id, BypassGovernanceRetention=True)
    assert list(destination.versions("index/")) == []


def test_retention_extension_and_multipart_objects(rgw):
    destination = rgw.destination(lock_mode="COMPLIANCE", lock_days=1)
    destination.put("index/small", b"s")
    big = os.urandom(THRESHOLD + 1000)  # two parts: RGW ignores lock headers on CreateMultipartUpload
    writer = destination.open_writer("data/bb/big")
    writer.write(big[:MiB])
    writer.write(big[MiB:])
    writer.commit()
    assert destination.get("data/bb/big") == big
    first = destination.retention("data/bb/big")
    assert first is not None and first.mode == "COMPLIANCE"
    multipart_etag = destination.client.head_object(Bucket=destination.bucket, Key="data/bb/big")["ETag"]
    assert multipart_etag.strip('"').endswith("-2")  # it did go up in two parts

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert destination.extend_retention(["index/small", "data/bb/big"], later) == 2
    for name in ("index/small", "data/bb/big"):
        assert abs((destination.retention(name).until - later).total_seconds()) < 1
    assert destination.extend_retention(["index/small"], later - dt.timedelta(days=1)) == 0  # never shortens
    assert destination.retention("index/small").until >= later - dt.timedelta(seconds=1)
    with pytest.raises(ObjectNotFound):
        destination.extend_retention(["index/gone"], later)


# --- the repository engine on S3 -------------------------------------------------------------------------------

def test_repository_end_to_end_under_compliance_lock_and_recovery_after_a_mass_delete(rgw, tmp_path):
    destination = rgw.destination(prefix="tenant-a", lock_mode="COMPLIANCE", lock_days=1)
    started = time.monotonic()
    repo = Repository.init(destination, PASSWORD, block_size=BLOCK, pack_size=6 * MiB)
    image = tmp_path / "disk.img"
    write_image(image, 16 * MiB, pattern="rrzt")
    first, entry = backup(repo, image)
    assert entry.stats["bytes_new"] > 8 * MiB
    restored = tmp_path / "restored.img"
    repo.restore_volume(first, "disk", str(restored))
    assert read(restored) == read(image)
    assert repo.verify_volume(first, "disk")["bytes"] > 0
    assert repo.check(read_data=True).ok

    # Every immutable object is under COMPLIANCE retention, the multipart packs included; the lock objects are not.
    names = [info.name for info in destination.list()]
    assert not any(name.startswith("locks/") for name in names)
    packs = list(destination.list("data/"))
    assert any(info.size >= THRESHOLD for info in packs)
    for name in names:
        assert destination.immutable(name), name
        assert destination.retention(name).mode == "COMPLIANCE", name

    # An incremental backup, the first restore point deleted, prune: deletes only leave markers.
    overwrite(image, 3 * MiB, os.urandom(2 * MiB))
    second, entry = backup(repo, image, previous=first)
    repo.delete_restore_point(first)
    report = repo.prune(repack_threshold=0.01)
    assert report.restore_points == 1 and report.packs_deleted + report.packs_repacked > 0, report
    repo = Repository.open(destination, PASSWORD)
    assert repo.restore_point_ids() == [second]
    repo.restore_volume(second, "disk", str(restored))
    assert read(restored) == read(image)
    markers = {version.name.split("/")[0] for version in destination.versions() if version.delete_marker}
    assert {"restore-points", "data", "index"} <= markers, markers
    attack_time = dt.datetime.now(dt.UTC)
    time.sleep(1.1)  # versions of the attack are written strictly later (RGW keeps milliseconds)

    # A hostile mass delete and overwrite with the destination's own credentials: every version delete is
    # refused, plain deletes only hide, overwrites only add versions.
    raw, bucket = destination.client, destination.bucket
    refused = 0
    for version in list(destination.versions()):
        if version.delete_marker:
            continue
        try:
            raw.delete_object(Bucket=bucket, Key=destination.prefix + version.name, VersionId=version.version_id,
                              BypassGovernanceRetention=True)
        except ClientError as error:
            assert _code(error) == ("AccessDenied", 403)
            refused += 1
    assert refused >= len(names)
    some_pack = next(info.name for info in destination.list("data/"))
    raw.put_object(Bucket=bucket, Key=destination.prefix + some_pack, Body=b"ransom")
    for info in list(destination.list()):
        destination.delete(info.name)
    assert list(destination.list()) == []

    # Everything that was locked restores from the versions as they were before the attack.
    view = S3VersionsView(destination, as_of=attack_time)
    recovered = Repository.open(view, PASSWORD)
    assert set(recovered.restore_point_ids()) == {first, second}  # the pruned one too: its document is locked
    for restore_point_id in (first, second):
        target = tmp_path / f"recovered-{restore_point_id}.img"
        recovered.restore_volume(restore_point_id, "disk", str(target))
        assert len(read(target)) == 16 * MiB
    assert read(tmp_path / f"recovered-{second}.img") == read(image)
    assert recovered.check(read_data=True).ok
    with pytest.raises(PermissionError):
        view.put("index/new", b"x")
    print(f"repository on S3 under COMPLIANCE: {time.monotonic() - started:.1f} s")
