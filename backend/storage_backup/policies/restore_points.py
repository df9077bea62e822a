# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of restore points (``/v1/restore-points``): reading them, locking, restoring, reverting in place,
verifying, deleting.

A retention lock (WORM) is not a rule: a locked restore point cannot be deleted by anyone, whatever the policy.
"""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:restore_point:list"
LIST_ALL = "storage_backup:restore_point:list_all"
GET = "storage_backup:restore_point:get"
LOCK = "storage_backup:restore_point:lock"
RESTORE = "storage_backup:restore_point:restore"
REVERT = "storage_backup:restore_point:revert"
VERIFY = "storage_backup:restore_point:verify"
DELETE = "storage_backup:restore_point:delete"
BROWSE_FILES = "storage_backup:restore_point:browse_files"
RESTORE_FILES = "storage_backup:restore_point:restore_files"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the project's restore points.",
        operations=[{"method": "GET", "path": "/v1/restore-points"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's restore points (all_projects=1; without this rule the flag lists the "
                    "caller's project only).",
        operations=[{"method": "GET", "path": "/v1/restore-points?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show a restore point of the project and the instance it recorded.",
        operations=[{"method": "GET", "path": "/v1/restore-points/{restore_point_id}"},
                    {"method": "GET", "path": "/v1/restore-points/{restore_point_id}/instance"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LOCK, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Set or extend the retention lock of a restore point of the project (never shorten it).",
        operations=[{"method": "PATCH", "path": "/v1/restore-points/{restore_point_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=RESTORE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Restore an instance or a volume of the project from a restore point.",
        operations=[{"method": "POST", "path": "/v1/restore-points/{restore_point_id}/restore"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=REVERT, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Revert an instance or a volume of the project in place to a restore point, overwriting the "
                    "original volumes (the request must confirm it).",
        operations=[{"method": "POST", "path": "/v1/restore-points/{restore_point_id}/revert"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=VERIFY, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Verify a restore point of the project: read every chunk and check its hash.",
        operations=[{"method": "POST", "path": "/v1/restore-points/{restore_point_id}/verify"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Delete a restore point of the project that is not locked.",
        operations=[{"method": "DELETE", "path": "/v1/restore-points/{restore_point_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=BROWSE_FILES, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="List and search the files inside a volume of a restore point of the project.",
        operations=[{"method": "GET", "path": "/v1/restore-points/{restore_point_id}/volumes/{volume_id}/files"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=RESTORE_FILES, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Download a file or folder from a volume of a restore point of the project.",
        operations=[{"method": "POST",
                     "path": "/v1/restore-points/{restore_point_id}/volumes/{volume_id}/files/download"},
                    {"method": "GET", "path": "/v1/jobs/{job_id}/download"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
