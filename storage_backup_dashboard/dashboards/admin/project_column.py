# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Project column and filter the administrators' tables add to the project ones."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard import api


def project_column(verbose_name=None) -> tables.Column:
    def name(datum):
        project_id = getattr(datum, "project_id", "") or ""
        names = getattr(datum, "_project_names", None) or {}
        return names.get(project_id) or project_id or "-"

    return tables.Column(name, verbose_name=verbose_name or _("Project"))


def name_projects(request, items) -> list:
    names = api.backup.project_names(request)
    for item in items:
        item._project_names = names
    return items


def project_filter(request, filters: dict) -> dict:
    """``project`` typed as a name or an ID, as the API's ``project_id``."""
    value = (filters.pop("project", "") or "").strip()
    if value:
        names = api.backup.project_names(request)
        by_name = {name.lower(): project_id for project_id, name in names.items()}
        filters["project_id"] = by_name.get(value.lower(), value)
    return filters
