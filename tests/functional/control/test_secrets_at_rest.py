# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Secrets encrypted at rest in the catalog (backend/storage_backup/catalog/secrets.py): the rows hold neither the
repository
secret nor the SSH private keys, while the service layer, the task messages and the repository engine still get
the plaintext; legacy rows are encrypted by migration 0004; a wrong key is named, never a bare InvalidTag."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.db import connection
from django.utils import timezone
from storage_backup import contract
from storage_backup.catalog import secrets
from storage_backup.catalog.models import Destination, Job, Policy
from storage_backup.proxy import worker_key
from storage_backup.services import dispatch, jobs, policies
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import Unavailable

from tests.support.control_fixtures import keep_proxy_up, run_jobs, wait_until
from tests.support.instances import create_instance, raise_volume_quota

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material-" + uuid.uuid4().hex
COMMAND = {"command": "fsfreeze -f /data", "user": "ubuntu", "private_key": PRIVATE_KEY,
           "host_key_policy": "accept-new"}


def raw_row(table: str, column: str, row_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)  # PostgreSQL hands jsonb back decoded


@pytest.fixture(scope="module")
def sealed(control_plane, tmp_path_factory):
    """An encrypted destination (its repository initialised with the secret) and a policy with pre/post commands,
    both made through the REST API."""
    from storage_backup.repository import Repository

    secret = "repository-passphrase-" + uuid.uuid4().hex
    path = str(tmp_path_factory.mktemp("encrypted-repository"))
    Repository.init(path, password=secret)
    destination = control_plane.client("admin").destination_create(
        name="encrypted-at-rest", path=path, encrypted=True, repository_secret=secret)
    policy = control_plane.client("demo-member").policy_create(
        name="secrets-at-rest", destination_id=destination["id"], pre_command=COMMAND,
        post_command={**COMMAND, "command": "fsfreeze -u /data"})
    return {"secret": secret, "destination": destination, "policy": policy}


def test_rows_hold_neither_secret(control_plane, sealed):
    stored_secret = raw_row("catalog_destination", "repository_secret", sealed["destination"]["id"])
    assert stored_secret.startswith("enc:v1:") and sealed["secret"] not in stored_secret
    for column in ("pre_command", "post_command"):
        stored_command = raw_row("catalog_policy", column, sealed["policy"]["id"])
        assert "secret-key-material" not in stored_command and "BEGIN OPENSSH" not in stored_command
        assert json.loads(stored_command)["private_key"].startswith("enc:v1:")
        assert "fsfreeze" in stored_command  # only the key is sealed: the command stays readable
    # Through the models, the plaintext; through the API, still masks.
    assert Destination.objects.get(pk=sealed["destination"]["id"]).repository_secret == sealed["secret"]
    assert Policy.objects.get(pk=sealed["policy"]["id"]).pre_command["private_key"] == PRIVATE_KEY
    shown = control_plane.client("demo-member").policy_get(sealed["policy"]["id"])
    assert shown["pre_command"]["private_key"] == "********" and shown["post_command"]["private_key"] == "********"
    assert "repository_secret" not in control_plane.client("admin").destination_get(sealed["destination"]["id"])


def test_a_patch_keeps_the_key_sealed(control_plane, sealed):
    member = control_plane.client("demo-member")
    shown = member.policy_get(sealed["policy"]["id"])
    member.policy_update(sealed["policy"]["id"], pre_command={**shown["pre_command"], "timeout": 30})
    stored_command = json.loads(raw_row("catalog_policy", "pre_command", sealed["policy"]["id"]))
    assert stored_command["timeout"] == 30 and stored_command["private_key"].startswith("enc:v1:")
    assert Policy.objects.get(pk=sealed["policy"]["id"]).pre_command["private_key"] == PRIVATE_KEY


