# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of the vault worker (``/v1/vault/*``): the one narrow credential the vault side holds.

Both default to the dedicated ``backup_vault`` role and to nothing else: a member, a reader, even an administrator
without that role cannot ask what to copy or report a copy, and the role itself grants nothing else (every other
rule names reader, member or admin), so a stolen vault credential lists, restores and deletes nothing. The work it
sees carries repository secrets sealed to the vault worker's enrolled key (queue ``vault``), never in clear.
"""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

WORK = "storage_backup:vault:work"
REPORT = "storage_backup:vault:report"
VAULT_ROLE = base.VAULT_ROLE

rules = [
    policy.DocumentedRuleDefault(
        name=WORK, check_str=base.VAULT_WORKER,
        description="Ask what to copy into a vault (every project's restore points whose policy names it, their "
                    "repository secrets sealed to the vault worker's key) and which restores wait for a grant.",
        operations=[{"method": "GET", "path": "/v1/vault/work"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=REPORT, check_str=base.VAULT_WORKER,
        description="Report a vault copy's progress or end, and post a restore's time-limited read-only grant.",
        operations=[{"method": "POST", "path": "/v1/vault/copies"},
                    {"method": "POST", "path": "/v1/vault/grants"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
