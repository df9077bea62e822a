"""What an operator installs: the wheel carries the plugin, its policy, its settings snippet and the enabled files."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from backend.launch import REPO_ROOT

pytestmark = pytest.mark.slow


def test_wheel_holds_what_the_readme_tells_operators_to_install(tmp_path):
    source = tmp_path / "source"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if not os.path.isfile(os.path.join(REPO_ROOT, name)):
            continue  # deleted in the work tree, not yet in the index
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(open(os.path.join(REPO_ROOT, name), "rb").read())
    # A copy without .git: pbr takes the version from here; no build isolation, so nothing is downloaded.
    env = dict(os.environ, PBR_VERSION="0.0.0.dev0")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(source)], check=True, env=env, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("storage_backup_dashboard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "storage_backup_dashboard-0.0.0.dev0.data/data/share/storage-backup-dashboard/enabled/"
    expected = {
        "storage_backup_dashboard/api/backup.py",
        "storage_backup_dashboard/dashboards/project/protected_instances/panel.py",
        "storage_backup_dashboard/conf/storage_backup_policy.yaml",
        "storage_backup_dashboard/conf/default_policies/storage_backup.yaml",
        "storage_backup_dashboard/local_settings.d/_9000_storage_backup.py",
        data + "_9010_project_backup_panel_group.py",
        data + "_9020_project_protected_instances_panel.py",
        "backend/celery_app.py",
        "backend/proxy/tasks.py",
    }
    assert expected <= names, sorted(expected - names)
