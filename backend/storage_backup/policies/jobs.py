# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of jobs (``/v1/jobs``): backups, restores and verifications as the catalog tracks them."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:job:list"
LIST_ALL = "storage_backup:job:list_all"
GET = "storage_backup:job:get"
CANCEL = "storage_backup:job:cancel"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the project's jobs and their progress.",
        operations=[{"method": "GET", "path": "/v1/jobs"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's jobs (all_projects=1; without this rule the flag lists the caller's "
                    "project only).",
        operations=[{"method": "GET", "path": "/v1/jobs?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show a job of the project with its progress and step log.",
        operations=[{"method": "GET", "path": "/v1/jobs/{job_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CANCEL, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Cancel a queued or running job of the project.",
        operations=[{"method": "POST", "path": "/v1/jobs/{job_id}/cancel"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
