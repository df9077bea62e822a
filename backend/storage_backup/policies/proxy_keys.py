# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of enrolled worker keys (``/v1/proxies/{name}/keys``): task secrets are sealed to them, so only a cloud
administrator enrols or revokes one (docs/TASKS.md "Sealed secrets")."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:proxy_key:list"
CREATE = "storage_backup:proxy_key:create"
DELETE = "storage_backup:proxy_key:delete"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.ADMIN,
        description="See the public keys enrolled for the proxy and data workers, revoked ones included.",
        operations=[{"method": "GET", "path": "/v1/proxy-keys"},
                    {"method": "GET", "path": "/v1/proxies/{name}/keys"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.ADMIN,
        description="Enrol a worker's public key for a queue: the secrets of that queue's tasks are sealed to it. "
                    "Whoever may do this can read those secrets, so keep it to administrators.",
        operations=[{"method": "POST", "path": "/v1/proxies/{name}/keys"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.ADMIN,
        description="Revoke an enrolled key: no task is sealed to it from then on.",
        operations=[{"method": "DELETE", "path": "/v1/proxies/{name}/keys/{key_id}"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
