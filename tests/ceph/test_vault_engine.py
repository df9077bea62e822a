# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 13, the air-gapped vault copy on a real RGW: a vault worker reading the primary bucket with a read-only
user (a bucket policy granting it s3:GetObject and s3:ListBucket only) copies restore points into a vault bucket
under COMPLIANCE Object Lock; with the primary bucket deleted, a proxy restores byte for byte through a grant of
pre-signed URLs, which reaches only the restore points it names and stops working when it expires.

RGW is the tier's one radosgw (session fixture ``rgw``, tests/ceph/object_storage.py).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from storage_backup.repository import (
    GrantExpired,
    ObjectNotFound,
    PresignedDestination,
    Repository,
    S3Credentials,
    S3Destination,
    copy_restore_point,
    grant_for_restore,
    open_destination,
    open_vault,
)

from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image

PASSWORD = "vault-engine-test"


def _read_only_user(rgw, bucket: str) -> S3Credentials:
    """A second RGW user that may only read ``bucket`` (its owner's bucket policy says so)."""
    uid = f"vault-reader-{uuid.uuid4().hex[:8]}"
    created = json.loads(rgw.admin("user", "create", f"--uid={uid}", "--display-name=vault reader").stdout)
    key = created["keys"][0]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam:::user/{uid}"]},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    rgw.destination(bucket).client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return S3Credentials(key["access_key"], key["secret_key"])


@pytest.fixture(scope="module")
def vault_copy(rgw, tmp_path_factory):
    """Two restore points (the second incremental, the first locked beyond the vault's own retention) backed up to a
    plain primary bucket, copied by a read-only reader of it into a COMPLIANCE vault."""
    tmp = tmp_path_factory.mktemp("vault")
    primary_destination = rgw.destination(prefix="primary")
    primary = Repository.init(primary_destination, PASSWORD, block_size=BLOCK, pack_size=1 * MiB)
    image = tmp / "disk.img"
    write_image(image, 6 * MiB)
    first_data = read(image)
    lock_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)  # past the vault's lock_days=1
    with primary.start_restore_point({"name": "first"}, lock_until=lock_until) as writer:
        writer.backup_volume("disk", str(image))
        first = writer.commit()
    overwrite(image, 9 * BLOCK, os.urandom(2 * BLOCK))
    second, _entry = backup(primary, image, previous=first)
    second_data = read(image)

    reader = _read_only_user(rgw, primary_destination.bucket)
    source = Repository.open(S3Destination(rgw.settings(primary_destination.bucket, prefix="primary"), reader),
                             PASSWORD)
    vault_destination = rgw.destination(prefix="vault", lock_mode="COMPLIANCE", lock_days=1)
    vault = open_vault(vault_destination, source)
    reports = [copy_restore_point(source, vault, point) for point in (first, second)]
    return {"primary": primary_destination, "source": source, "vault": vault, "reports": reports,
            "first": (first, first_data, lock_until), "second": (second, second_data), "tmp": tmp}


def test_a_read_only_reader_copies_into_a_compliance_vault(vault_copy):
    source, vault = vault_copy["source"], vault_copy["vault"]
    first, _data, lock_until = vault_copy["first"]
    second, _second_data = vault_copy["second"]
    with pytest.raises(ClientError, match="AccessDenied"):
        source.destination.put("locks/probe", b"x")  # the reader really is read-only
    full, incremental = vault_copy["reports"]
    assert full.chunks_copied == full.chunks_total > 0 and full.objects_written >= 3
    assert 0 < incremental.chunks_copied <= 8 and incremental.chunks_present > 0
    assert incremental.bytes_copied < full.bytes_copied / 5
    again = copy_restore_point(source, vault, second)
    assert (again.chunks_copied, again.objects_written) == (0, 0)
    assert vault.restore_point_ids() == sorted([first, second])
    # Every object under COMPLIANCE retention; the locked restore point's until its lock date, not only lock_days.
    destination = vault.destination
    assert destination.retention(f"restore-points/{second}").mode == "COMPLIANCE"
    assert destination.retention(f"restore-points/{first}").until >= lock_until.replace(microsecond=0)
    assert vault.get_restore_point(first).lock_until == source.get_restore_point(first).lock_until
    with pytest.raises(ClientError, match="AccessDenied"):
        versions = list(destination.versions(f"restore-points/{first}"))
        destination.client.delete_object(Bucket=destination.bucket, Key=destination.prefix + versions[0].name,
                                         VersionId=versions[0].version_id)


def test_with_the_primary_gone_a_grant_restores_only_its_restore_point(vault_copy):
    primary, vault, tmp = vault_copy["primary"], vault_copy["vault"], vault_copy["tmp"]
    first, _first_data, _lock = vault_copy["first"]
    second, second_data = vault_copy["second"]
    keys = [item["Key"] for page in primary.client.get_paginator("list_objects_v2").paginate(Bucket=primary.bucket)
            for item in page.get("Contents", ())]
    for start in range(0, len(keys), 1000):
        primary.client.delete_objects(Bucket=primary.bucket,
                                      Delete={"Objects": [{"Key": key} for key in keys[start:start + 1000]]})
    primary.client.delete_bucket(Bucket=primary.bucket)
    assert not primary.container_exists()

    grant = json.loads(json.dumps(grant_for_restore(vault, [second], 60)))  # what travels to the proxy
    assert all(url.startswith(vault.destination.settings.endpoint_url + "/") for url in grant["objects"].values())
    assert f"restore-points/{first}" not in grant["objects"]
    restored = Repository.open(open_destination(grant), PASSWORD)
    assert restored.restore_point_ids() == [second]
    restored.restore_volume(second, "disk", str(tmp / "restored.img"))
    assert read(tmp / "restored.img") == second_data
    with pytest.raises(ObjectNotFound):
        restored.destination.get(f"restore-points/{first}")
    # A URL of this grant does not reach the other document either: a signature covers one key.
    url = grant["objects"][f"restore-points/{second}"].replace(second, first)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403


def test_an_expired_grant_is_refused(vault_copy):
    vault = vault_copy["vault"]
    first, _data, _lock = vault_copy["first"]
    grant = grant_for_restore(vault, [first], 2)
    time.sleep(3)
    with pytest.raises(GrantExpired, match="expired"):
        Repository.open(PresignedDestination(grant), PASSWORD)
    # The vault itself refuses the URL too (RGW: a bare AccessDenied), which the destination reports the same way.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(grant["objects"]["config"], timeout=10)
    assert refused.value.code == 403
    lenient = PresignedDestination(grant)
    lenient.expired = lambda: False  # a proxy whose clock lags the vault's
    with pytest.raises(GrantExpired, match="HTTP 403 AccessDenied"):
        lenient.get("config")
