# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A backup with a retention lock into a hardened destination, through a real proxy worker and a real
``storage-backup-immutable`` (issue 10, item 11): once the job has committed, every file the restore point needs
is immutable, and ``rm`` of one fails even as root."""
from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest
from storage_backup.immutable.flags import is_immutable, set_immutable
from storage_backup.repository import Repository

from tests.functional.immutable.test_hardened_repository import Helper
from tests.functional.pipeline.support import PipelineCloud

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(os.geteuid() != 0, reason="the immutable attribute needs root (CAP_LINUX_IMMUTABLE)")]


@pytest.fixture(scope="module")
def hardened_cloud(tmp_path_factory):
    base = tmp_path_factory.mktemp("hardened-pipeline")
    helper = Helper(base).start()
    cloud = PipelineCloud(str(base / "cloud"), worker_env={"STORAGE_BACKUP_IMMUTABLE_SOCKET": helper.socket})
    try:
        yield cloud.start(), helper
    finally:
        cloud.stop()
        helper.stop()
        for dirpath, _dirs, files in os.walk(helper.root):
            for name in files:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path) and is_immutable(path):
                    set_immutable(path, False)


def test_a_locked_backup_into_a_hardened_destination_is_immutable(hardened_cloud):
    cloud, helper = hardened_cloud
    path = os.path.join(helper.root, "repo")
    os.makedirs(path)
    destination = {"id": "dest-hardened", "type": "filesystem", "path": path, "encrypted": False, "hardened": True}
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    outcome = cloud.backup(cloud.server_named("app-1"), strategy="full", destination=destination,
                           retention_lock_until=until)
    restore_point = outcome.result["restore_point_id"]
    names = Repository.open(path).objects_of(restore_point)
    assert len(names) >= 3
    assert all(is_immutable(os.path.join(path, name)) for name in names)
    pack = os.path.join(path, next(name for name in names if name.startswith("data/")))
    removed = subprocess.run(["rm", "-f", pack], capture_output=True, text=True)
    assert removed.returncode != 0 and "Operation not permitted" in removed.stderr
    log = " ".join(entry["message"] for entry in outcome.result.get("log", []))
    assert "immutable until" in log
