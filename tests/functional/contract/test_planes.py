# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The planes share nothing but Redis: the control plane's processes (REST API, control worker and beat, the catalog
commands) load neither the repository engine nor the workers' code, and the workers load no catalog.
(tests/functional/e2e runs the whole product with the destinations where only the workers find them.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys

CONTROL_PLANE = ["storage_backup.rest.urls", "storage_backup.rest.views_dashboard", "storage_backup.control.tasks",
                 "storage_backup.catalog.management.commands.rebuild_catalog",
                 "storage_backup.catalog.management.commands.protect_project"]
WORKERS = ["storage_backup.celery_app", "storage_backup.proxy.backup_tasks", "storage_backup.proxy.restore_tasks",
           "storage_backup.proxy.data_tasks", "storage_backup.proxy.tasks"]


def loaded(modules: list[str], env: dict, tmp_path) -> set[str]:
    """The ``storage_backup`` modules a fresh interpreter has loaded after importing ``modules``."""
    code = ("import importlib, json, sys\n"
            "if 'DJANGO_SETTINGS_MODULE' in __import__('os').environ:\n"
            "    import django; django.setup()\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('storage_backup'))))")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_control_plane_loads_no_repository_and_no_worker_code(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "storage_backup.settings",
           "STORAGE_BACKUP_DATA_DIR": str(tmp_path / "data")}
    modules = loaded(CONTROL_PLANE, env, tmp_path)
    assert "storage_backup.control.tasks" in modules
    assert not {m for m in modules if m.startswith(("storage_backup.repository", "storage_backup.pipeline",
                                                    "storage_backup.proxy"))}, modules


def test_the_workers_load_no_catalog(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    modules = loaded(WORKERS, {**env, "STORAGE_BACKUP_BROKER_URL": "redis://127.0.0.1:1/0"}, tmp_path)
    assert "storage_backup.proxy.data_tasks" in modules
    assert not {m for m in modules if m.startswith(("storage_backup.catalog", "storage_backup.services",
                                                    "storage_backup.control", "storage_backup.rest"))}, modules


def test_the_vault_worker_loads_no_catalog_and_no_celery(tmp_path):
    """It talks to the REST API only (its narrow credential), never to Redis nor the catalog."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    modules = loaded(["storage_backup.vault.worker", "storage_backup.cli"], env, tmp_path)
    assert "storage_backup.vault.worker" in modules
    assert not {m for m in modules if m.startswith(("storage_backup.catalog", "storage_backup.services",
                                                    "storage_backup.control", "storage_backup.rest",
                                                    "storage_backup.celery_app", "storage_backup.pipeline"))}, \
        modules
