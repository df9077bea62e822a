# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The air-gapped vault copy, whole product on the tier's radosgw: ``web-1`` backed up to an S3 primary by its
policy, which names an S3 vault with Object Lock; the vault worker (its own config, its own key, the backup_vault
role) pulls the copy; the primary bucket's objects are all deleted (the attacker's move); the tenant restores from
the vault through the REST API, the proxy reading it through the vault worker's pre-signed, expiring grant; the
restored volume is byte for byte what was backed up. Nothing on the primary side ever held a vault key.

And the attacker's other move, deleting the restore point through the API with the tenant's credentials (the
delete job removes it from the primary): the tenant lists the deleted point's vault copy, recovers it into the
catalog as a vault-only restore point, and restores it from the vault (the default for such a point), byte for
byte; a restore from its primary is refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import boto3
import pytest
from botocore.config import Config
from storage_backup import contract
from storage_backup.proxy import worker_key

from storage_backup_dashboard.client import BackupApiError
from tests.functional.e2e.support import Stack
from tests.functional.pipeline.support import volume_digest

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("vault-stack")))
    try:
        yield stack.start()
    finally:
        stack.stop()


def _s3(rgw):
    return boto3.client("s3", endpoint_url=rgw.endpoint, region_name="default",
                        aws_access_key_id=rgw.credentials.access_key,
                        aws_secret_access_key=rgw.credentials.secret_key,
                        config=Config(s3={"addressing_style": "path"}))


def _keys(rgw) -> dict:
    return {"access_key": rgw.credentials.access_key, "secret_key": rgw.credentials.secret_key}


