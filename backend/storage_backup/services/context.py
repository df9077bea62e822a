# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Who is asking, what they reach and what they may do.

Two checks, in this order, guard every service call:

1. *Tenancy* (code, never configurable): a caller reaches its own project's objects; the admin role reaches every
   project's by ID and lists them all with ``?all_projects=1``. Another project's object is a 404
   (``check_visible``, ``scope_queryset``) before anything else is asked.
2. *Authorization* (oslo.policy, ``storage_backup.policies``): whether the caller's roles allow the action on the
   object's project. ``authorize`` raises a 403 naming the rule; an operator changes the answers in a
   ``policy.yaml``, never the tenancy above.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from storage_backup.policies import enforcer
from storage_backup.services.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Caller:
    user_id: str
    project_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    user_name: str = ""
    project_name: str = ""
    all_projects: bool = False  # an admin asked to see every project (``?all_projects=1``)
    system: bool = False  # the control plane itself (scheduler, retention): acts for every project

    @property
    def is_admin(self) -> bool:
        """Reaches every project's objects (tenancy); what it may do with them is the rules' to say."""
        return self.system or "admin" in self.roles

    def sees_all(self) -> bool:
        return self.system or (self.is_admin and self.all_projects)

    def with_all_projects(self, value: bool) -> Caller:
        return replace(self, all_projects=value)

    def to_policy_values(self) -> dict:
        """The credentials oslo.policy checks, named as ``oslo_context.RequestContext.to_policy_values`` names them."""
        return {"user_id": self.user_id, "project_id": self.project_id, "roles": sorted(self.roles),
                "is_admin": self.is_admin, "system_scope": "all" if self.system else None}


SYSTEM = Caller(user_id="storage-backup", project_id="", roles=frozenset({"admin"}), user_name="storage-backup",
                system=True)


def _target(caller: Caller, target: Mapping[str, object] | None) -> dict:
    return dict(target) if target else {"project_id": caller.project_id}


def allowed(caller: Caller, rule: str, target: Mapping[str, object] | None = None) -> bool:
    """Whether ``rule`` lets the caller act on ``target`` (``{"project_id": <the object's project>}``; by default the
    caller's own project, for creating in it or listing it). The control plane acting on its own (``SYSTEM``) is no
    API caller: it runs what the policies it executes say, and no rule applies to it."""
    if caller.system:
        return True
    return enforcer.allows(rule, _target(caller, target), caller.to_policy_values())


def authorize(caller: Caller, rule: str, target: Mapping[str, object] | None = None) -> None:
    """``allowed`` or a 403 that names the rule, so an operator knows which line of policy.yaml decides it."""
    if not allowed(caller, rule, target):
        roles = ", ".join(sorted(caller.roles)) or "none"
        raise Forbidden(f"{enforcer.describe(rule).rstrip('.')}: not allowed for your roles ({roles}) by policy rule "
                        f"{rule}.")


def listing(caller: Caller, list_rule: str, list_all_rule: str) -> Caller:
    """Authorize a list and settle what it covers: ``list_rule`` for the caller's project; ``?all_projects=1`` counts
    only for an admin that ``list_all_rule`` allows (for anyone else the flag means nothing, as it always has)."""
    authorize(caller, list_rule)
    if caller.all_projects and not caller.system and not allowed(caller, list_all_rule):
        return caller.with_all_projects(False)
    return caller


def can_see_project(caller: Caller, project_id: str) -> bool:
    """Admins reach any project's object by its ID; others only their project's."""
    return caller.is_admin or project_id == caller.project_id


def check_visible(caller: Caller, project_id: str, what: str, ident: str) -> None:
    if not can_see_project(caller, project_id):
        raise NotFound(f"{what} {ident} could not be found.")


def scope_queryset(caller: Caller, queryset, field_name: str = "project_id", project_id: str | None = None):
    """Restrict a list to what the caller may see: own project, or every project for an admin asking for it."""
    if caller.sees_all():
        if project_id:
            return queryset.filter(**{field_name: project_id})
        return queryset
    return queryset.filter(**{field_name: caller.project_id})
