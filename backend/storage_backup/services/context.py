# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Who is asking: the caller's identity and the tenancy and role checks every service function applies."""
from __future__ import annotations

from dataclasses import dataclass, field

from storage_backup.services.errors import Forbidden, NotFound

WRITER_ROLES = frozenset({"admin", "member"})


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
        return self.system or "admin" in self.roles

    @property
    def can_write(self) -> bool:
        return self.system or bool(self.roles & WRITER_ROLES)

    def sees_all(self) -> bool:
        return self.system or (self.is_admin and self.all_projects)

    def with_all_projects(self, value: bool) -> Caller:
        return Caller(self.user_id, self.project_id, self.roles, self.user_name, self.project_name, value,
                      self.system)


SYSTEM = Caller(user_id="storage-backup", project_id="", roles=frozenset({"admin"}), user_name="storage-backup",
                system=True)


def require_writer(caller: Caller) -> None:
    if not caller.can_write:
        raise Forbidden("Your role in this project is read only; a member or admin can make changes.")


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("Only a cloud administrator can do this.")


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
