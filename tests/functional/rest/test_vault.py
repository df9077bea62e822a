# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The air-gapped vault copy through the real REST API, Keystone tokens and the real vault worker process
(``storage-backup vault-worker --once``) on filesystem repositories: a policy names a vault, the vault worker (role
``backup_vault``, nothing else) lists the work, copies, reports; the restore point API shows both copies to its own
project only; a second round copies nothing, and nothing is copied outside the window; a deletion never reaches the
vault; a restore from the vault waits for the vault worker's grant and goes to the proxy as a presigned destination.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.db import connection
from django.utils import timezone
from storage_backup import contract
from storage_backup.catalog.models import Destination, Job, Policy, RestorePoint, RestorePointCopy, VaultGrant
from storage_backup.proxy import worker_key
from storage_backup.services import dispatch, proxy_keys, vault
from storage_backup.services.context import SYSTEM

from storage_backup_dashboard.client import BackupApiError
from tests.functional.control.test_catalog_rebuild import write_points

VAULT_USER = "backup-vault"


def _status(call) -> int:
    with pytest.raises(BackupApiError) as raised:
        call()
    return raised.value.status


def _index(point_ids: list[str], project_id: str, primary: Destination, policy: Policy, age_days: int) -> None:
    """Catalog rows for restore points the repository holds (oldest first, a day apart)."""
    for offset, point_id in enumerate(point_ids):
        RestorePoint.objects.create(
            id=point_id, project_id=project_id, instance_id=str(uuid.uuid4()), instance_name="web",
            availability_zone="nova", policy=policy, destination=primary, volumes=[{"volume_id": "vol-a"}],
            created_at=timezone.now() - dt.timedelta(days=age_days - offset))


def make_world(control_plane, base, demo_points: int = 2) -> dict:
    """Restore points of demo (``demo_points``) and alt (one) indexed on a filesystem primary, their policies naming
    a filesystem vault, and a vault worker key enrolled."""
    demo, alt = control_plane.project_id("demo-member"), control_plane.project_id("alt-member")
    admin = control_plane.client("admin")
    primary_root = base / "primary"
    demo_ids = write_points(str(primary_root), demo, str(uuid.uuid4()), demo_points)
    alt_ids = write_points(str(primary_root), alt, str(uuid.uuid4()), 1)
    primary = Destination.objects.get(pk=admin.destination_create(name=f"primary-{uuid.uuid4().hex[:6]}",
                                                                  path=str(primary_root))["id"])
    vault_root = base / "vault"
    vault_root.mkdir()
    made = admin.destination_create(name=f"vault-{uuid.uuid4().hex[:6]}", path=str(vault_root), vault=True)
    assert made["vault"] is True
    policies = {}
    for user, project in (("demo-member", demo), ("alt-member", alt)):
        policies[project] = control_plane.client(user).policy_create(
            name=f"vaulted-{uuid.uuid4().hex[:6]}", destination_id=primary.id, vault_destination_id=made["id"])
        assert policies[project]["vault_destination_id"] == made["id"]
    _index(demo_ids, demo, primary, Policy.objects.get(pk=policies[demo]["id"]), age_days=5)
    _index(alt_ids, alt, primary, Policy.objects.get(pk=policies[alt]["id"]), age_days=3)
    key_file = str(base / "vault.key")
    key, _ = worker_key.create(key_file)
    proxy_keys.enrol(SYSTEM, f"vault-{uuid.uuid4().hex[:6]}", contract.VAULT_QUEUE, contract.public_key_text(key))
    return {"base": base, "demo": demo, "alt": alt, "demo_ids": demo_ids, "alt_ids": alt_ids, "primary": primary,
            "vault_id": made["id"], "vault_root": vault_root, "key_file": key_file, "policies": policies}


@pytest.fixture(scope="module")
def world(control_plane, tmp_path_factory):
    return make_world(control_plane, tmp_path_factory.mktemp("vault"))


def _config(control_plane, world, window: str = "", timezone_name: str = "UTC", interval: float | None = None) -> str:
    """The vault worker's config file for ``world`` (its window, time zone and, when given, its round interval)."""
    path = world["base"] / f"vault-{uuid.uuid4().hex[:6]}.conf"
    path.write_text(f"""\
[api]
url = {control_plane.url}
vault_id = {world["vault_id"]}

[keystone]
auth_type = password
auth_url = {control_plane.sandbox.auth_url}
username = {VAULT_USER}
password = backup-vault-secret
project_name = service
user_domain_id = default
project_domain_id = default

[worker]
key_file = {world["key_file"]}
window = {window}
timezone = {timezone_name}
{f"interval = {interval}" if interval is not None else ""}

[vault]
location = {world["vault_root"]}
""")
    return str(path)


