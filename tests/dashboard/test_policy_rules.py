# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The plugin's policy scope covers every action: each panel and action rule has a default (the service's own, in
``conf/default_policies/storage_backup.yaml``) and a commented line in the operator's file, readers only read, members
change their project's backups, administrators reach the Admin panels."""
import inspect
import re

import horizon
import yaml
from django.conf import settings
from django.test.utils import override_settings
from horizon import tables
from openstack_auth import policy

from storage_backup_dashboard.dashboards.admin.backup_destinations import tables as destination_tables
from storage_backup_dashboard.dashboards.admin.backup_jobs import tables as admin_job_tables
from storage_backup_dashboard.dashboards.admin.backup_policies import tables as admin_policy_tables
from storage_backup_dashboard.dashboards.admin.backup_usage import tables as usage_tables
from storage_backup_dashboard.dashboards.admin.restore_points import tables as admin_point_tables
from storage_backup_dashboard.dashboards.project.backup_jobs import tables as job_tables
from storage_backup_dashboard.dashboards.project.backup_policies import tables as policy_tables
from storage_backup_dashboard.dashboards.project.protected_instances import tables as instance_tables
from storage_backup_dashboard.dashboards.project.restore_points import tables as point_tables
from storage_backup_dashboard.dashboards.project.webhooks import tables as webhook_tables
from tests.dashboard import helpers as backup_helpers

MODULES = (instance_tables, policy_tables, point_tables, job_tables, destination_tables, admin_job_tables,
           admin_policy_tables, admin_point_tables, usage_tables, webhook_tables)
WRITES = {"storage_backup:protected_instance:create", "storage_backup:protected_instance:delete",
          "storage_backup:backup:create", "storage_backup:policy:create", "storage_backup:policy:update",
          "storage_backup:policy:delete", "storage_backup:restore_point:restore", "storage_backup:restore_point:delete",
          "storage_backup:job:cancel", "storage_backup:restore_point:verify", "storage_backup:webhook:create",
          "storage_backup:webhook:update", "storage_backup:webhook:delete", "storage_backup:restore_point:revert",
          "storage_backup:vault_copy:recover"}
# Writes of the service's API that no panel offers (yet).
API_WRITES = {"storage_backup:restore_point:lock"}
# The files inside a restore point are the tenant's data itself: reading them is a restore in all but name, so
# members only, like a restore.
DATA_READS = {"storage_backup:restore_point:browse_files", "storage_backup:restore_point:restore_files"}
# Besides every *_all and *_shared rule.
ADMIN_ONLY = {"storage_backup:admin:overview", "storage_backup:proxy:list", "storage_backup:destination:list",
              "storage_backup:destination:create", "storage_backup:destination:update", "storage_backup:quota:update",
              "storage_backup:destination:delete",
              "storage_backup:destination:prune", "storage_backup:destination:rebuild",
              "storage_backup:proxy_key:list", "storage_backup:proxy_key:create", "storage_backup:proxy_key:delete",
              "storage_backup:destination:show_location", "storage_backup:admin:metrics"}


def _default_rules() -> list[str]:
    with open(settings.DEFAULT_POLICY_FILES["storage_backup"]) as handle:
        return [entry["name"] for entry in yaml.safe_load(handle)]


def _operator_file_rules() -> list[str]:
    """The rules of the operator's file: each a commented-out line, so the defaults apply until one is changed."""
    with open(settings.POLICY_FILES["storage_backup"]) as handle:
        text = handle.read()
    assert not yaml.safe_load(text), "a rule is set in the shipped operator file; only commented lines belong there"
    return re.findall(r'^#"([^"]+)":', text, flags=re.MULTILINE)


def _used_rules() -> set:
    used = set()
    for module in MODULES:
        for _name, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, tables.actions.BaseAction) and member.__module__ == module.__name__:
                rules = getattr(member, "policy_rules", None) or ()
                used |= {rule for scope, rule in rules if scope == "storage_backup"}
    for dashboard in ("project", "admin"):
        for panel in horizon.get_dashboard(dashboard).get_panels():
            used |= {rule for scope, rule in getattr(panel, "policy_rules", None) or () if scope == "storage_backup"}
    return used


def test_every_rule_used_is_shipped_with_a_default():
    defaults = _default_rules()
    used = _used_rules()
    assert WRITES <= used, sorted(WRITES - used)
    assert used <= set(defaults), sorted(used - set(defaults))
    assert _operator_file_rules() == defaults


class RoleTests(backup_helpers.TestCase):

    def setUp(self):
        super().setUp()
        policy.reset()
        self.addCleanup(policy.reset)

    def _allowed(self, rule: str, *roles: str) -> bool:
        self.setActiveUser(id=self.user.id, token=self.token, username=self.user.name, tenant_id=self.tenant.id,
                           service_catalog=self.service_catalog, authorized_tenants=self.tenants.list(),
                           roles=[{"id": str(n), "name": role} for n, role in enumerate(roles)])
        request = self.factory.get("/")
        request.user = self.request.user
        with override_settings(POLICY_CHECK_FUNCTION="openstack_auth.policy.check"):
            return policy.check((("storage_backup", rule),), request)

    def test_readers_read_members_write_admins_administer(self):
        rules = [rule for rule in _default_rules()
                 if rule.startswith("storage_backup:") and not rule.startswith("storage_backup:vault:")]
        assert len(rules) > len(WRITES | API_WRITES | ADMIN_ONLY)
        for rule in rules:
            admin_only = rule in ADMIN_ONLY or rule.endswith(("_all", "_shared"))
            with self.subTest(rule=rule):
                self.assertTrue(self._allowed(rule, "admin"))
                self.assertEqual(self._allowed(rule, "member"), not admin_only)
                self.assertEqual(self._allowed(rule, "reader"),
                                 not admin_only and rule not in WRITES | API_WRITES | DATA_READS)
                self.assertFalse(self._allowed(rule, "load-balancer_observer"))

    def test_only_the_vault_role_reaches_the_vault_rules(self):
        rules = [rule for rule in _default_rules() if rule.startswith("storage_backup:vault:")]
        assert rules
        for rule in rules:
            with self.subTest(rule=rule):
                self.assertTrue(self._allowed(rule, "backup_vault"))
                for role in ("admin", "member", "reader"):
                    self.assertFalse(self._allowed(rule, role))
