#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""storage-backup-dashboard: the Horizon plugin, a subordinate of openstack-dashboard (interface dashboard-plugin).

What the principal gives (its unit's data): ``openstack_dir`` (Horizon's tree, e.g. /usr/share/openstack-dashboard),
``bin_path`` (where its python3 is) and ``release``. What it reads from us (our unit's data, each JSON-encoded:
openstack-dashboard's LocalSettingsContext decodes exactly these keys): ``local-settings`` (appended to its
local_settings.py), ``priority`` (the order among plugins), ``install-packages`` and ``conflicting-packages``
(apt packages it installs or purges for us; none: the plugin is a wheel, not an Ubuntu package).

The plugin itself goes in as the principal's README says for any Horizon: the wheel into Horizon's Python,
every enabled file into ``local/enabled/`` and the policy scope file into ``local/local_settings.d/`` — the
enabled files are taken from the wheel itself, so the panels are always those of the installed version.
"""
from __future__ import annotations

import glob
import json
import logging
import os
import subprocess
import zipfile

import ops

LOG = logging.getLogger(__name__)
RELATION = "dashboard"
DISTRIBUTION = "storage-backup-dashboard"
WHEEL_GLOB = "storage_backup_dashboard-*.whl"
# Inside the wheel: the enabled files (setup.cfg data_files) and the Horizon settings file of the plugin.
ENABLED_PREFIX = "share/storage-backup-dashboard/enabled/"
SETTINGS_MEMBER = "storage_backup_dashboard/local_settings.d/_9000_storage_backup.py"
SETTINGS_NAME = "_9000_storage_backup.py"
COMMAND_TIMEOUT = 600


def run(command: list[str]) -> None:
    """One workload command; its output goes to the unit's log, a failure raises (the hook errors and is retried)."""
    LOG.info("running %s", " ".join(command))
    subprocess.run(command, check=True, timeout=COMMAND_TIMEOUT)


def _relation_value(text: str | None) -> str:
    """The principal sets plain strings (classic hooks) or JSON strings (reactive/ops charms): accept both."""
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str) else text