def test_the_data_worker_opens_the_encrypted_repository_with_the_decrypted_secret(sealed, data_worker):
    destination = Destination.objects.get(pk=sealed["destination"]["id"])
    job = jobs.create_rebuild(SYSTEM, destination)
    assert dispatch.payload(job).repository_secret == sealed["secret"]  # decrypted for the task message only
    [job] = run_jobs(job.id)
    assert job.state == "succeeded", job.error  # the data worker unlocked the repository with it
    assert job.result["created"] == [] and sealed["secret"] not in json.dumps(job.request)


def test_the_proxy_gets_the_secrets_sealed_to_its_key_in_its_task(control_plane, sealed, fake_proxy, control_worker):
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    member = control_plane.client("demo-member")
    server = create_instance(control_plane.sandbox.session("demo-member"))
    member.protect(server["id"], sealed["policy"]["id"])
    keep_proxy_up()
    job = member.backup_create(server["id"])
    store = redis.Redis.from_url(control_plane.redis_url)
    sent = wait_until(lambda: next((p for p in map(json.loads, store.lrange("fake-proxy:payloads", 0, -1))
                                    if p["job_id"] == job["id"]), None), timeout=60, what="the task message")
    # In Redis the secrets are sealed (docs/TASKS.md "Sealed secrets"); the proxy's enrolled key opens them.
    assert sealed["secret"] not in json.dumps(sent) and PRIVATE_KEY not in json.dumps(sent)
    assert "repository_secret" not in sent and "private_key" not in sent["pre_command"]
    opened = contract.open_sealed(sent, contract.BackupRequest, worker_key.load_keys(fake_proxy.key_file))
    assert opened["repository_secret"] == sealed["secret"]
    assert opened["pre_command"]["private_key"] == PRIVATE_KEY and opened["post_command"]["private_key"] == PRIVATE_KEY
    done = wait_until(lambda: (j := member.job_get(job["id"]))["state"] in ("succeeded", "failed") and j,
                      timeout=60, what="the backup to end")
    assert done["state"] == "succeeded", done
    # What the catalog keeps of the task leaves the secrets out.
    assert sealed["secret"] not in json.dumps(Job.objects.get(pk=job["id"]).request)


def test_a_wrong_key_names_the_row_and_the_key(sealed, monkeypatch):
    monkeypatch.setenv(secrets.KEY_ENV, secrets.generate_key())
    destination = Destination.objects.get(pk=sealed["destination"]["id"])
    with pytest.raises(secrets.SecretUnreadable) as unreadable:
        destination.repository_secret  # noqa: B018
    message = str(unreadable.value)
    assert "repository secret of destination 'encrypted-at-rest'" in message and destination.id in message
    assert "from STORAGE_BACKUP_CATALOG_KEY" in message and "same key" in message
    assert isinstance(unreadable.value, Unavailable)  # the API answers 503 with that message
    policy = Policy.objects.get(pk=sealed["policy"]["id"])
    with pytest.raises(secrets.SecretUnreadable, match="private_key of pre_command of policy 'secrets-at-rest'"):
        policy.pre_command  # noqa: B018
    # Listing still works without the key (the API masks), and a save keeps the stored form untouched.
    listed = Policy.objects.get(pk=sealed["policy"]["id"])
    assert policies.shown_command(listed, "pre_command")["private_key"] == "********"
    before = raw_row("catalog_destination", "repository_secret", destination.id)
    destination = Destination.objects.get(pk=destination.id)
    destination.save()
    assert raw_row("catalog_destination", "repository_secret", destination.id) == before
    # A job whose secret cannot be decrypted fails with that message instead of reaching a proxy. Not before
    # next year: the control worker's dispatcher (which has the right key) leaves it to this test.
    job = Job.objects.create(type="verify", project_id=policy.project_id, destination=destination,
                             restore_point_id="none", queue=contract.DATA_QUEUE,
                             task_name=contract.VERIFY_RESTORE_POINT,
                             not_before=timezone.now() + dt.timedelta(days=365))
    try:
        assert dispatch._submit(job) is False
        job.refresh_from_db()
        assert job.state == "failed" and "encrypted-at-rest" in job.error and not job.celery_task_id
    finally:
        job.delete()


