# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import forms, tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common.views import ModalFormMixin
from storage_backup_dashboard.dashboards.admin.backup_destinations import forms as destination_forms
from storage_backup_dashboard.dashboards.admin.backup_destinations import tables as destination_tables

INDEX_URL = "horizon:admin:backup_destinations:index"


class IndexView(tables.DataTableView):
    table_class = destination_tables.DestinationsTable
    page_title = _("Destinations")

    def get_data(self):
        try:
            return api.backup.destination_list_with_usage(self.request)
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the destinations."))
            return []


class CreateView(ModalFormMixin, forms.ModalFormView):
    form_class = destination_forms.CreateDestinationForm
    form_id = "create_destination_form"
    modal_id = "create_destination_modal"
    ajax_template_name = "storage_backup/admin/_destination_form.html"
    page_title = _("Create Destination")
    submit_label = _("Create Destination")
    submit_url = reverse_lazy("horizon:admin:backup_destinations:create")
    success_url = reverse_lazy(INDEX_URL)


class UpdateView(ModalFormMixin, forms.ModalFormView):
    form_class = destination_forms.UpdateDestinationForm
    form_id = "update_destination_form"
    modal_id = "update_destination_modal"
    ajax_template_name = "storage_backup/admin/_destination_form.html"
    page_title = _("Edit Destination")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX_URL)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse("horizon:admin:backup_destinations:update",
                                        args=[self.kwargs["destination_id"]])
        return context

    def get_initial(self):
        try:
            destination = api.backup.destination_get(self.request, self.kwargs["destination_id"])
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the destination."), redirect=reverse(INDEX_URL))
        return {"destination_id": destination.id, "name": destination.name, "path": destination.path,
                "type": getattr(destination, "type", "filesystem"),
                "retention_lock_min_days": destination.retention_lock_min_days,
                "max_lock_days": getattr(destination, "max_lock_days", None)}
