# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The rules as policy-in-code: every ``storage_backup:*`` rule is documented (description, operations, scope),
named ``storage_backup:<resource>:<action>``, refers only to rules that exist, and the defaults give each role what
the service has always given it."""
from __future__ import annotations

import re

import pytest
from oslo_policy import policy
from storage_backup import policies
from storage_backup.policies import base, enforcer

RULE_NAME = re.compile(r"^storage_backup:[a-z_]+:[a-z_]+$")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _rules() -> list[policy.RuleDefault]:
    return list(policies.list_rules())


def _documented() -> list[policy.DocumentedRuleDefault]:
    return [rule for rule in _rules() if rule.name.startswith("storage_backup:")]


def test_every_rule_has_a_description_operations_and_the_project_scope():
    documented = _documented()
    assert len(documented) >= 40
    for rule in documented:
        assert isinstance(rule, policy.DocumentedRuleDefault), rule.name
        assert RULE_NAME.match(rule.name), rule.name
        assert rule.description.strip().endswith((".", ")")), rule.name
        assert rule.operations, rule.name
        for operation in rule.operations:
            assert operation["method"] in METHODS, (rule.name, operation)
            # the versioned API, or the operators' monitoring beside it (rest/views_operations.py)
            assert operation["path"].startswith("/v1/") or operation["path"] == "/metrics", (rule.name, operation)
        assert rule.scope_types == ["project"], rule.name


def test_names_are_unique_and_base_rules_are_the_only_others():
    names = [rule.name for rule in _rules()]
    assert len(names) == len(set(names))
    assert set(names) - {rule.name for rule in _documented()} == {rule.name for rule in base.list_rules()}


def test_the_defaults_refer_only_to_rules_that_exist():
    checker = enforcer.make_enforcer("/nonexistent/policy.yaml")
    assert checker.check_rules(raise_on_violation=True)


def test_the_horizon_panels_rules_are_kept():
    """The names the plugin's panels and actions use (grep policy_rules in storage_backup_dashboard/)."""
    names = {rule.name for rule in _rules()}
    panels = {"storage_backup:protected_instance:list", "storage_backup:protected_instance:create",
              "storage_backup:protected_instance:delete", "storage_backup:backup:create",
              "storage_backup:policy:list", "storage_backup:policy:create", "storage_backup:policy:update",
              "storage_backup:policy:delete", "storage_backup:restore_point:list",
              "storage_backup:restore_point:restore", "storage_backup:restore_point:delete",
              "storage_backup:job:list", "storage_backup:job:cancel", "storage_backup:admin:overview",
              "storage_backup:proxy:list", "storage_backup:destination:list", "storage_backup:destination:create",
              "storage_backup:destination:update", "storage_backup:job:list_all",
              "storage_backup:restore_point:list_all", "storage_backup:policy:list_all",
              "storage_backup:policy:create_shared", "storage_backup:usage:list_all"}
    assert panels <= names, sorted(panels - names)


READER = {"roles": ["reader"], "project_id": "p1", "user_id": "u1"}
MEMBER = {"roles": ["member"], "project_id": "p1", "user_id": "u2"}
ADMIN = {"roles": ["admin"], "project_id": "ops", "user_id": "u3"}
SYSTEM_SCOPED = {"roles": ["admin"], "project_id": None, "user_id": "u4", "system_scope": "all"}


@pytest.fixture(scope="module")
def defaults() -> policy.Enforcer:
    return enforcer.make_enforcer("/nonexistent/policy.yaml")


def _allowed(checker: policy.Enforcer, rule: str, credentials: dict, project_id: str = "p1") -> bool:
    return bool(checker.authorize(rule, {"project_id": project_id}, dict(credentials), do_raise=False))


VAULT = {"roles": ["backup_vault"], "project_id": "service", "user_id": "u5"}


def _vault_rules() -> list[str]:
    return [rule.name for rule in _documented() if rule.check_str == base.VAULT_WORKER]


@pytest.mark.parametrize("rule", [rule.name for rule in _documented() if rule.check_str != base.VAULT_WORKER])
def test_defaults_readers_read_members_act_admins_administer(defaults, rule):
    check = next(r for r in _documented() if r.name == rule).check_str
    admin_only = check == base.ADMIN
    read = check == base.PROJECT_READER_OR_ADMIN
    assert admin_only or read or check == base.PROJECT_MEMBER_OR_ADMIN, (rule, check)
    assert _allowed(defaults, rule, ADMIN)
    assert _allowed(defaults, rule, MEMBER) is not admin_only
    assert _allowed(defaults, rule, READER) is read
    # A project role counts in its own project only.
    assert not _allowed(defaults, rule, MEMBER, project_id="p2")
    assert not _allowed(defaults, rule, READER, project_id="p2")
    # The API takes project-scoped tokens only: a system-scoped admin is refused by every rule.
    assert not _allowed(defaults, rule, SYSTEM_SCOPED)
    # The vault worker's role opens nothing else, in any project.
    assert not _allowed(defaults, rule, VAULT, project_id="service")
    assert not _allowed(defaults, rule, VAULT)


@pytest.mark.parametrize("rule", ["storage_backup:vault:work", "storage_backup:vault:report"])
def test_only_the_vault_role_reaches_the_vault_workers_rules(defaults, rule):
    assert rule in _vault_rules()
    assert _allowed(defaults, rule, VAULT, project_id="service")
    for caller in (ADMIN, MEMBER, READER, SYSTEM_SCOPED):
        assert not _allowed(defaults, rule, caller), caller
        assert not _allowed(defaults, rule, caller, project_id=caller.get("project_id") or "p1"), caller