def _vault_worker(config: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "storage_backup.cli", "vault-worker", "--config", config, "--once"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_only_the_vault_role_reaches_the_vault_endpoints_and_it_reaches_nothing_else(control_plane, world):
    for user in ("demo-member", "demo-reader", "alt-member", "admin"):
        client = control_plane.client(user)
        assert _status(lambda c=client: c.request("GET", "/v1/vault/work", params={"vault": world["vault_id"]})) \
            == 403, user
        assert _status(lambda c=client: c.request("POST", "/v1/vault/copies", json={
            "copy_id": str(uuid.uuid4()), "state": "copied"})) == 403, user
    worker = control_plane.client(VAULT_USER)
    assert worker.request("GET", "/v1/vault/work", params={"vault": world["vault_id"]})["vault_id"] == \
        world["vault_id"]
    assert _status(lambda: worker.request("GET", "/v1/vault/work", params={"vault": world["primary"].id})) == 404
    point = world["demo_ids"][0]
    # Its role lists, restores and deletes nothing through the normal API.
    for method, path, body in (("GET", "/v1/restore-points", None), ("GET", "/v1/jobs", None),
                               ("GET", "/v1/policies", None), ("GET", "/v1/destinations", None),
                               ("GET", f"/v1/restore-points/{point}", None),
                               ("POST", f"/v1/restore-points/{point}/restore", {"name": "x"}),
                               ("DELETE", f"/v1/restore-points/{point}", None),
                               ("POST", "/v1/proxies/vault-x/keys", {"queue": "vault", "public_key": "x25519:AAAA"})):
        assert _status(lambda m=method, p=path, b=body: worker.request(m, p, json=b)) in (403, 404), (method, path)
    assert RestorePoint.objects.filter(id=point).exists()


def test_the_vault_worker_copies_what_policies_name_once_and_tenants_see_their_own(control_plane, world):
    worker = control_plane.client(VAULT_USER)
    work = worker.request("GET", "/v1/vault/work", params={"vault": world["vault_id"]})
    listed = [item["restore_point_id"] for item in work["copies"]]
    expected = world["demo_ids"] + world["alt_ids"]  # every project's, oldest first
    assert [point for point in listed if point in expected] == expected
    item = next(item for item in work["copies"] if item["restore_point_id"] == expected[0])
    assert item["primary"]["id"] == world["primary"].id and item["primary"]["type"] == "filesystem"
    assert item["primary"]["path"] == str(world["base"] / "primary") and "credentials" not in item["primary"]
    assert item["project_id"] == world["demo"] and item.get("repository_secret") is None  # never in clear

    first = _vault_worker(_config(control_plane, world))
    assert first["in_window"] and not first["failed"], first
    copied = {entry["restore_point_id"]: entry for entry in first["copied"]}
    assert set(expected) <= set(copied)
    assert all(copied[point]["chunks_total"] == copied[point]["chunks_copied"] + copied[point]["chunks_present"]
               for point in expected)
    assert copied[expected[0]]["chunks_copied"] > 0 and copied[expected[0]]["bytes_copied"] > 0
    assert os.listdir(world["vault_root"])  # the copies are in the vault's own repository

    shown = control_plane.client("demo-member").restore_point_get(world["demo_ids"][0])
    kinds = [(copy["kind"], copy["state"]) for copy in shown["copies"]]
    assert kinds == [("primary", "stored"), ("vault", "copied")], shown["copies"]
    assert shown["copies"][1]["destination_id"] == world["vault_id"] and shown["copies"][1]["at"]
    # Tenants never see another project's copies: the point itself is not theirs.
    assert _status(lambda: control_plane.client("alt-member").restore_point_get(world["demo_ids"][0])) == 404
    alt_points = control_plane.client("alt-member").restore_point_list(limit=500)
    assert all(point["project_id"] == world["alt"] for point in alt_points)
    assert [c["kind"] for c in next(p for p in alt_points if p["id"] == world["alt_ids"][0])["copies"]] == \
        ["primary", "vault"]

    again = _vault_worker(_config(control_plane, world))
    assert again["copied"] == [] and again["failed"] == [], again  # nothing pending: nothing copied twice
    assert not [item for item in worker.request("GET", "/v1/vault/work", params={"vault": world["vault_id"]})
                ["copies"] if item["restore_point_id"] in expected]


def test_outside_its_window_the_vault_worker_copies_nothing(control_plane, world):
    new_ids = write_points(str(world["base"] / "primary"), world["demo"], str(uuid.uuid4()), 1)
    _index(new_ids, world["demo"], world["primary"], Policy.objects.get(pk=world["policies"][world["demo"]]["id"]),
           age_days=1)
    hour = dt.datetime.now(dt.UTC).hour
    closed = f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"
    report = _vault_worker(_config(control_plane, world, window=closed))
    assert report["in_window"] is False and report["copied"] == [], report
    assert RestorePointCopy.objects.get(restore_point_id=new_ids[0]).state == "queued"
    opened = f"{(hour + 23) % 24:02d}:00-{(hour + 1) % 24:02d}:00"  # across midnight when it must
    report = _vault_worker(_config(control_plane, world, window=opened))
    assert [entry["restore_point_id"] for entry in report["copied"]] == new_ids


def test_a_deleted_restore_point_keeps_its_vault_copy_as_the_only_one(control_plane, world):
    point = world["demo_ids"][1]
    assert RestorePointCopy.objects.get(restore_point_id=point).state == "copied"
    control_plane.client("demo-member").restore_point_delete(point)
    copy = RestorePointCopy.objects.get(restore_point_id=point)
    assert copy.state == "copied" and copy.primary_deleted_at is not None
    # The data plane's delete job targets the primary alone: the vault holds no task and no credential of ours.
    job = Job.objects.filter(restore_point_id=point, type="delete").get()
    assert job.destination_id == world["primary"].id
    assert world["vault_id"] not in json.dumps(job.request)


def test_a_restore_from_the_vault_waits_for_the_grant_and_reads_it_as_a_presigned_destination(control_plane, world):
    member = control_plane.client("demo-member")
    point = world["demo_ids"][0]
    never_copied = write_points(str(world["base"] / "primary"), world["demo"], str(uuid.uuid4()), 1)
    _index(never_copied, world["demo"], world["primary"], None, age_days=1)
    refused = pytest.raises(BackupApiError, member.restore, never_copied[0], source="vault").value
    assert (refused.status, refused.field) == (400, "source")

    job = member.restore(point, source="vault")
    row = Job.objects.get(pk=job["id"])
    assert row.request["source"] == "vault" and vault.grant_waiting_reason(row).startswith("Waiting for the vault")
    worker = control_plane.client(VAULT_USER)
    work = worker.request("GET", "/v1/vault/work", params={"vault": world["vault_id"]})
    request = next(grant for grant in work["grants"] if grant["grant_id"] == job["id"])
    assert request["restore_point_id"] == point and request.get("repository_secret") is None
    # (A filesystem vault cannot pre-sign URLs: the ceph tier issues real grants. Here the worker's post is given.)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    grant = {"type": "presigned", "expires": expires, "objects": {"config": "http://127.0.0.1:1/config?sig=s3cr3t"}}
    assert _status(lambda: member.request("POST", "/v1/vault/grants", json={"grant_id": job["id"],
                                                                          "grant": grant})) == 403
    worker.request("POST", "/v1/vault/grants", json={"grant_id": job["id"], "vault_id": world["vault_id"],
                                                     "grant": grant})
    assert vault.grant_waiting_reason(row) == ""
    with connection.cursor() as cursor:
        cursor.execute('SELECT "grant" FROM catalog_vaultgrant WHERE job_id = %s', [job["id"]])
        assert "s3cr3t" not in str(cursor.fetchone())  # sealed at rest
    message = dispatch.payload(row)
    assert message.destination.type == "presigned"
    assert message.destination.credentials["objects"] == grant["objects"]
    sealed = contract.seal(message.to_message(), type(message), [X25519PrivateKey.generate()])
    assert "s3cr3t" not in json.dumps(sealed)  # it travels sealed to the proxies' keys, as any credentials
    member.job_cancel(job["id"])
    dispatch.dispatch_ready()  # its tick forgets the grants of ended jobs
    assert not VaultGrant.objects.filter(job_id=job["id"]).exists()


def test_a_policy_vault_must_be_a_vault_and_a_vault_is_never_a_primary(control_plane, world):
    member, admin = control_plane.client("demo-member"), control_plane.client("admin")
    error = pytest.raises(BackupApiError, member.policy_create, name="bad", destination_id=world["primary"].id,
                          vault_destination_id=world["primary"].id).value
    assert (error.status, error.field) == (400, "vault_destination_id")
    error = pytest.raises(BackupApiError, member.policy_create, name="bad", destination_id=world["vault_id"]).value
    assert (error.status, error.field) == (400, "destination_id")
    error = pytest.raises(BackupApiError, admin.destination_create, name="bad", path=str(world["base"] / "v2"),
                          vault=True, type="s3", credentials={"access_key": "a", "secret_key": "b"}).value
    assert (error.status, error.field) == (400, "credentials")
    assert _status(lambda: admin.destination_prune(world["vault_id"])) == 409
    private = Destination.objects.create(name=f"alt-vault-{uuid.uuid4().hex[:6]}", path="/srv/alt-vault",
                                         project_id=world["alt"], vault=True)
    error = pytest.raises(BackupApiError, member.policy_create, name="bad", destination_id=world["primary"].id,
                          vault_destination_id=private.id).value
    assert (error.status, error.field) == (400, "vault_destination_id")  # another project's vault