def _vault_worker(config: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "storage_backup.cli", "vault-worker", "--config", config, "--once"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(done.stdout)


def _vaulted(stack, rgw, tmp_path, worker_name: str) -> tuple[dict, dict, str, str, str]:
    """An S3 primary and an S3 vault with Object Lock on the tier's radosgw, and the vault worker's key (enrolled
    for queue "vault") and config: ``(primary, vault, config path, primary bucket, vault bucket)``."""
    admin = stack.client("admin")
    primary_bucket, vault_bucket = f"primary-{uuid.uuid4().hex[:10]}", f"vault-{uuid.uuid4().hex[:10]}"
    primary = admin.destination_create(name="s3-primary", type="s3", path=rgw.settings(primary_bucket).location,
                                       credentials=_keys(rgw))
    vault_location = rgw.settings(vault_bucket, lock_mode="COMPLIANCE", lock_days=1).location
    vault = admin.destination_create(name="s3-vault", type="s3", path=vault_location, vault=True)
    # The vault worker's key, enrolled by an administrator for queue "vault" (the work's secrets are sealed to it).
    key_file = str(tmp_path / "vault.key")
    key, _ = worker_key.create(key_file)
    admin.request("POST", f"/v1/proxies/{worker_name}/keys",
                  json={"queue": contract.VAULT_QUEUE, "public_key": contract.public_key_text(key)})
    config = tmp_path / "vault.conf"
    config.write_text(f"""\
[api]
url = {stack.api.url}
vault_id = {vault["id"]}

[keystone]
auth_type = password
auth_url = {stack.handle.auth_url}
username = backup-vault
password = backup-vault-secret
project_name = service
user_domain_id = default
project_domain_id = default

[worker]
key_file = {key_file}
grant_seconds = 600

[vault]
location = {vault_location}
access_key = {rgw.credentials.access_key}
secret_key = {rgw.credentials.secret_key}

[primary:{primary["id"]}]
access_key = {rgw.credentials.access_key}
secret_key = {rgw.credentials.secret_key}
""")
    return primary, vault, config, primary_bucket, vault_bucket


def _marked_data_volume(stack) -> tuple[object, str, str]:
    """``web-1``, its data volume (with a fresh mark of the guest's own) and the volume's digest."""
    web = stack.server_named("web-1")
    data = next(a.volume_id for a in stack.service.compute.volume_attachments(web.id) if a.device != "/dev/vda")
    with open(stack.guest_device(web.id, data), "r+b") as device:  # the guest's own mark: it must come back
        device.seek(5 * 1024 * 1024)
        device.write(b"vault " + os.urandom(64 * 1024))
    return web, data, volume_digest(stack.guest_device(web.id, data))


def _protect(member, instance_id: str, policy_id: str) -> None:
    try:
        member.unprotect(instance_id)  # protected by another test's policy
    except BackupApiError as error:
        assert error.status == 404, error
    member.protect(instance_id, policy_id)


def test_a_restore_from_the_vault_after_the_primary_is_wiped(stack, rgw, tmp_path):
    admin, member = stack.client("admin"), stack.client("demo-member")
    primary, vault, config, primary_bucket, vault_bucket = _vaulted(stack, rgw, tmp_path, "vault-worker-1")
    web, data, before = _marked_data_volume(stack)
    policy = member.policy_create(name="vaulted", destination_id=primary["id"], vault_destination_id=vault["id"])
    _protect(member, web.id, policy["id"])
    point_id = stack.run_backup(web.id)["restore_point_id"]
    assert [copy["state"] for copy in member.restore_point_get(point_id)["copies"]] == ["stored", "queued"]

    copied = _vault_worker(config)
    assert [entry["restore_point_id"] for entry in copied["copied"]] == [point_id], copied
    assert copied["copied"][0]["chunks_copied"] > 0
    copies = member.restore_point_get(point_id)["copies"]
    assert [(copy["kind"], copy["state"]) for copy in copies] == [("primary", "stored"), ("vault", "copied")]
    assert _vault_worker(config)["copied"] == []  # made once

    # The attacker wipes the primary (every object, every version) with the primary's own keys.
    s3 = _s3(rgw)
    versions = s3.list_object_versions(Bucket=primary_bucket)
    doomed = [{"Key": item["Key"], "VersionId": item["VersionId"]}
              for item in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    while doomed:
        s3.delete_objects(Bucket=primary_bucket, Delete={"Objects": doomed[:1000], "Quiet": True})
        doomed = doomed[1000:]
    assert s3.list_objects_v2(Bucket=primary_bucket).get("KeyCount", 0) == 0
    # The vault's objects are beyond those keys' reach: Object Lock keeps every version.
    locked = s3.list_objects_v2(Bucket=vault_bucket)["Contents"][0]["Key"]
    assert s3.get_object_retention(Bucket=vault_bucket, Key=locked)["Retention"]["Mode"] == "COMPLIANCE"

    job = member.restore(point_id, source="vault", volume_id=data, name="data-from-vault", availability_zone="nova")
    waiting = stack.wait_job(job["id"], states=("queued",), timeout=10)
    granted = _vault_worker(config)
    assert granted["granted"] == [job["id"]], granted
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}\n{waiting}"
    restored = job["result"]["volume_id"]
    assert volume_digest(stack.volume_file(restored)) == before

    # Nothing on the primary side holds a vault credential: the catalog has none, the job's request names none.
    assert "credentials" not in json.dumps(admin.destination_get(vault["id"]))
    assert rgw.credentials.secret_key not in json.dumps(job)


def test_a_restore_point_deleted_through_the_api_is_recovered_and_restored_from_the_vault(stack, rgw, tmp_path):
    member = stack.client("demo-member")
    primary, vault, config, _, _ = _vaulted(stack, rgw, tmp_path, "vault-worker-2")
    web, data, before = _marked_data_volume(stack)
    policy = member.policy_create(name="vaulted-again", destination_id=primary["id"],
                                  vault_destination_id=vault["id"])
    _protect(member, web.id, policy["id"])
    point_id = stack.run_backup(web.id)["restore_point_id"]
    assert [entry["restore_point_id"] for entry in _vault_worker(config)["copied"]] == [point_id]

    # The attacker, holding the tenant's credentials, deletes the restore point: gone from the catalog, and the
    # delete job removes it from the primary's repository.
    member.restore_point_delete(point_id)
    deleted = [job for job in member.job_list(instance_id=web.id) if job["type"] == "delete"
               and job["restore_point_id"] == point_id]
    assert len(deleted) == 1 and stack.wait_job(deleted[0]["id"])["state"] == "succeeded", deleted
    orphaned = member.request("GET", "/v1/vault-copies", params={"instance_id": web.id, "in_catalog": "false"})
    copy = next(item for item in orphaned["results"] if item["restore_point_id"] == point_id)
    assert copy["state"] == "copied" and copy["recoverable"] is True, copy
    assert stack.client("alt-member").request("GET", "/v1/vault-copies", params={"instance_id": web.id})[
        "results"] == []

    recovered = member.request("POST", f"/v1/vault-copies/{copy['id']}/recover")
    assert recovered["id"] == point_id and recovered["vault_only"] is True
    assert [(c["kind"], c["state"]) for c in member.restore_point_get(point_id)["copies"]] == [
        ("primary", "deleted"), ("vault", "copied")]
    refused = pytest.raises(BackupApiError, member.restore, point_id, volume_id=data, source="primary").value
    assert refused.status == 409 and "vault only" in refused.message

    job = member.restore(point_id, volume_id=data, name="data-recovered", availability_zone="nova")  # no source
    waiting = stack.wait_job(job["id"], states=("queued",), timeout=10)
    granted = _vault_worker(config)
    assert granted["granted"] == [job["id"]], granted
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}\n{waiting}"
    assert volume_digest(stack.volume_file(job["result"]["volume_id"])) == before
