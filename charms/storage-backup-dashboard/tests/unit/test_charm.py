# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""State-transition tests of the storage-backup-dashboard subordinate: every hook it observes, against the real
wheel of the plugin and a Horizon tree laid out as openstack-dashboard's (``openstack_dir``)."""
from __future__ import annotations

import json
import os

import charm
import pytest
from charm_testing import CommandLog, make_charm_root
from ops import testing

CHARM = "storage-backup-dashboard"


@pytest.fixture
def commands(monkeypatch) -> CommandLog:
    log = CommandLog()
    monkeypatch.setattr(charm, "run", log)
    return log


@pytest.fixture
def horizon(tmp_path) -> str:
    openstack_dir = tmp_path / "openstack-dashboard"
    (openstack_dir / "openstack_dashboard" / "local" / "enabled").mkdir(parents=True)
    return str(openstack_dir)


def context(tmp_path, wheel_dir) -> testing.Context:
    return testing.Context(charm.StorageBackupDashboardCharm,
                           charm_root=make_charm_root(CHARM, tmp_path, wheel_dir))


def principal_relation(openstack_dir: str | None) -> testing.SubordinateRelation:
    data = {"release": "caracal", "bin_path": "/usr/bin"}
    if openstack_dir:
        data["openstack_dir"] = openstack_dir
    return testing.SubordinateRelation("dashboard", remote_app_name="openstack-dashboard", remote_unit_data=data)


#: The plugin's enabled files as this repository holds them, and how many of them are panels (not panel groups).
REPO_ENABLED = sorted(name for name in os.listdir(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                                                                "enabled")) if name.startswith("_9"))
PANELS = len([name for name in REPO_ENABLED if "panel_group" not in name])


def enabled_files(openstack_dir: str) -> list[str]:
    return sorted(os.listdir(os.path.join(openstack_dir, "openstack_dashboard", "local", "enabled")))


def test_install_without_the_wheel_blocks(tmp_path, commands):
    ctx = context(tmp_path, None)
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.BlockedStatus(
        "no storage_backup_dashboard-*.whl in the charm: pack it with its wheel")
    assert commands == []


def test_install_waits_for_the_principal(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.WaitingStatus("waiting for openstack-dashboard")
    assert commands == []


def test_relation_without_openstack_dir_waits(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    relation = principal_relation(None)
    out = ctx.run(ctx.on.relation_changed(relation), testing.State(relations={relation}))
    assert out.unit_status == testing.WaitingStatus("waiting for openstack-dashboard")
    assert out.get_relation(relation.id).local_unit_data.get("local-settings") is None
    assert commands == []


def test_relation_changed_installs_the_plugin_and_publishes_what_the_principal_reads(
        tmp_path, wheel_dir, commands, horizon):
    ctx = context(tmp_path, wheel_dir)
    relation = principal_relation(horizon)
    out = ctx.run(ctx.on.relation_changed(relation), testing.State(relations={relation}))

    enabled = enabled_files(horizon)
    assert enabled == REPO_ENABLED and enabled[0] == "_9010_project_backup_panel_group.py"
    assert os.path.exists(os.path.join(horizon, "openstack_dashboard", "local", "local_settings.d",
                                       "_9000_storage_backup.py"))
    data = out.get_relation(relation.id).local_unit_data
    # openstack-dashboard's LocalSettingsContext json-decodes exactly these four keys.
    assert json.loads(data["priority"]) == "90"
    assert "STORAGE_BACKUP_ENABLED = True" in json.loads(data["local-settings"])
    assert json.loads(data["install-packages"]) == [] and json.loads(data["conflicting-packages"]) == []
    pip = commands[0]
    assert pip[:4] == ["/usr/bin/python3", "-m", "pip", "install"] and pip[-1].endswith(".whl")
    assert [c[2] for c in commands[1:3]] == ["collectstatic", "compress"]
    assert commands[-1] == ["systemctl", "reload", "apache2"]
    assert out.unit_status == testing.ActiveStatus(f"{PANELS} panels enabled")


def test_config_changed_hides_the_panels(tmp_path, wheel_dir, commands, horizon):
    ctx = context(tmp_path, wheel_dir)
    relation = principal_relation(horizon)
    out = ctx.run(ctx.on.config_changed(),
                  testing.State(relations={relation}, config={"enabled": False, "priority": 20}))
    data = out.get_relation(relation.id).local_unit_data
    assert "STORAGE_BACKUP_ENABLED = False" in json.loads(data["local-settings"])
    assert json.loads(data["priority"]) == "20"
    assert out.unit_status == testing.ActiveStatus("installed, panels hidden (enabled=false)")


def test_upgrade_charm_reinstalls(tmp_path, wheel_dir, commands, horizon):
    ctx = context(tmp_path, wheel_dir)
    relation = principal_relation(horizon)
    out = ctx.run(ctx.on.upgrade_charm(), testing.State(relations={relation}))
    assert len(commands.named("install")) == 1 and enabled_files(horizon) == REPO_ENABLED
    assert out.unit_status.name == "active"


@pytest.mark.parametrize("event", ["relation_broken", "remove"])
def test_departure_removes_exactly_what_was_installed(tmp_path, wheel_dir, commands, horizon, event):
    ctx = context(tmp_path, wheel_dir)
    relation = principal_relation(horizon)
    other_plugin = os.path.join(horizon, "openstack_dashboard", "local", "enabled", "_1720_project_dns_panel.py")
    open(other_plugin, "w").close()
    installed = ctx.run(ctx.on.relation_changed(relation), testing.State(relations={relation}))
    commands.clear()

    trigger = (ctx.on.relation_broken(installed.get_relation(relation.id)) if event == "relation_broken"
               else ctx.on.remove())
    out = ctx.run(trigger, installed)

    assert enabled_files(horizon) == ["_1720_project_dns_panel.py"]
    assert not os.path.exists(os.path.join(horizon, "openstack_dashboard", "local", "local_settings.d",
                                           "_9000_storage_backup.py"))
    assert commands.named("uninstall") and commands[-1] == ["systemctl", "reload", "apache2"]
    # A second departure has nothing left to remove.
    commands.clear()
    ctx.run(ctx.on.remove(), out)
    assert commands == []
