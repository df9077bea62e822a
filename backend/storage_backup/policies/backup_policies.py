# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of backup policies (``/v1/policies``): schedule, retention, destination, lock, commands, auto-assignment.

A published (shared) policy belongs to no project: it is offered to every project, so reading it is checked against
the caller's own project, and changing it has rules of its own.
"""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:policy:list"
LIST_ALL = "storage_backup:policy:list_all"
GET = "storage_backup:policy:get"
CREATE = "storage_backup:policy:create"
CREATE_SHARED = "storage_backup:policy:create_shared"
UPDATE = "storage_backup:policy:update"
UPDATE_SHARED = "storage_backup:policy:update_shared"
DELETE = "storage_backup:policy:delete"
DELETE_SHARED = "storage_backup:policy:delete_shared"
PREVIEW_SCHEDULE = "storage_backup:policy:preview_schedule"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the policies the project may use: its own and the published ones.",
        operations=[{"method": "GET", "path": "/v1/policies"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's policies (all_projects=1; without this rule the flag lists the "
                    "caller's project only).",
        operations=[{"method": "GET", "path": "/v1/policies?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show a policy of the project or a published one.",
        operations=[{"method": "GET", "path": "/v1/policies/{policy_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Create a policy of the project.",
        operations=[{"method": "POST", "path": "/v1/policies"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CREATE_SHARED, check_str=base.ADMIN,
        description="Publish a policy for every project, or create one for another project than the caller's.",
        operations=[{"method": "POST", "path": "/v1/policies"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=UPDATE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Change a policy of the project.",
        operations=[{"method": "PATCH", "path": "/v1/policies/{policy_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=UPDATE_SHARED, check_str=base.ADMIN,
        description="Change a policy published for every project.",
        operations=[{"method": "PATCH", "path": "/v1/policies/{policy_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Delete a policy of the project that protects no instance.",
        operations=[{"method": "DELETE", "path": "/v1/policies/{policy_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE_SHARED, check_str=base.ADMIN,
        description="Delete a policy published for every project that protects no instance.",
        operations=[{"method": "DELETE", "path": "/v1/policies/{policy_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=PREVIEW_SCHEDULE, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Preview the next runs of a schedule, as the policy form does while it is typed.",
        operations=[{"method": "GET", "path": "/v1/schedule-preview"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
