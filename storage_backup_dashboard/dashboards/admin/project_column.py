# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Project column and filter the administrators' tables add to the project ones."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard import api


def project_column(verbose_name=None, no_project=None) -> tables.Column:
    """``no_project``: what a row of no project says (default "-")."""
    def name(datum):
        project_id = getattr(datum, "project_id", "") or ""
        names = getattr(datum, "_project_names", None) or {}
        return names.get(project_id) or project_id or (no_project or "-")

    return tables.Column(name, verbose_name=verbose_name or _("Project"))


def name_projects(request, items) -> list:
    names = api.backup.project_names(request)
    for item in items:
        item._project_names = names
    return items


def name_destinations(request, jobs) -> list:
    """Jobs on a destination alone (retention, prune, …) are named after it: the destinations' names, once."""
    if any(not job.instance_id and job._apidict.get("destination_id") for job in jobs):
        try:
            names = {destination.id: destination.name
                     for destination in api.backup.destination_list(request, all_projects=True)}
        except Exception:  # the label falls back to the destination's ID
            names = {}
        for job in jobs:
            job.destination_name = names.get(job._apidict.get("destination_id"), "")
    return jobs


def project_filter(request, filters: dict) -> dict:
    """``project`` typed as a name or an ID, as the API's ``project_id``."""
    value = (filters.pop("project", "") or "").strip()
    if value:
        names = api.backup.project_names(request)
        by_name = {name.lower(): project_id for project_id, name in names.items()}
        filters["project_id"] = by_name.get(value.lower(), value)
    return filters
