# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of on-demand backups (``/v1/backups``); scheduled backups are the control plane's own and need none."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

CREATE = "storage_backup:backup:create"

rules = [
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Start a backup of a protected instance of the project now.",
        operations=[{"method": "POST", "path": "/v1/backups"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
