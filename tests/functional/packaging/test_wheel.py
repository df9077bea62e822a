# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What operators install: four distributions, each holding its own part and pulling only what that part needs.

- ``storage-backup-dashboard`` (the repository root): the Horizon plugin alone, for Horizon hosts. Its wheel holds
  ``storage_backup_dashboard`` and the enabled files, and neither it nor anything it requires brings Celery, the
  Django REST framework, the service or the embedded cloud.
- ``storage-backup-client`` (``client/``): the REST client and the ``openstack storage backup`` CLI plugin, for
  wherever ``openstack`` runs; the Horizon plugin requires it for the same client. Nothing of Horizon or Django.
- ``storage-backup`` (``backend/``): the service and the proxy workers, package ``storage_backup``.
- ``storage-backup-sandbox`` (``backend/sandbox/``): the embedded cloud, the launcher and the demo's passwords,
  which no operator installs.
"""
from __future__ import annotations

import email.parser
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Names as pip normalises them (PEP 503).
NOT_ON_HORIZON_HOSTS = {"celery", "djangorestframework", "drf-spectacular", "storage-backup", "storage-backup-sandbox",
                        "werkzeug", "kombu", "redis"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, zipfile.ZipFile]:
    """The four wheels, built from a copy of the tracked files without .git (as from a source tarball)."""
    tmp = tmp_path_factory.mktemp("wheels")
    source = tmp / "source"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if not os.path.isfile(os.path.join(REPO_ROOT, name)):
            continue  # deleted in the work tree, not yet in the index
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(open(os.path.join(REPO_ROOT, name), "rb").read())
    # pbr takes the version from here; no build isolation, so nothing is downloaded.
    env = dict(os.environ, PBR_VERSION="0.0.0.dev0")
    built = {}
    for folder, distribution in (("", "storage_backup_dashboard"), ("client", "storage_backup_client"),
                                 ("backend", "storage_backup"),
                                 ("backend/sandbox", "storage_backup_sandbox")):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                        str(tmp / "dist"), str(source / folder)], check=True, env=env, capture_output=True)
        [wheel] = (tmp / "dist").glob(f"{distribution}-*.whl")
        built[distribution] = zipfile.ZipFile(wheel)
    return built


def _packages(wheel: zipfile.ZipFile) -> set[str]:
    return {name.split("/")[0] for name in wheel.namelist() if ".dist-info/" not in name and ".data/" not in name}


def _requires(wheel: zipfile.ZipFile) -> list[str]:
    [metadata] = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    message = email.parser.Parser().parsestr(wheel.read(metadata).decode())
    return message.get_all("Requires-Dist") or []


def _name(requirement: str) -> str:
    return _normalise(re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0))


def _closure(requirements: list[str]) -> set[str]:
    """Every distribution the requirements pull in, transitively, as installed here (no index is asked)."""
    seen: set[str] = set()
    todo = [r for r in requirements if "extra ==" not in r]
    while todo:
        name = _name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional dependency not installed here
        todo.extend(r for r in requires if "extra ==" not in r)
    return seen


def test_the_plugin_wheel_holds_the_plugin_alone(wheels):
    wheel = wheels["storage_backup_dashboard"]
    names = set(wheel.namelist())
    data = "storage_backup_dashboard-0.0.0.dev0.data/data/share/storage-backup-dashboard/enabled/"
    expected = {
        "storage_backup_dashboard/api/backup.py",
        "storage_backup_dashboard/client.py",
        "storage_backup_dashboard/dashboards/project/protected_instances/panel.py",
        "storage_backup_dashboard/conf/storage_backup_policy.yaml",
        "storage_backup_dashboard/local_settings.d/_9000_storage_backup.py",
        "storage_backup_dashboard/locale/de/LC_MESSAGES/django.mo",
        data + "_9010_project_backup_panel_group.py",
        data + "_9180_admin_backup_usage_panel.py",
    }
    assert expected <= names, sorted(expected - names)
    assert _packages(wheel) == {"storage_backup_dashboard"}
    assert any(name.endswith("LICENSE") for name in names)


def test_the_plugin_pulls_no_celery_no_rest_framework_no_service_no_sandbox(wheels):
    requires = _requires(wheels["storage_backup_dashboard"])
    assert {_name(r) for r in requires} >= {"horizon", "keystoneauth1"}
    pulled = _closure(requires)
    assert "horizon" in pulled and "django" in pulled, "the closure walk found nothing: it proves nothing"
    assert not pulled & NOT_ON_HORIZON_HOSTS, sorted(pulled & NOT_ON_HORIZON_HOSTS)


def test_the_client_wheel_holds_the_client_and_the_cli_plugin_and_pulls_no_horizon(wheels):
    wheel = wheels["storage_backup_client"]
    assert _packages(wheel) == {"storage_backup_client"}
    names = set(wheel.namelist())
    assert {"storage_backup_client/client.py", "storage_backup_client/osc/plugin.py",
            "storage_backup_client/osc/v1/jobs.py"} <= names
    [entry_points] = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "[openstack.cli.extension]\nstorage_backup = storage_backup_client.osc.plugin" in text
    assert "storage_backup_job_show = storage_backup_client.osc.v1.jobs:ShowJob" in text
    requires = _requires(wheel)
    assert {_name(r) for r in requires} >= {"keystoneauth1", "osc-lib"}
    pulled = _closure(requires)
    assert "keystoneauth1" in pulled and "cliff" in pulled, "the closure walk found nothing: it proves nothing"
    assert not pulled & (NOT_ON_HORIZON_HOSTS | {"horizon", "django", "storage-backup-dashboard"}), pulled
    assert "storage-backup-client" in {_name(r) for r in _requires(wheels["storage_backup_dashboard"])}


def test_the_service_wheel_holds_the_service_and_no_sandbox(wheels):
    wheel = wheels["storage_backup"]
    assert _packages(wheel) == {"storage_backup"}
    names = set(wheel.namelist())
    assert {"storage_backup/celery_app.py", "storage_backup/proxy/tasks.py", "storage_backup/rest/wsgi.py",
            "storage_backup/catalog/migrations/0001_initial.py"} <= names
    # The demo's passwords live in the sandbox only.
    for name in names:
        if name.endswith(".py"):
            assert b"demo-secret" not in wheel.read(name), name
    requires = {_name(r) for r in _requires(wheel) if "extra ==" not in r}
    assert "celery" in requires and "storage-backup-dashboard" not in requires
    extras = {_name(r) for r in _requires(wheel) if "extra ==" in r}
    assert {"djangorestframework", "psycopg", "mysqlclient"} <= extras


def test_the_sandbox_is_its_own_distribution(wheels):
    wheel = wheels["storage_backup_sandbox"]
    assert _packages(wheel) == {"storage_backup_sandbox"}
    assert "storage_backup_sandbox/launch.py" in wheel.namelist()


BLOCKER = """
import importlib.abc, sys
BLOCKED = ("celery", "rest_framework", "drf_spectacular", "storage_backup", "storage_backup_sandbox", "kombu")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"the plugin imported {name}, which a Horizon host does not have")
sys.meta_path.insert(0, Block())
import os, pkgutil, importlib, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.dashboard.settings"
django.setup()
import storage_backup_dashboard
count = 0
for module in pkgutil.walk_packages(storage_backup_dashboard.__path__, "storage_backup_dashboard."):
    importlib.import_module(module.name)
    count += 1
print(count)
"""


def test_every_plugin_module_imports_without_the_service(tmp_path):
    """The plugin runs where only Horizon and the plugin are installed: importing each of its modules must not
    touch Celery, DRF, the service or the embedded cloud."""
    result = subprocess.run([sys.executable, "-c", BLOCKER], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) > 30
