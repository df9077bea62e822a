# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The audit log: every mutating action, who did it, in which project, on what, and how it ended."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from storage_backup.catalog.models import AuditEvent
from storage_backup.policies import audit_events as rules
from storage_backup.services.context import Caller, listing, scope_queryset

LOG = logging.getLogger(__name__)


class AuditTarget:
    """Filled in by the audited block when the target's ID is only known at the end (a created object)."""

    def __init__(self, target_id: str = "", project_id: str = ""):
        self.id = target_id
        self.project_id = project_id
        self.detail = ""


def record(caller: Caller, action: str, target_type: str, target_id: str, result: str, detail: str = "",
           project_id: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        user_id=caller.user_id, user_name=caller.user_name, project_id=project_id or caller.project_id,
        action=action, target_type=target_type, target_id=target_id, result=result, detail=detail[:4000])


@contextmanager
def audited(caller: Caller, action: str, target_type: str, target_id: str = "",
            project_id: str = "") -> Iterator[AuditTarget]:
    """Record ``action`` with ``success`` when the block ends, ``failure`` with the error when it raises."""
    target = AuditTarget(target_id, project_id)
    try:
        yield target
    except Exception as error:
        try:
            record(caller, action, target_type, target.id, "failure", f"{type(error).__name__}: {error}",
                   target.project_id)
        except Exception:  # the audit must not hide the original error
            LOG.exception("could not record the audit event for %s", action)
        raise
    record(caller, action, target_type, target.id, "success", target.detail, target.project_id)


def list_events(caller: Caller, project_id: str | None = None):
    return scope_queryset(listing(caller, rules.LIST, rules.LIST_ALL), AuditEvent.objects.all(), project_id=project_id)
