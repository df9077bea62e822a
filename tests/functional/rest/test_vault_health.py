# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A vault worker that stops is told (``services/vault_health.py``), with the real vault worker process
(``storage-backup vault-worker --once``) against the real REST API and Keystone tokens: its looks for work and its
copy reports are recorded with the window it keeps; the admin overview and ``/metrics`` of an API process running
with tiny ``STORAGE_BACKUP_VAULT_SILENT_AFTER`` and ``STORAGE_BACKUP_VAULT_COPY_LAG_ALERT`` list the copies waiting
past the lag (outside the window: it says when the window opens) and, once the setting passed, the silent vault;
``storage-backup health --vault`` exits 0 while the worker was seen within the setting, 1 after, with one line; a
worker whose credential was revoked records nothing, so its silence is what tells.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid

import pytest
import requests
from storage_backup import contract
from storage_backup.catalog.models import Destination, Policy, RestorePointCopy, VaultWorkerSeen
from storage_backup.proxy import worker_key
from storage_backup.services import proxy_keys
from storage_backup.services.context import SYSTEM
from storage_backup_sandbox.launch import ControlApiProcess

from storage_backup_dashboard.client import BackupClient
from tests.functional.control.test_catalog_rebuild import write_points
from tests.functional.control.test_metrics import samples_of
from tests.functional.rest.test_vault import _config as vault_config
from tests.functional.rest.test_vault import _index, _vault_worker

SILENT_AFTER = 8  # seconds: the worker's round and the health command's start take a few
SETTINGS = {"STORAGE_BACKUP_VAULT_SILENT_AFTER": str(SILENT_AFTER), "STORAGE_BACKUP_VAULT_COPY_LAG_ALERT": "3600"}


@pytest.fixture(scope="module")
def quiet_api(control_plane, tmp_path_factory):
    """A second API process on the same catalog, with the tiny settings (the session's API keeps the defaults)."""
    log_dir = str(tmp_path_factory.mktemp("quiet-api"))
    with ControlApiProcess(dict(control_plane.env, **SETTINGS), log_dir).start() as api:
        yield api


@pytest.fixture(scope="module")
def world(control_plane, tmp_path_factory):
    base = tmp_path_factory.mktemp("vault-health")
    demo = control_plane.project_id("demo-member")
    admin = control_plane.client("admin")
    primary_root = base / "primary"
    point_ids = write_points(str(primary_root), demo, str(uuid.uuid4()), 2)
    primary = Destination.objects.get(pk=admin.destination_create(name=f"primary-{uuid.uuid4().hex[:6]}",
                                                                  path=str(primary_root))["id"])
    vault_root = base / "vault"
    vault_root.mkdir()
    vault_id = admin.destination_create(name=f"vault-{uuid.uuid4().hex[:6]}", path=str(vault_root), vault=True)["id"]
    policy = control_plane.client("demo-member").policy_create(
        name=f"vaulted-{uuid.uuid4().hex[:6]}", destination_id=primary.id, vault_destination_id=vault_id)
    _index(point_ids, demo, primary, Policy.objects.get(pk=policy["id"]), age_days=2)
    key_file = str(base / "vault.key")
    key, _ = worker_key.create(key_file)
    proxy_keys.enrol(SYSTEM, f"vault-{uuid.uuid4().hex[:6]}", contract.VAULT_QUEUE, contract.public_key_text(key))
    return {"base": base, "vault_id": vault_id, "vault_root": vault_root, "key_file": key_file,
            "point_ids": point_ids}


def _config(control_plane, world, window: str) -> str:
    return vault_config(control_plane, world, window, timezone_name="Europe/Warsaw", interval=1)


def _health(control_plane, vault_id: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "storage_backup.cli", "health", "--vault", vault_id],
                          capture_output=True, text=True, timeout=120, env=dict(control_plane.env, **SETTINGS))
    return done.returncode, (done.stdout + done.stderr).strip()


def _entries(control_plane, api, vault_id: str) -> dict:
    overview = BackupClient(control_plane.sandbox.session("admin"), endpoint=api.url).overview()
    return {entry["problem"]: entry for entry in overview["attention"]["vaults"] if entry["vault_id"] == vault_id}


def _metrics(control_plane, api, vault_id: str) -> dict:
    response = requests.get(api.url + "/metrics", headers={"X-Auth-Token": control_plane.token("admin")},
                            timeout=30)
    response.raise_for_status()
    samples = samples_of(response.text)
    picked = {}
    for name, values in samples.items():
        if not name.startswith("storage_backup_vault_"):
            continue
        for labels, value in values.items():
            labels = dict(labels)
            assert set(labels) <= {"vault", "problem"}, labels  # never a project's or a tenant's name
            if labels.get("vault") == vault_id:
                picked[(name, labels.get("problem"))] = value
    return picked


