# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of usage and the administrators' overview (``/v1/usage``, ``/v1/overview``)."""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST = "storage_backup:usage:list"
LIST_ALL = "storage_backup:usage:list_all"
OVERVIEW = "storage_backup:admin:overview"
METRICS = "storage_backup:admin:metrics"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.PROJECT_READER_OR_ADMIN,
        description="See the project's usage against its quota.",
        operations=[{"method": "GET", "path": "/v1/usage"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST_ALL, check_str=base.ADMIN,
        description="See every project's usage (and export it as CSV); without this rule the caller sees its own "
                    "project's.",
        operations=[{"method": "GET", "path": "/v1/usage"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=OVERVIEW, check_str=base.ADMIN,
        description="See the backup statistics of every project: coverage, job outcomes, stored bytes, reduction, "
                    "what needs attention.",
        operations=[{"method": "GET", "path": "/v1/overview"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=METRICS, check_str=base.ADMIN,
        description="Read the Prometheus metrics with a Keystone token (a scraper uses the operator's bearer token, "
                    "STORAGE_BACKUP_METRICS_TOKEN_FILE, instead).",
        operations=[{"method": "GET", "path": "/metrics"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
