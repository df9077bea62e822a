# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of proxy workers (``/v1/proxies``): the data plane's VMs, one or more per availability zone."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:proxy:list"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.ADMIN,
        description="See the proxy workers of every availability zone, their heartbeats and job caps.",
        operations=[{"method": "GET", "path": "/v1/proxies"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
