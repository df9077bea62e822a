# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The service's authorization rules as policy-in-code defaults (oslo.policy), one module per resource.

Every rule is named ``storage_backup:<resource>:<action>`` and documents the REST calls it governs. Operators
override any of them in a ``policy.yaml`` (``storage_backup.policies.enforcer``); ``oslopolicy-sample-generator
--namespace storage_backup`` prints them all, and ``tools/generate_policy_files.py`` writes the Horizon plugin's
policy files from the same defaults. This package imports neither Django nor the service layer, so the oslo.policy
tools load it anywhere the service is installed.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator

from oslo_policy import policy

from storage_backup.policies import (
    audit_events,
    backup_policies,
    backups,
    base,
    destinations,
    jobs,
    protected_instances,
    proxies,
    proxy_keys,
    quotas,
    restore_points,
    usage,
    vault,
    vault_copies,
    webhooks,
)

NAMESPACE = "storage_backup"


def list_rules() -> Iterator[policy.RuleDefault]:
    """Every default, base check strings first (the ``oslo.policy.policies`` entry point)."""
    return itertools.chain(
        base.list_rules(),
        protected_instances.list_rules(),
        backup_policies.list_rules(),
        backups.list_rules(),
        restore_points.list_rules(),
        jobs.list_rules(),
        destinations.list_rules(),
        proxies.list_rules(),
        proxy_keys.list_rules(),
        quotas.list_rules(),
        usage.list_rules(),
        audit_events.list_rules(),
        vault.list_rules(),
        vault_copies.list_rules(),
        webhooks.list_rules(),
    )
