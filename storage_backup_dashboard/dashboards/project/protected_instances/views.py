# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import forms, tables
from horizon.utils import memoized

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common.views import ModalFormMixin
from storage_backup_dashboard.dashboards.project.protected_instances import forms as protected_forms
from storage_backup_dashboard.dashboards.project.protected_instances import tables as protected_tables

INDEX_URL = "horizon:project:protected_instances:index"


class IndexView(tables.PagedTableMixin, tables.DataTableView):
    table_class = protected_tables.ProtectedInstancesTable
    page_title = _("Protected Instances")

    def get_data(self):
        marker, sort_dir = self._get_marker()
        search_opts = self.get_filters({"marker": marker, "paginate": True})
        try:
            instances, self._has_more_data, self._has_prev_data = api.backup.protected_instance_list(
                self.request, search_opts=search_opts, sort_dir=sort_dir)
        except Exception:
            instances = []
            errors.handle(self.request, _("Unable to retrieve the project's instances and their protection."))
        return instances


class BackupNowView(ModalFormMixin, forms.ModalFormView):
    form_class = protected_forms.BackupNowForm
    form_id = "backup_now_form"
    modal_id = "backup_now_modal"
    ajax_template_name = "storage_backup/protected_instances/_backup_now.html"
    page_title = _("Backup Now")
    submit_label = _("Start Backup")
    submit_url = "horizon:project:protected_instances:backup"
    success_url = reverse_lazy("horizon:project:backup_jobs:index")

    @memoized.memoized_method
    def get_object(self):
        try:
            return api.backup.protected_instance_get(self.request, self.kwargs["instance_id"])
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the instance."), redirect=reverse(INDEX_URL))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["instance"] = self.get_object()
        context["submit_url"] = reverse(self.submit_url, args=[self.kwargs["instance_id"]])
        return context

    def get_initial(self):
        instance = self.get_object()
        return {"instance_id": instance.id, "instance_name": instance.name}

    def get_success_url_from_handled(self, job):
        return protected_forms.success_url_of_job(job)


class AssignPolicyView(ModalFormMixin, forms.ModalFormView):
    form_class = protected_forms.AssignPolicyForm
    form_id = "assign_policy_form"
    modal_id = "assign_policy_modal"
    ajax_template_name = "storage_backup/protected_instances/_assign_policy.html"
    page_title = _("Assign Policy")
    submit_label = _("Assign Policy")
    success_url = reverse_lazy(INDEX_URL)

    def instance_ids(self) -> list[str]:
        if "instance_id" in self.kwargs:
            return [self.kwargs["instance_id"]]
        return [i for value in self.request.GET.getlist("instance_id") + self.request.POST.getlist("instance_id")
                for i in value.split(",") if i]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "instance_id" in self.kwargs:
            context["submit_url"] = reverse("horizon:project:protected_instances:assign",
                                            args=[self.kwargs["instance_id"]])
        else:
            context["submit_url"] = reverse("horizon:project:protected_instances:assign_many")
        return context

    def get_initial(self):
        ids = self.instance_ids()
        names = []
        for instance_id in ids:
            try:
                names.append(api.backup.protected_instance_get(self.request, instance_id).name)
            except Exception:
                names.append(instance_id)
        return {"instance_ids": ",".join(ids), "instances": ", ".join(names)}