def test_an_altered_value_is_refused(sealed):
    stored = raw_row("catalog_destination", "repository_secret", sealed["destination"]["id"])
    altered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(secrets.SecretUnreadable, match="was altered"):
        secrets.unseal(altered, "The repository secret of destination 'x'")


def test_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.KEY_ENV, raising=False)
    path = tmp_path / "keys" / "catalog.key"
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(path))
    ring = secrets.keyring()
    assert path.stat().st_mode & 0o777 == 0o600
    sealed_value = secrets.seal("s3cret")
    assert sealed_value.startswith(f"enc:v1:{ring.current}:") and secrets.unseal(sealed_value) == "s3cret"
    secrets._keyring_from_file.cache_clear()
    assert secrets.keyring().current == ring.current  # read back, not replaced
    # Rotation: a new key first encrypts; the old one, kept after it, still decrypts.
    path.write_text(f"{secrets.generate_key()}\n{path.read_text()}")
    secrets._keyring_from_file.cache_clear()
    assert secrets.keyring().current != ring.current and secrets.unseal(sealed_value) == "s3cret"
    assert not secrets.seal("s3cret").startswith(f"enc:v1:{ring.current}:")


def test_a_malformed_key_is_named(monkeypatch):
    monkeypatch.setenv(secrets.KEY_ENV, "not-a-key")
    with pytest.raises(secrets.CatalogKeyError, match="STORAGE_BACKUP_CATALOG_KEY is not base64 of 32 bytes"):
        secrets.seal("s3cret")


MIGRATION_SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.db.migrations.executor import MigrationExecutor

call_command("migrate", "catalog", "0003", verbosity=0)
old = MigrationExecutor(connection).loader.project_state(("catalog", "0003_destination_retention_lock_min_days")).apps
Destination, Policy = old.get_model("catalog", "Destination"), old.get_model("catalog", "Policy")
destination = Destination.objects.create(id="d1", name="legacy", path="/srv/r", encrypted=True,
                                         repository_secret="legacy-passphrase")
Policy.objects.create(id="p1", name="legacy", destination=destination,
                      pre_command={"command": "sync", "user": "u", "private_key": "LEGACY-KEY"})

def rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT repository_secret FROM catalog_destination WHERE id = 'd1'")
        secret = cursor.fetchone()[0]
        cursor.execute("SELECT pre_command FROM catalog_policy WHERE id = 'p1'")
        return {"secret": secret, "command": json.loads(cursor.fetchone()[0])}

found = {"legacy": rows()}
call_command("migrate", "catalog", verbosity=0)
found["migrated"] = rows()
from storage_backup.catalog.models import Destination as Current, Policy as CurrentPolicy
found["read"] = [Current.objects.get(pk="d1").repository_secret, CurrentPolicy.objects.get(pk="p1").pre_command]
call_command("migrate", "catalog", "0003", verbosity=0)
found["reversed"] = rows()
print(json.dumps(found))
"""


def test_migration_encrypts_legacy_rows_and_reverses(tmp_path):
    """Migrate a fresh SQLite catalog to 0003, add plaintext rows, migrate forward and back (own process)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("STORAGE_BACKUP_DATABASE_URL", secrets.KEY_ENV, secrets.KEY_FILE_ENV)}
    env.update(DJANGO_SETTINGS_MODULE="storage_backup.settings", STORAGE_BACKUP_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", MIGRATION_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["legacy"]["secret"] == "legacy-passphrase"
    migrated = found["migrated"]
    assert migrated["secret"].startswith("enc:v1:") and "legacy-passphrase" not in migrated["secret"]
    assert migrated["command"]["private_key"].startswith("enc:v1:") and migrated["command"]["command"] == "sync"
    assert found["read"][0] == "legacy-passphrase" and found["read"][1]["private_key"] == "LEGACY-KEY"
    assert found["reversed"] == found["legacy"]
    assert (tmp_path / "catalog.key").stat().st_mode & 0o777 == 0o600
