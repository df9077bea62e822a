# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Base views of the Backup panels: lists the backup service pages, counts and filters, and modal dialogs."""
from __future__ import annotations

from horizon import tables


class PageMenuListView(tables.PagedTableWithPageMenu, tables.DataTableView):
    """A table over one of the backup service's lists, a page at a time (``?page=``), as Horizon's volume backups
    panel: ``get_data`` asks the api for ``self._current_page`` and sets the page size, the count and the number of
    pages from its answer. ``search_opts()`` are the table's server filter (``filter_choices``) and
    ``extra_filters()`` (e.g. ``?instance_id=`` from a link)."""

    all_projects = False

    def extra_filters(self) -> dict:
        return {}

    def translate_filters(self, filters: dict) -> dict:
        """What a person typed in the filter box, as the API's values."""
        return filters

    def search_opts(self) -> dict:
        return self.translate_filters(self.get_filters(dict(self.extra_filters())))

    def _get_page_number(self) -> int:
        # A page number that is not one shows the first page rather than an error page. (A new filter starts on
        # the first page by itself: Horizon redirects to the table's URL without ``?page=``.)
        try:
            return max(int(self.request.GET.get(self.get_page_param(None)) or 1), 1)
        except ValueError:
            return 1


class ModalFormMixin:
    """For a ``ModalFormView``: ``ajax_template_name`` is the dialog; the full page wraps the same dialog."""

    template_name = "storage_backup/full_page_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["modal_template"] = self.ajax_template_name
        return context


class WorkflowTitleMixin:
    """For a ``WorkflowView``: the page opened by its URL (not as a dialog) takes the workflow's name as its title,
    which Horizon's breadcrumb ends with (it showed "None")."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("page_title", context["workflow"].name)
        return context
