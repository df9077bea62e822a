# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of project quotas (``/v1/quotas/{project_id}``): protected instances, restore points, stored bytes."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

GET = "storage_backup:quota:get"
UPDATE = "storage_backup:quota:update"

rules = [
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show the project's quota.",
        operations=[{"method": "GET", "path": "/v1/quotas/{project_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=UPDATE, check_str=base.ADMIN,
        description="Set a project's quota.",
        operations=[{"method": "PUT", "path": "/v1/quotas/{project_id}"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
