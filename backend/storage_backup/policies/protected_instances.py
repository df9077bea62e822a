# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of protected instances (``/v1/protected-instances``): instances assigned to a policy."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:protected_instance:list"
LIST_ALL = "storage_backup:protected_instance:list_all"
GET = "storage_backup:protected_instance:get"
CREATE = "storage_backup:protected_instance:create"
DELETE = "storage_backup:protected_instance:delete"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the project's protected instances and how each of its instances is protected.",
        operations=[{"method": "GET", "path": "/v1/protected-instances"},
                    {"method": "GET", "path": "/v1/instance-status"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's protected instances (all_projects=1; without this rule the flag lists "
                    "the caller's project only).",
        operations=[{"method": "GET", "path": "/v1/protected-instances?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show how an instance of the project is protected.",
        operations=[{"method": "GET", "path": "/v1/protected-instances/{instance_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Assign an instance of the project to a policy.",
        operations=[{"method": "POST", "path": "/v1/protected-instances"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Remove the protection of an instance of the project (its restore points stay).",
        operations=[{"method": "DELETE", "path": "/v1/protected-instances/{instance_id}"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
