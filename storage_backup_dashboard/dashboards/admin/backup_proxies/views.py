# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.dashboards.admin.backup_proxies import tables as proxy_tables


class IndexView(tables.DataTableView):
    table_class = proxy_tables.ProxiesTable
    page_title = _("Proxies")

    def get_data(self):
        try:
            return api.backup.proxy_list(self.request)
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the proxy workers."))
            return []