def _closed_window() -> str:
    """A window that is closed now, in the worker's zone (Europe/Warsaw)."""
    import zoneinfo

    hour = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Warsaw")).hour
    return f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"


def test_a_vault_whose_worker_never_came_is_silent_once_the_setting_passed(control_plane, quiet_api, world):
    vault_id = world["vault_id"]
    time.sleep(SILENT_AFTER + 1)
    entries = _entries(control_plane, quiet_api, vault_id)
    assert entries["silent"]["last_seen"] is None and "has not asked for work ever" in entries["silent"]["message"]
    assert not _entries(control_plane, control_plane.api, vault_id)  # the default setting (1 h) is not past
    code, line = _health(control_plane, vault_id)
    assert (code, line) == (1, f"unhealthy: the vault worker of vault "
                               f"{Destination.objects.get(pk=vault_id).name} has never asked for work"), line
    code, line = _health(control_plane, str(uuid.uuid4()))
    assert code == 2 and "no vault destination" in line


def test_outside_its_window_the_waiting_copies_lag_and_the_worker_is_seen(control_plane, quiet_api, world):
    vault_id = world["vault_id"]
    window = _closed_window()
    report = _vault_worker(_config(control_plane, world, window))
    assert report["in_window"] is False and report["copied"] == [], report
    seen = VaultWorkerSeen.objects.get(pk=vault_id)
    assert seen.asked_at is not None and seen.reported_at is None
    assert (seen.window, seen.timezone, seen.interval) == (window, "Europe/Warsaw", 1.0)
    code, line = _health(control_plane, vault_id)
    assert code == 0 and line.startswith("healthy: the vault worker of vault") and "2 restore point(s) wait" in line

    entries = _entries(control_plane, quiet_api, vault_id)
    assert set(entries) == {"lagging"}, entries  # the worker asks: not silent; the 2-day-old points lag (1 h)
    lagging = entries["lagging"]
    assert lagging["waiting"] == 2 and lagging["window_open"] is False and lagging["next_window"]
    assert f"Its copy window ({window} Europe/Warsaw) opens next at" in lagging["message"]
    metrics = _metrics(control_plane, quiet_api, vault_id)
    assert metrics[("storage_backup_vault_copies_pending", None)] == 2
    assert metrics[("storage_backup_vault_copy_lag_seconds", None)] > 24 * 3600
    assert abs(metrics[("storage_backup_vault_worker_last_seen_timestamp_seconds", None)]
               - seen.asked_at.timestamp()) < 1
    assert metrics[("storage_backup_vault_alert", "lagging")] == 1
    assert ("storage_backup_vault_alert", "silent") not in metrics


def test_copied_nothing_lags_and_a_worker_that_stops_is_told(control_plane, quiet_api, world):
    vault_id = world["vault_id"]
    report = _vault_worker(_config(control_plane, world, ""))  # no window: copies at any time
    assert sorted(entry["restore_point_id"] for entry in report["copied"]) == sorted(world["point_ids"]), report
    assert VaultWorkerSeen.objects.get(pk=vault_id).reported_at is not None
    assert not RestorePointCopy.objects.filter(vault_id=vault_id).exclude(state="copied").exists()
    assert "lagging" not in _entries(control_plane, quiet_api, vault_id)
    metrics = _metrics(control_plane, quiet_api, vault_id)
    assert metrics[("storage_backup_vault_copies_pending", None)] == 0
    assert metrics[("storage_backup_vault_copy_lag_seconds", None)] == 0
    assert _health(control_plane, vault_id)[0] == 0

    # It loses its credential: its calls are refused, nothing is recorded, and the silence is what tells.
    before = VaultWorkerSeen.objects.get(pk=vault_id)
    broken = _config(control_plane, world, "")
    with open(broken) as handle:
        text = handle.read()
    with open(broken, "w") as handle:
        handle.write(text.replace("password = backup-vault-secret", "password = revoked"))
    refused = subprocess.run([sys.executable, "-m", "storage_backup.cli", "vault-worker", "--config", broken, "--once"],
                             capture_output=True, text=True, timeout=120, env=dict(control_plane.env))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    after = VaultWorkerSeen.objects.get(pk=vault_id)
    assert (after.asked_at, after.reported_at) == (before.asked_at, before.reported_at)

    time.sleep(SILENT_AFTER + 1)  # the worker does not come again
    silent = _entries(control_plane, quiet_api, vault_id)["silent"]
    assert silent["last_seen"] and "its copies have stopped" in silent["message"]
    assert "role backup_vault" in silent["message"]
    assert _metrics(control_plane, quiet_api, vault_id)[("storage_backup_vault_alert", "silent")] == 1
    code, line = _health(control_plane, vault_id)
    assert code == 1 and line.startswith("unhealthy: the vault worker of vault") and "was last seen" in line, line
    assert len(line.splitlines()) == 1
