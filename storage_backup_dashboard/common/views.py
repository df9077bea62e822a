# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Base views of the Backup panels' lists: the backup service pages and filters them, not the browser."""
from __future__ import annotations

from horizon import tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors, paging


class PagedListView(paging.OffsetPagedViewMixin, tables.DataTableView):
    """A table over one of the backup service's lists.

    ``api.backup.<list_function>(request, filters, offset, all_projects)`` returns an ``api.backup.Page`` (looked up
    at each call, so unit tests mock the api function); the table's server filter (``filter_choices``) and
    ``extra_filters()`` (e.g. ``?instance_id=`` from a link) narrow it.
    """

    list_function = ""
    all_projects = False
    error_message = ""
    filters_map: dict = {}

    def extra_filters(self) -> dict:
        return {}

    def translate_filters(self, filters: dict) -> dict:
        return filters

    def get_data(self):
        filters = self.translate_filters(self.get_filters(dict(self.extra_filters()), self.filters_map))
        try:
            page = getattr(api.backup, self.list_function)(self.request, filters, self.get_offset(),
                                                           self.all_projects)
        except Exception:
            errors.handle(self.request, self.error_message)
            return []
        return self.set_page(page)


class ModalFormMixin:
    """For a ``ModalFormView``: ``ajax_template_name`` is the dialog; the full page wraps the same dialog."""

    template_name = "storage_backup/full_page_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["modal_template"] = self.ajax_template_name
        return context
