# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the Backup panels' tables over the service's lists share: Horizon's page menu and server-side filters."""
from __future__ import annotations

from urllib.parse import urlencode

from horizon import tables


class PageMenuTable(tables.DataTable):
    """A table shown by a ``tables.PagedTableWithPageMenu`` view, as Horizon's volume backups table is: the view
    sets the current page and the number of pages (the service counts the list), the footer links to each page.

    The page links keep the other query parameters (a table narrowed to one instance by ``?instance_id=`` stays
    narrowed); a table shown by another view (a job's own row on its detail page) has no page menu. Horizon does
    not inherit ``Meta``: each table's says ``pagination_param = "page"``.
    """

    def current_page(self):
        current = getattr(self._meta, "current_page", None)
        return current() if current else None

    def number_of_pages(self):
        # One page needs no menu: Horizon's plain footer ("Displaying 3 items") rather than a lone "1".
        pages = getattr(self._meta, "number_of_pages", None)
        count = pages() if pages else None
        return count if count and count > 1 else None

    def get_pagination_string(self) -> str:
        param = self._meta.pagination_param
        kept = [(name, value) for name, value in self.request.GET.items()
                if name not in (param, "action", "table", "obj_id")]
        return "?" + urlencode([*kept, (param, "")])


class ServerFilterAction(tables.FilterAction):
    """A filter the backup service applies (to the whole list, not just the page shown)."""

    filter_type = "server"
