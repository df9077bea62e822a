# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import forms
from horizon.utils import csvbase

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common.views import ModalFormMixin, PageMenuListView
from storage_backup_dashboard.dashboards.admin.backup_usage import forms as usage_forms
from storage_backup_dashboard.dashboards.admin.backup_usage import tables as usage_tables

INDEX_URL = "horizon:admin:backup_usage:index"


class UsageCsvResponse(csvbase.BaseCsvResponse):
    """What a chargeback report needs: per project, protected instances and bytes stored (exact bytes)."""

    columns = [_("Project Name"), _("Project ID"), _("Protected Instances"), _("Restore Points"),
               _("Stored Bytes"), _("Stored GiB")]

    def get_row_data(self):
        for row in self.context["usage"]:
            yield (row.project_name, row.project_id, row.protected_instances, row.restore_points, row.stored_bytes,
                   f"{row.stored_bytes / 1024 ** 3:.3f}")


class IndexView(PageMenuListView):
    """Projects a page at a time, the most stored first, as the service sorts and counts them."""

    table_class = usage_tables.UsageTable
    page_title = _("Usage")

    def get_data(self):
        try:
            self._current_page = self._get_page_number()
            (rows, self._page_size, self._total_of_entries,
             self._number_of_pages) = api.backup.usage_list_paged_with_page_menu(
                self.request, page_number=self._current_page)
        except Exception:
            rows = []
            errors.handle(self.request, _("Unable to retrieve the usage of the projects."))
        return rows


class CsvView(generic.View):
    def get(self, request):
        try:
            usage = api.backup.usage_list(request)
        except Exception:
            usage = []
            errors.handle(request, _("Unable to retrieve the usage of the projects."))
        filename = f"backup-usage-{timezone.now():%Y-%m-%d}.csv"
        return UsageCsvResponse(request, None, {"usage": usage}, "text/csv", filename=filename)


class QuotaView(ModalFormMixin, forms.ModalFormView):
    """A project's quotas: from its row (that project), or from the table's action (any project, chosen)."""

    form_class = usage_forms.QuotaForm
    form_id = "backup_quota_form"
    modal_id = "backup_quota_modal"
    ajax_template_name = "storage_backup/admin/_quota_form.html"
    page_title = _("Edit Backup Quotas")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX_URL)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = usage_forms.quota_url(self.kwargs.get("project_id"))
        context["project_name"] = api.backup.project_names(self.request).get(self.kwargs.get("project_id") or "") \
            or self.kwargs.get("project_id") or ""
        return context

    def get_initial(self):
        project_id = self.kwargs.get("project_id")
        if not project_id:
            return {}
        try:
            return usage_forms.quota_initial(self.request, project_id)
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the quotas of the project."),
                          redirect=reverse(INDEX_URL))
