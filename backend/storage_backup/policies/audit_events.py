# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of the audit log (``/v1/audit-events``): every mutating action, who did it and how it ended."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:audit_event:list"
LIST_ALL = "storage_backup:audit_event:list_all"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the project's audit events.",
        operations=[{"method": "GET", "path": "/v1/audit-events"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's audit events (all_projects=1; without this rule the flag lists the "
                    "caller's project only).",
        operations=[{"method": "GET", "path": "/v1/audit-events?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
