# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Offset pagination for tables over the backup service's lists (``?offset=``), filters kept in the links.

Horizon's own paging is marker based; the backup service pages by offset and counts the whole list, so the links
carry the next offset and the footer says how many there are in all.
"""
from __future__ import annotations

from horizon import tables


class OffsetPagedTableMixin:
    """For a ``DataTable``: next / previous links by offset; the view sets ``page`` (an ``api.backup.Page``)."""

    page = None

    def _link(self, offset: int) -> str:
        params = self.request.GET.copy()
        for name in ("offset", "action", "table", "obj_id"):
            params.pop(name, None)
        if offset:
            params["offset"] = str(offset)
        return params.urlencode()

    def get_pagination_string(self) -> str:
        if self.page is None:
            return ""
        return self._link(self.page.offset + len(self.page.items))

    def get_prev_pagination_string(self) -> str:
        if self.page is None:
            return ""
        return self._link(max(self.page.offset - self.page.limit, 0))

    @property
    def total_count(self) -> int | None:
        return self.page.count if self.page is not None else None


class OffsetPagedViewMixin:
    """For a ``DataTableView``: reads ``?offset=``, remembers the page for the table's links."""

    def get_offset(self) -> int:
        try:
            return max(int(self.request.GET.get("offset", 0)), 0)
        except ValueError:
            return 0

    def set_page(self, page) -> list:
        self._page = page
        self.get_table().page = page
        return page.items

    def has_more_data(self, table) -> bool:
        page = getattr(self, "_page", None)
        return bool(page and page.has_more)

    def has_prev_data(self, table) -> bool:
        page = getattr(self, "_page", None)
        return bool(page and page.has_prev)


class ServerFilterAction(tables.FilterAction):
    """A filter the backup service applies (every page, not just the one shown)."""

    filter_type = "server"