class StorageBackupDashboardCharm(ops.CharmBase):
    # What we installed where (JSON), so that departure removes exactly that even when the principal's data is gone.
    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(installed="")
        framework.observe(self.on.install, self._on_install)
        framework.observe(self.on.config_changed, self._on_changed)
        framework.observe(self.on.upgrade_charm, self._on_changed)
        framework.observe(self.on[RELATION].relation_changed, self._on_changed)
        framework.observe(self.on[RELATION].relation_broken, self._on_broken)
        framework.observe(self.on.remove, self._on_remove)

    # -- where things are --------------------------------------------------------------------------------------

    def wheel(self) -> str | None:
        found = sorted(glob.glob(os.path.join(str(self.charm_dir), "workload", WHEEL_GLOB)))
        return found[-1] if found else None

    def principal(self) -> dict[str, str] | None:
        """The principal's openstack_dir and bin_path, once it has sent them."""
        relation = self.model.get_relation(RELATION)
        if relation is None:
            return None
        for unit in relation.units:
            data = relation.data[unit]
            openstack_dir = _relation_value(data.get("openstack_dir"))
            if openstack_dir:
                return {"openstack_dir": openstack_dir,
                        "bin_path": _relation_value(data.get("bin_path")) or "/usr/bin"}
        return None

    @staticmethod
    def local_dir(openstack_dir: str) -> str:
        return os.path.join(openstack_dir, "openstack_dashboard", "local")

    # -- hooks -------------------------------------------------------------------------------------------------

    def _on_install(self, event: ops.InstallEvent) -> None:
        if self.wheel() is None:
            self.unit.status = ops.BlockedStatus(f"no {WHEEL_GLOB} in the charm: pack it with its wheel")
            return
        self.unit.status = ops.WaitingStatus("waiting for openstack-dashboard")

    def _on_changed(self, event: ops.EventBase) -> None:
        wheel = self.wheel()
        if wheel is None:
            self.unit.status = ops.BlockedStatus(f"no {WHEEL_GLOB} in the charm: pack it with its wheel")
            return
        principal = self.principal()
        if principal is None:
            self.unit.status = ops.WaitingStatus("waiting for openstack-dashboard")
            return
        self.unit.status = ops.MaintenanceStatus("installing the plugin")
        python = os.path.join(principal["bin_path"], "python3")
        # --no-deps: Horizon already has everything the plugin imports (its requirements are Horizon's own).
        run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--break-system-packages", wheel])
        names = self._install_files(wheel, principal["openstack_dir"], principal["bin_path"])
        self._publish()
        self._refresh_horizon(principal)
        self.unit.status = ops.ActiveStatus(f"{len(names)} panels enabled" if self.config["enabled"]
                                            else "installed, panels hidden (enabled=false)")

    def _on_broken(self, event: ops.RelationBrokenEvent) -> None:
        principal = self._remembered_principal()
        if principal:
            self._uninstall(principal)
        self.unit.status = ops.WaitingStatus("waiting for openstack-dashboard")

    def _on_remove(self, event: ops.RemoveEvent) -> None:
        principal = self._remembered_principal()
        if principal:
            self._uninstall(principal)

    # -- the work ----------------------------------------------------------------------------------------------

    def _install_files(self, wheel: str, openstack_dir: str, bin_path: str) -> list[str]:
        local = self.local_dir(openstack_dir)
        enabled_dir = os.path.join(local, "enabled")
        settings_dir = os.path.join(local, "local_settings.d")
        os.makedirs(enabled_dir, exist_ok=True)
        os.makedirs(settings_dir, exist_ok=True)
        names = []
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                # data files sit under <name>-<version>.data/data/<path> in a wheel
                _, _, inner = member.partition(".data/data/")
                if inner.startswith(ENABLED_PREFIX) and inner.endswith(".py"):
                    name = os.path.basename(inner)
                    _write(os.path.join(enabled_dir, name), archive.read(member))
                    names.append(name)
            _write(os.path.join(settings_dir, SETTINGS_NAME), archive.read(SETTINGS_MEMBER))
        if not names:
            raise RuntimeError(f"{wheel} has no enabled files under {ENABLED_PREFIX}")
        self._store({"openstack_dir": openstack_dir, "bin_path": bin_path, "enabled": sorted(names)})
        return sorted(p for p in names if "panel_group" not in p)

    def _publish(self) -> None:
        relation = self.model.get_relation(RELATION)
        if relation is None:
            return
        snippet = ("# storage-backup-dashboard (charm): the panels and policy scope are in local/enabled and "
                   "local/local_settings.d\n"
                   f"STORAGE_BACKUP_ENABLED = {bool(self.config['enabled'])!r}\n")
        relation.data[self.unit].update({
            "local-settings": json.dumps(snippet),
            "priority": json.dumps(str(self.config["priority"])),
            "install-packages": json.dumps([]),
            "conflicting-packages": json.dumps([]),
        })

    def _refresh_horizon(self, principal: dict[str, str]) -> None:
        """New panels need their static files collected and compressed, then Apache reloaded."""
        python = os.path.join(principal["bin_path"], "python3")
        manage = os.path.join(principal["openstack_dir"], "manage.py")
        run([python, manage, "collectstatic", "--noinput"])
        run([python, manage, "compress", "--force"])
        run(["systemctl", "reload", "apache2"])

    def _uninstall(self, principal: dict) -> None:
        local = self.local_dir(principal["openstack_dir"])
        for name in principal.get("enabled", []):
            _remove(os.path.join(local, "enabled", name))
        _remove(os.path.join(local, "local_settings.d", SETTINGS_NAME))
        python = os.path.join(principal.get("bin_path", "/usr/bin"), "python3")
        run([python, "-m", "pip", "uninstall", "--yes", "--break-system-packages", DISTRIBUTION])
        run(["systemctl", "reload", "apache2"])
        self._store(None)

    def _store(self, data: dict | None) -> None:
        self._stored.installed = json.dumps(data) if data else ""

    def _remembered_principal(self) -> dict | None:
        return json.loads(self._stored.installed) if self._stored.installed else None


def _write(path: str, content: bytes) -> None:
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


if __name__ == "__main__":  # pragma: nocover
    ops.main(StorageBackupDashboardCharm)
