# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The check strings every ``storage_backup:*`` rule is made of, defined once.

Roles are Keystone's defaults: ``reader`` reads a project's backups, ``member`` acts on them, ``admin`` is a cloud
administrator (the role in any project, as the service has always read it). ``project_id:%(project_id)s`` is the
ownership check: the caller's project must be the project of the object acted on (the *target*), so a project role
counts in its own project only. The rules name every role they admit instead of relying on Keystone's implied roles
(admin ⊃ member ⊃ reader), so a cloud without those implications behaves the same.

Which project's objects a caller reaches at all is not a rule: the service layer answers 404 for another project's
object before any rule is checked, so no rule, default or overridden, opens one project's objects to another's
members. The rules decide which role may do which action.
"""
from __future__ import annotations

from oslo_policy import policy

# The API accepts project-scoped tokens only (every object belongs to a project): every rule is project-scoped.
PROJECT_SCOPE = ["project"]

ADMIN = "rule:admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
VAULT_WORKER = "rule:vault_worker"
#: The vault worker's dedicated role: it grants the ``storage_backup:vault:*`` rules and nothing else.
VAULT_ROLE = "backup_vault"

base_rules = [
    policy.RuleDefault(
        "admin", "role:admin",
        description="A cloud administrator: the admin role, in any project."),
    policy.RuleDefault(
        "project_reader", "role:reader and project_id:%(project_id)s",
        description="A reader of the project the object belongs to."),
    policy.RuleDefault(
        "project_member", "role:member and project_id:%(project_id)s",
        description="A member of the project the object belongs to."),
    policy.RuleDefault(
        "project_member_or_admin", "rule:project_member or rule:admin",
        description="Who may change a project's backups: its members and the cloud administrators."),
    policy.RuleDefault(
        "project_reader_or_admin", "rule:project_reader or rule:project_member or rule:admin",
        description="Who may see a project's backups: its readers and members, and the cloud administrators."),
    policy.RuleDefault(
        "vault_worker", f"role:{VAULT_ROLE}",
        description="The vault worker: the dedicated backup_vault role, which grants nothing else (not even to an "
                    "administrator without it)."),
]


def list_rules() -> list[policy.RuleDefault]:
    return base_rules
