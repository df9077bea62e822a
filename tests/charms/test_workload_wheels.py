# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Each charm's workload builds from this repository (tools/charms/build_wheels.py, what ``charmcraft pack`` takes
from charms/<charm>/workload/), and holds what the charm installs from it."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO_ROOT, "tools", "charms", "build_wheels.py")
#: The plugin's enabled files, as the repository holds them (the wheel must carry every one).
ENABLED = sorted(name for name in os.listdir(os.path.join(REPO_ROOT, "enabled")) if name.startswith("_9"))
BUILD_TIMEOUT = float(os.environ.get("STORAGE_BACKUP_WHEEL_BUILD_TIMEOUT", "300"))


@pytest.fixture(scope="module")
def workloads(tmp_path_factory) -> str:
    """The script run as an operator runs it before packing, into a folder of its own."""
    out = str(tmp_path_factory.mktemp("workloads"))
    result = subprocess.run([sys.executable, SCRIPT, "--out", out], capture_output=True, text=True,
                            timeout=BUILD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return out


def names(folder: str) -> list[str]:
    return sorted(os.listdir(folder))


def wheel_members(folder: str) -> list[str]:
    wheel = next(os.path.join(folder, name) for name in names(folder) if name.endswith(".whl"))
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_dashboard_wheel_has_the_enabled_files_and_the_settings_file(workloads):
    members = wheel_members(os.path.join(workloads, "storage-backup-dashboard"))
    enabled = [m for m in members if "/data/share/storage-backup-dashboard/enabled/_9" in m]
    assert sorted(os.path.basename(m) for m in enabled) == ENABLED
    assert "storage_backup_dashboard/local_settings.d/_9000_storage_backup.py" in members
    # The Horizon host gets the plugin only, never the service.
    assert not [m for m in members if m.startswith("storage_backup/")]


@pytest.mark.parametrize("charm, units", [
    ("storage-backup-api", ["storage-backup-api.service", "storage-backup-beat.service",
                            "storage-backup-control-worker.service"]),
    ("storage-backup-proxy", ["storage-backup-proxy@.service"])])
def test_service_charms_carry_the_service_wheel_and_the_products_units(workloads, charm, units):
    folder = os.path.join(workloads, charm)
    assert [n for n in names(folder) if not n.endswith(".whl")] == units
    members = wheel_members(folder)
    for module in ("storage_backup/cli.py", "storage_backup/catalog/management/commands/proxy_keys.py",
                   "storage_backup/catalog/management/commands/backup_now.py",
                   "storage_backup/catalog/management/commands/rebuild_catalog.py"):
        assert module in members
    # proxy-vm create on any host: the user-data template and the units it puts into the VM (setup.cfg data_files).
    for data in ("share/storage-backup/cloud-init/proxy-user-data.yaml",
                 "share/storage-backup/systemd/storage-backup-proxy@.service"):
        assert [m for m in members if m.endswith(".data/data/" + data)], data
    entry_points = next(m for m in members if m.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(os.path.join(folder, next(n for n in names(folder) if n.endswith(".whl")))) as archive:
        assert "storage-backup = storage_backup.cli:main" in archive.read(entry_points).decode()


def test_an_unknown_charm_is_refused_by_name():
    result = subprocess.run([sys.executable, SCRIPT, "storage-backup-mover"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "no charm named storage-backup-mover" in result.stderr
