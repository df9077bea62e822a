# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The plugin's enabled files: constants only, and Horizon merges what they declare."""
import ast
import glob
import os

from django.conf import settings
from django.test.utils import override_settings
from openstack_dashboard.test import helpers

from storage_backup_dashboard import exceptions
from storage_backup_dashboard.dashboards.project.protected_instances.panel import ProtectedInstances

ENABLED_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "enabled")


def _enabled_files() -> list[str]:
    return sorted(glob.glob(os.path.join(ENABLED_DIR, "_9*.py")))


def test_enabled_files_hold_only_imports_and_constants():
    assert [os.path.basename(path) for path in _enabled_files()] == [
        "_9010_project_backup_panel_group.py", "_9020_project_protected_instances_panel.py",
        "_9030_project_backup_policies_panel.py", "_9040_project_restore_points_panel.py",
        "_9050_project_backup_jobs_panel.py", "_9060_project_backup_webhooks_panel.py",
        "_9110_admin_backup_panel_group.py",
        "_9120_admin_backup_overview_panel.py", "_9130_admin_backup_proxies_panel.py",
        "_9140_admin_backup_destinations_panel.py", "_9150_admin_backup_jobs_panel.py",
        "_9160_admin_restore_points_panel.py", "_9170_admin_backup_policies_panel.py",
        "_9180_admin_backup_usage_panel.py"]
    for path in _enabled_files():
        with open(path) as handle:
            tree = ast.parse(handle.read(), path)
        for node in tree.body:
            assert isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign)), f"{path}:{node.lineno} is not a constant"
            if isinstance(node, ast.Assign):
                assert all(isinstance(target, ast.Name) and target.id.isupper() for target in node.targets)
                calls = [call for call in ast.walk(node.value) if isinstance(call, ast.Call)]
                # gettext_lazy (spelled _) is the one call an enabled file makes, as Horizon's own do
                assert all(isinstance(call.func, ast.Name) and call.func.id == "_" for call in calls), path


def test_horizon_merged_the_plugin_app_and_its_exceptions():
    assert "storage_backup_dashboard" in settings.INSTALLED_APPS
    assert exceptions.BackupServiceUnavailable in settings.HORIZON_CONFIG["exceptions"]["recoverable"]
    assert exceptions.BackupNotFound in settings.HORIZON_CONFIG["exceptions"]["not_found"]
    assert "storage_backup/js/storage_backup.js" in settings.HORIZON_CONFIG["js_files"]
    assert settings.POLICY_FILES["storage_backup"].endswith("storage_backup_policy.yaml")
    assert os.path.exists(settings.POLICY_FILES["storage_backup"])
    assert os.path.exists(settings.DEFAULT_POLICY_FILES["storage_backup"])


class PanelRegistrationTests(helpers.TestCase):

    def test_the_panels_register_unless_the_operator_switches_the_plugin_off(self):
        import horizon

        groups = {"project": ["protected_instances", "backup_policies", "restore_points", "backup_jobs",
                              "backup_webhooks"],
                  "admin": ["backup_overview", "backup_proxies", "backup_destinations", "backup_jobs",
                            "restore_points", "backup_policies", "backup_usage"]}
        for dashboard, slugs in groups.items():
            group = horizon.get_dashboard(dashboard).get_panel_group("backup")
            self.assertEqual([panel.slug for panel in group], slugs)
            for panel in group:
                self.assertTrue(panel.can_register())
                with override_settings(STORAGE_BACKUP_ENABLED=False):
                    self.assertFalse(panel.can_register())
        self.assertTrue(ProtectedInstances.can_register())
