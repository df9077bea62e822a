# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rules of destinations (``/v1/destinations``): the repositories, shared with every project or private to one.

A destination shared with every project belongs to none: reading it is checked against the caller's own project.
"""
from __future__ import annotations

from oslo_policy import policy

from storage_backup.policies import base

LIST_AVAILABLE = "storage_backup:destination:list_available"
LIST = "storage_backup:destination:list"
GET = "storage_backup:destination:get"
CREATE = "storage_backup:destination:create"
UPDATE = "storage_backup:destination:update"
DELETE = "storage_backup:destination:delete"
PRUNE = "storage_backup:destination:prune"
REBUILD = "storage_backup:destination:rebuild"
SHOW_LOCATION = "storage_backup:destination:show_location"

rules = [
    policy.DocumentedRuleDefault(
        name=LIST_AVAILABLE, check_str=base.PROJECT_READER_OR_ADMIN,
        description="List the destinations the project's policies may write to: the shared ones and its own.",
        operations=[{"method": "GET", "path": "/v1/destinations"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=LIST, check_str=base.ADMIN,
        description="See every destination with its capacity (all_projects=1; without this rule the flag lists "
                    "the caller's destinations only).",
        operations=[{"method": "GET", "path": "/v1/destinations?all_projects=1"},
                    {"method": "GET", "path": "/v1/destination-usage"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.PROJECT_READER_OR_ADMIN,
        description="Show a destination shared with every project or private to the project.",
        operations=[{"method": "GET", "path": "/v1/destinations/{destination_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.ADMIN,
        description="Create a destination.",
        operations=[{"method": "POST", "path": "/v1/destinations"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=UPDATE, check_str=base.ADMIN,
        description="Rename a destination or change its minimum retention lock.",
        operations=[{"method": "PATCH", "path": "/v1/destinations/{destination_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.ADMIN,
        description="Delete a destination from the catalog (refused while a policy, a restore point, a vault copy "
                    "or a job uses it); its repository's data stays where it is.",
        operations=[{"method": "DELETE", "path": "/v1/destinations/{destination_id}"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=PRUNE, check_str=base.ADMIN,
        description="Remove the data no restore point of a destination references any more, now (a prune job on "
                    "a data worker; retention also prunes on its own).",
        operations=[{"method": "POST", "path": "/v1/destinations/{destination_id}/prune"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=REBUILD, check_str=base.ADMIN,
        description="Rebuild the catalog's restore points of a destination from its repository (a rebuild job on a "
                    "data worker), e.g. after the catalog database was lost.",
        operations=[{"method": "POST", "path": "/v1/destinations/{destination_id}/rebuild"}],
        scope_types=base.PROJECT_SCOPE),
    policy.DocumentedRuleDefault(
        name=SHOW_LOCATION, check_str=base.ADMIN,
        description="See where a destination is (its path or export) in destinations, and unredacted in job "
                    "errors, logs and results; everyone else sees the destination's name in its place.",
        operations=[{"method": "GET", "path": "/v1/destinations"},
                    {"method": "GET", "path": "/v1/destinations/{destination_id}"},
                    {"method": "GET", "path": "/v1/jobs/{job_id}"}],
        scope_types=base.PROJECT_SCOPE),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
