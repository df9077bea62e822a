# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Server-side filters of the list endpoints, read from the query string: what a paged table searches by.

Each function narrows a queryset the service layer already scoped to the caller (tenancy stays there); an unknown
value is a 400 naming the parameter, never an empty page that looks like "nothing found".
"""
from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q, QuerySet
from django.utils import timezone

from storage_backup.catalog.models import CopyState, JobState, JobType
from storage_backup.services.errors import ValidationFailed

TRUE = ("1", "true", "yes")
FALSE = ("0", "false", "no")
RESTORE_POINT_STRATEGIES = ("full", "incremental")
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


def _text(params: Mapping, name: str, limit: int = 255) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        raise ValidationFailed(name, f"must be at most {limit} characters")
    return value


def _flag(params: Mapping, name: str) -> bool | None:
    value = (params.get(name) or "").strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationFailed(name, "must be true or false")


def _choice(params: Mapping, name: str, choices) -> str:
    value = (params.get(name) or "").strip()
    if value and value not in choices:
        raise ValidationFailed(name, f"must be one of: {', '.join(choices)}")
    return value


def restore_points(queryset: QuerySet, params: Mapping) -> QuerySet:
    """``instance_name`` (part of it, any case), ``strategy``, ``locked``, ``policy_id``, ``vault_only``."""
    name = _text(params, "instance_name")
    if name:
        queryset = queryset.filter(instance_name__icontains=name)
    strategy = _choice(params, "strategy", RESTORE_POINT_STRATEGIES)
    if strategy:
        queryset = queryset.filter(strategy=strategy)
    locked = _flag(params, "locked")
    if locked is not None:
        now = timezone.now()
        held = Q(retention_lock_until__gt=now)
        queryset = queryset.filter(held if locked else ~held | Q(retention_lock_until__isnull=True))
    policy_id = _text(params, "policy_id", 36)
    if policy_id:
        queryset = queryset.filter(policy_id=policy_id)
    vault_only = _flag(params, "vault_only")
    if vault_only is not None:
        queryset = queryset.filter(vault_only=vault_only)
    return queryset


def orphaned_vault_copies(queryset: QuerySet, params: Mapping) -> QuerySet:
    """``instance_name`` (part of it, any case), ``instance_id``, ``state``, ``in_catalog`` (recovered already)."""
    name = _text(params, "instance_name")
    if name:
        queryset = queryset.filter(instance_name__icontains=name)
    instance_id = _text(params, "instance_id", 64)
    if instance_id:
        queryset = queryset.filter(instance_id=instance_id)
    state = _choice(params, "state", CopyState.values)
    if state:
        queryset = queryset.filter(state=state)
    in_catalog = _flag(params, "in_catalog")
    if in_catalog is not None:
        queryset = queryset.filter(in_catalog=in_catalog)
    return queryset


def _choices(params: Mapping, name: str, choices) -> list[str]:
    """A comma-separated list of values, each one of ``choices`` (empty items ignored: ``a,,b``, a trailing comma)."""
    values = [value.strip() for value in _text(params, name, 1024).split(",") if value.strip()]
    unknown = [value for value in values if value not in choices]
    if unknown:
        raise ValidationFailed(name, f"{unknown[0]!r} is not a job type; each must be one of: {', '.join(choices)}")
    return values


def jobs(queryset: QuerySet, params: Mapping) -> QuerySet:
    """``type``, ``exclude_type`` (comma-separated types left out, e.g. ``file_browse``: every folder opened in
    Browse Files is one), ``instance_name`` (part of it, any case), ``active`` (queued or running)."""
    job_type = _choice(params, "type", JobType.values)
    if job_type:
        queryset = queryset.filter(type=job_type)
    excluded = _choices(params, "exclude_type", JobType.values)
    if excluded:
        queryset = queryset.exclude(type__in=excluded)
    name = _text(params, "instance_name")
    if name:
        queryset = queryset.filter(instance_name__icontains=name)
    active = _flag(params, "active")
    if active is not None:
        queryset = queryset.filter(state__in=ACTIVE) if active else queryset.exclude(state__in=ACTIVE)
    return queryset


def policies(queryset: QuerySet, params: Mapping) -> QuerySet:
    """``name`` (part of it, any case), ``shared``."""
    name = _text(params, "name")
    if name:
        queryset = queryset.filter(name__icontains=name)
    shared = _flag(params, "shared")
    if shared is not None:
        queryset = queryset.filter(shared=shared)
    return queryset
