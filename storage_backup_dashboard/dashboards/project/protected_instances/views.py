from django.utils.translation import gettext_lazy as _
from horizon import exceptions, tables

from storage_backup_dashboard import api
from storage_backup_dashboard.dashboards.project.protected_instances import tables as protected_tables


class IndexView(tables.PagedTableMixin, tables.DataTableView):
    table_class = protected_tables.ProtectedInstancesTable
    page_title = _("Protected Instances")

    def get_data(self):
        marker, sort_dir = self._get_marker()
        try:
            instances, self._has_more_data, self._has_prev_data = api.backup.protected_instance_list(
                self.request, search_opts={"marker": marker, "paginate": True}, sort_dir=sort_dir)
        except Exception:
            instances = []
            exceptions.handle(self.request, _("Unable to retrieve the project's instances."))
        return instances
