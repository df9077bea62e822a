# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""S3 destinations through the whole product (``tests.functional.e2e.support.Stack``: the REST API, Redis, the
proxy and data workers as real processes, the embedded cloud) on the tier's radosgw (fixture ``rgw``).

An admin makes two S3 destinations through the API: ``vault`` (COMPLIANCE Object Lock for a day) and ``short``
(COMPLIANCE for ~20 seconds, so that its lock expires within the test). ``web-1`` is backed up to both and restored
byte for byte; while the backups run, no key of the broker holds the secret key. The locked restore point of
``vault`` cannot be deleted through the API (409), nor through S3 with the destination's own credentials (every
version delete refused; plain deletes leave delete markers), and it still restores, the job saying it read hidden
versions. On ``short``, once the lock has expired, deleting the restore point and pruning leave delete markers, and
the lifecycle rule the product set (``rgw_lc_debug_interval``: a day is 10 s) reclaims the noncurrent versions,
while the locked versions the attack hid in ``vault`` stay.
Nothing the API answers, no job record and nothing in the catalog's file holds the secret.

The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import datetime as dt
import glob
import json
import os
import threading
import time
import uuid

import boto3
import pytest
import redis
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.functional.e2e.support import Stack, expect_api_error
from tests.functional.pipeline.support import volume_digest

pytestmark = pytest.mark.timeout(300)
STATE: dict = {}
#: The short destination's Object Lock: long enough for a backup to write under it, short enough to wait out.
SHORT_LOCK_SECONDS = 20
#: Lock maintenance every 8 s, so the 20 s lock passes the margin rule (lock_days ≥ two intervals).
LOCK_MAINTENANCE_SECONDS = 8
LIFECYCLE_TIMEOUT = 90


@pytest.fixture(scope="module")
def stack(rgw, tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("s3-stack")),
                  settings={"STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL": str(LOCK_MAINTENANCE_SECONDS)})
    try:
        yield stack.start()
    finally:
        stack.stop()


