# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of a project's vault copies whose restore point was deleted (``/v1/vault-copies``): listing them and
putting one back into the catalog as a vault-only restore point (``storage_backup.services.vault_recovery``).

Not the vault worker's rules (``storage_backup:vault:*``, its dedicated role alone): these are the tenant's own, on
its own project's copies; another project's copy is a 404 whatever a rule says.
"""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:vault_copy:list"
LIST_ALL = "storage_backup:vault_copy:list_all"
RECOVER = "storage_backup:vault_copy:recover"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the project's vault copies whose restore point was deleted from the catalog.",
        operations=[{"method": "GET", "path": "/v1/vault-copies"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's vault copies whose restore point was deleted (all_projects=1; without "
                    "this rule the flag lists the caller's project only).",
        operations=[{"method": "GET", "path": "/v1/vault-copies?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=RECOVER, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Put a deleted restore point of the project back into the catalog from its complete vault copy, "
                    "as a vault-only restore point (restored from the vault alone).",
        operations=[{"method": "POST", "path": "/v1/vault-copies/{copy_id}/recover"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
