# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of a project's webhooks (``/v1/webhooks``): the URLs told about its jobs' events, signed with a secret the
service makes and shows once."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:webhook:list"
LIST_ALL = "storage_backup:webhook:list_all"
GET = "storage_backup:webhook:get"
CREATE = "storage_backup:webhook:create"
UPDATE = "storage_backup:webhook:update"
DELETE = "storage_backup:webhook:delete"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the project's webhooks (never their secrets).",
        operations=[{"method": "GET", "path": "/v1/webhooks"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="List every project's webhooks (all_projects=1; without this rule the flag lists the caller's "
                    "project only).",
        operations=[{"method": "GET", "path": "/v1/webhooks?all_projects=1"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show a webhook of the project and its last delivery (never its secret).",
        operations=[{"method": "GET", "path": "/v1/webhooks/{webhook_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Register a webhook for the project's job events; the answer holds its signing secret, once.",
        operations=[{"method": "POST", "path": "/v1/webhooks"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=UPDATE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Change a webhook's URL, description or whether it is enabled, or give it a new signing "
                    "secret (the answer holds it, once).",
        operations=[{"method": "PATCH", "path": "/v1/webhooks/{webhook_id}"},
                    {"method": "POST", "path": "/v1/webhooks/{webhook_id}/secret"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description="Remove a webhook of the project.",
        operations=[{"method": "DELETE", "path": "/v1/webhooks/{webhook_id}"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