def _client(rgw):
    """A raw boto3 client with the destinations' own credentials: what an attacker holding them can do."""
    return boto3.client("s3", endpoint_url=rgw.endpoint, region_name="default",
                        aws_access_key_id=rgw.credentials.access_key,
                        aws_secret_access_key=rgw.credentials.secret_key,
                        config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required"))


def _digests(stack, server_id: str) -> dict:
    return {a.volume_id: volume_digest(stack.guest_device(server_id, a.volume_id))
            for a in stack.service.compute.volume_attachments(server_id)}


def _locked_versions(listing: dict) -> list[str]:
    """The versions of a listing but those of ``locks/`` (restores and verifies take and drop lock objects)."""
    return sorted(version["VersionId"] for version in listing.get("Versions", ())
                  if "/locks/" not in f"/{version['Key']}")


class BrokerScan(threading.Thread):
    """Reads every key and value of the broker's Redis over and over, noting any that holds ``secret``."""

    def __init__(self, url: str, secret: str) -> None:
        super().__init__(daemon=True)
        self.redis = redis.Redis.from_url(url)
        self.secret = secret.encode()
        self.stop = threading.Event()
        self.found: list[str] = []
        self.scans = 0
        self.keys_seen: set[bytes] = set()

    def values(self, key: bytes) -> list[bytes]:
        kind = self.redis.type(key)
        if kind == b"string":
            return [self.redis.get(key) or b""]
        if kind == b"list":
            return self.redis.lrange(key, 0, -1)
        if kind == b"hash":
            return [part for pair in self.redis.hgetall(key).items() for part in pair]
        if kind == b"set":
            return list(self.redis.smembers(key))
        if kind == b"zset":
            return self.redis.zrange(key, 0, -1)
        return []

    def scan_once(self) -> None:
        for key in self.redis.scan_iter(count=1000):
            self.keys_seen.add(key)
            try:
                values = self.values(key)
            except redis.ResponseError:  # the key changed type or went between SCAN and the read
                continue
            if self.secret in key or any(self.secret in (value or b"") for value in values):
                self.found.append(key.decode(errors="replace"))
        self.scans += 1

    def run(self) -> None:
        while not self.stop.is_set():
            self.scan_once()
            time.sleep(0.05)


def test_an_admin_makes_s3_destinations_and_web_1_is_backed_up_to_both(stack, rgw):
    admin = stack.client("admin")
    bucket = f"vault-{uuid.uuid4().hex[:8]}"
    short_bucket = f"short-{uuid.uuid4().hex[:8]}"
    location = f"s3://{bucket}/backups?endpoint={rgw.endpoint}&region=default&path_style=1"
    credentials = {"access_key": rgw.credentials.access_key, "secret_key": rgw.credentials.secret_key}
    vault = admin.destination_create(name="vault", type="s3", path=f"{location}&lock=COMPLIANCE&lock_days=1",
                                     credentials=credentials)
    short = admin.destination_create(
        name="short", type="s3", credentials=credentials,
        path=f"s3://{short_bucket}?endpoint={rgw.endpoint}&region=default&path_style=1&lock=COMPLIANCE"
             f"&lock_days={SHORT_LOCK_SECONDS / 86400:.9f}&noncurrent_days=1")
    assert "credentials" not in vault and vault["type"] == "s3"
    member = stack.client()
    web = stack.server_named("web-1")
    STATE.update(vault=vault, short=short, bucket=bucket, short_bucket=short_bucket, web=web,
                 secret=rgw.credentials.secret_key, digests=_digests(stack, web.id))

    # First to the short-locked destination (its lock runs out while the next tests work), then to the vault.
    short_policy = member.policy_create(name="s3-short", destination_id=short["id"], strategy="incremental",
                                        keep_last=5, retention_lock_days=0)
    member.protect(web.id, short_policy["id"])
    scan = BrokerScan(stack.redis.url, rgw.credentials.secret_key)
    scan.start()
    try:
        STATE["short_job"] = stack.run_backup(web.id)
        member.unprotect(web.id)
        vault_policy = member.policy_create(name="s3-vault", destination_id=vault["id"], strategy="incremental",
                                            keep_last=5, retention_lock_days=1)
        member.protect(web.id, vault_policy["id"])
        job = stack.run_backup(web.id)
    finally:
        scan.stop.set()
        scan.join(timeout=30)
    scan.scan_once()
    assert scan.scans >= 3 and any(b"celery" in key or b"proxy" in key for key in scan.keys_seen), scan.keys_seen
    assert scan.found == [], f"the S3 secret key is in the broker: {scan.found}"

    point = member.restore_point_get(job["restore_point_id"])
    assert point["locked"] is True
    STATE["point"] = point
    raw = _client(rgw)
    keys = [item["Key"] for item in raw.list_objects_v2(Bucket=bucket)["Contents"]]
    assert f"backups/restore-points/{point['id']}" in keys and any(key.startswith("backups/data/") for key in keys)
    retention = raw.get_object_retention(Bucket=bucket, Key=f"backups/restore-points/{point['id']}")["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["RetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    rules = raw.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [rule["NoncurrentVersionExpiration"]["NoncurrentDays"] for rule in rules] == [1]

    restore = stack.run_restore(point["id"], name="web-1-from-s3", availability_zone="az2")
    server_id = restore["result"]["server_id"]
    for original, new in restore["result"]["volume_ids"].items():
        assert volume_digest(stack.guest_device(server_id, new)) == STATE["digests"][original]


def test_a_locked_restore_point_survives_the_api_and_a_mass_delete_with_the_destinations_own_keys(stack, rgw):
    point, bucket = STATE["point"], STATE["bucket"]
    expect_api_error(409, stack.client().restore_point_delete, point["id"])
    expect_api_error(409, stack.client("admin").restore_point_delete, point["id"])

    raw = _client(rgw)
    versions = raw.list_object_versions(Bucket=bucket)["Versions"]
    refused, removed = [], []
    for version in versions:
        try:
            raw.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
            removed.append(version["Key"])
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied", error
            refused.append(version["Key"])
    assert all(key.startswith("backups/locks/") for key in removed), removed  # only the unlocked lock objects
    assert f"backups/restore-points/{point['id']}" in refused and any("/data/" in key for key in refused)
    for item in raw.list_objects_v2(Bucket=bucket).get("Contents", []):
        raw.delete_object(Bucket=bucket, Key=item["Key"])  # a delete marker on top of each
    assert raw.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    # Then garbage over the packs and index objects, as new current versions (Object Lock keeps the old ones).
    overwritten = sorted({key for key in refused if "/data/" in key or "/index/" in key})
    for key in overwritten:
        raw.put_object(Bucket=bucket, Key=key, Body=b"ransom note " * 100)
    assert overwritten and raw.list_objects_v2(Bucket=bucket)["KeyCount"] == len(overwritten)
    after = raw.list_object_versions(Bucket=bucket)
    assert len(after.get("DeleteMarkers", [])) >= len(refused) - 1
    STATE["vault_versions"] = _locked_versions(after)

    verify = stack.wait_job(stack.client().verify(point["id"])["id"])  # on the data worker
    assert verify["state"] == "succeeded", verify
    assert any("hidden behind delete markers" in entry["message"] for entry in verify["log"]), verify["log"]
    restore = stack.run_restore(point["id"], name="web-1-after-the-attack", availability_zone="az2")
    warnings = [entry["message"] for entry in restore["log"] if entry.get("level") == "warning"]
    assert any("hidden behind delete markers" in message and f"{len(overwritten)} were overwritten" in message
               for message in warnings), restore["log"]
    server_id = restore["result"]["server_id"]
    for original, new in restore["result"]["volume_ids"].items():
        assert volume_digest(stack.guest_device(server_id, new)) == STATE["digests"][original]
    assert stack.leftovers() == {}


def test_prune_after_the_lock_leaves_delete_markers_and_the_lifecycle_reclaims_the_space(stack, rgw):
    short, bucket = STATE["short"], STATE["short_bucket"]
    admin, member = stack.client("admin"), stack.client()
    point_id = STATE["short_job"]["restore_point_id"]
    raw = _client(rgw)
    until = raw.get_object_retention(Bucket=bucket, Key=f"restore-points/{point_id}")["Retention"]["RetainUntilDate"]
    time.sleep(max(0.0, (until - dt.datetime.now(dt.UTC)).total_seconds() + 1))

    rebuild = stack.wait_job(admin.destination_rebuild(short["id"], dry_run=True)["id"], user="admin")
    assert rebuild["state"] == "succeeded" and "1 restore point(s) in the repository" in json.dumps(rebuild["log"])
    member.restore_point_delete(point_id)  # no catalog lock, and the S3 lock has expired
    deletion = next(job for job in admin.job_list(all_projects=True, type="delete")
                    if job["restore_point_id"] == point_id)
    assert stack.wait_job(deletion["id"], user="admin")["state"] == "succeeded"
    prune = admin.destination_prune(short["id"])
    prune = stack.wait_job(prune["id"], user="admin")
    assert prune["state"] == "succeeded", prune
    assert any("delete marker" in entry["message"] for entry in prune["log"]), prune["log"]
    listing = raw.list_object_versions(Bucket=bucket)
    assert not [item for item in raw.list_objects_v2(Bucket=bucket).get("Contents", [])
                if item["Key"].startswith(("data/", "restore-points/"))]
    assert any(marker["Key"].startswith("data/") for marker in listing.get("DeleteMarkers", []))

    def noncurrent_data() -> list[str]:
        found = raw.list_object_versions(Bucket=bucket, Prefix="data/")
        return [item["Key"] for item in found.get("Versions", []) if not item["IsLatest"]]

    deadline = time.monotonic() + LIFECYCLE_TIMEOUT
    while noncurrent_data() and time.monotonic() < deadline:
        time.sleep(2)
    assert noncurrent_data() == [], "the lifecycle rule did not reclaim the pruned packs' versions"
    assert not raw.list_object_versions(Bucket=bucket, Prefix="restore-points/").get("Versions")
    # The same rule ran over the vault's bucket meanwhile: the versions the attack hid are locked, and stay.
    vault = raw.list_object_versions(Bucket=STATE["bucket"])
    assert _locked_versions(vault) == STATE["vault_versions"]


def test_no_answer_job_record_or_catalog_file_holds_the_secret(stack):
    admin, member = stack.client("admin"), stack.client()
    secret = STATE["secret"]
    jobs = admin.job_list(all_projects=True)
    answers = [admin.destination_list(), admin.destination_get(STATE["vault"]["id"]), admin.destination_usage(),
               member.destination_list(), jobs, [admin.job_get(job["id"]) for job in jobs],
               admin.audit_events(all_projects=True, limit=500), admin.overview()]
    assert len(jobs) >= 6
    assert secret not in json.dumps(answers)
    # The catalog holds Job.request (the payloads without secrets) and the credentials sealed; its journal too.
    catalogs = glob.glob(os.path.join(stack.control_dir, "data", "**", "*.sqlite3*"), recursive=True)
    assert catalogs
    for path in catalogs:
        with open(path, "rb") as handle:
            assert secret.encode() not in handle.read()


def test_the_lifecycle_rule_is_merged_with_the_operators_never_clobbering_them(rgw):
    destination = rgw.destination(prefix="tenant-a", lock_mode="GOVERNANCE", lock_days=1)
    raw = destination.client
    operator = {"ID": "operator-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                "Expiration": {"Days": 30}}
    raw.put_bucket_lifecycle_configuration(Bucket=destination.bucket, LifecycleConfiguration={"Rules": [operator]})
    assert destination.ensure_lifecycle() is True
    assert destination.ensure_lifecycle() is False  # already there: the configuration is not rewritten
    other = rgw.destination(destination.bucket, prefix="tenant-b", lock_mode="GOVERNANCE", lock_days=1,
                            noncurrent_days=3)  # ensure_bucket on an existing bucket adds its own rule
    rules = {rule["ID"]: rule for rule in raw.get_bucket_lifecycle_configuration(Bucket=destination.bucket)["Rules"]}
    assert set(rules) == {"operator-logs", "storage-backup:tenant-a/", "storage-backup:tenant-b/"}
    assert rules["operator-logs"]["Expiration"] == {"Days": 30}
    assert rules["storage-backup:tenant-a/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules["storage-backup:tenant-a/"]["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert rules["storage-backup:tenant-a/"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["storage-backup:tenant-b/"]["Filter"] == {"Prefix": "tenant-b/"}
    assert rules["storage-backup:tenant-b/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 3}
    assert other.lifecycle_rule_id == "storage-backup:tenant-b/"
