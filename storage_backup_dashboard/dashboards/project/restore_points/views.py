# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms, tables, workflows
from horizon.utils import memoized

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.common import errors, unprotected
from storage_backup_dashboard.common.views import ModalFormMixin, PageMenuListView, WorkflowTitleMixin
from storage_backup_dashboard.dashboards.project.restore_points import forms as restore_forms
from storage_backup_dashboard.dashboards.project.restore_points import recover_forms, revert_forms
from storage_backup_dashboard.dashboards.project.restore_points import tables as restore_tables
from storage_backup_dashboard.dashboards.project.restore_points import workflows as restore_workflows

INDEX_URL = "horizon:project:restore_points:index"
DELETED_URL = "horizon:project:restore_points:deleted"
YES = ("yes", "true", "1")
NO = ("no", "false", "0")


def translate_restore_point_filters(filters: dict) -> dict:
    """What a person types in the filter box, as the API's values ("yes" -> locked=true, "Voll" -> full)."""
    locked = (filters.get("locked") or "").strip().lower()
    if locked:
        if locked in YES or locked == str(_("yes")).lower():
            filters["locked"] = "true"
        elif locked in NO or locked == str(_("no")).lower():
            filters["locked"] = "false"
    strategy = (filters.get("strategy") or "").strip().lower()
    if strategy:
        labels = {str(label).lower(): value for value, label in restore_tables.choices.STRATEGY_DISPLAY}
        filters["strategy"] = labels.get(strategy, strategy)
    return filters


class IndexView(PageMenuListView):
    table_class = restore_tables.RestorePointsTable
    template_name = "storage_backup/restore_points/index.html"
    page_title = _("Restore Points")

    def get_data(self):
        try:
            self._current_page = self._get_page_number()
            (points, self._page_size, self._total_of_entries,
             self._number_of_pages) = api.backup.restore_point_list_paged_with_page_menu(
                self.request, search_opts=self.search_opts(), page_number=self._current_page,
                all_projects=self.all_projects)
        except Exception:
            points = []
            errors.handle(self.request, _("Unable to retrieve the restore points."))
        return points

    def extra_filters(self) -> dict:
        instance_id = self.request.GET.get("instance_id")
        return {"instance_id": instance_id} if instance_id else {}

    def translate_filters(self, filters: dict) -> dict:
        return translate_restore_point_filters(filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["instance_id"] = self.request.GET.get("instance_id")
        data = self.get_table().data
        context["instance_name"] = data[0].instance_name if data else context["instance_id"]
        # The service counts the whole list (none when it did not answer).
        context["total_of_entries"] = self._total_of_entries if self._page_size else None
        return context


class VolumeRow:
    """A volume of a restore point: the proxy's figures joined with what the instance document says of it."""

    def __init__(self, figures: dict, recorded: dict | None, vault_only: bool = False):
        recorded = recorded or {}
        self.vault_only = vault_only  # its files cannot be browsed: they are read from the primary copy
        self.id = figures.get("volume_id")
        self.name = recorded.get("name") or self.id
        self.device = recorded.get("device") or "-"
        self.size = figures.get("size")
        self.strategy = figures.get("strategy")
        self.strategy_reason = figures.get("strategy_reason") or ""
        self.bytes_read = figures.get("bytes_read")
        self.bytes_stored = figures.get("bytes_stored")


class DetailView(tables.DataTableView):
    table_class = restore_tables.RestorePointVolumesTable
    template_name = "storage_backup/restore_points/detail.html"
    page_title = "{{ point.name }}"
    index_url = INDEX_URL

    @memoized.memoized_method
    def get_point(self):
        try:
            return api.backup.restore_point_get(self.request, self.kwargs["restore_point_id"], with_instance=True)
        except backup_exceptions.BackupNotFound:
            raise http.Http404(_("No such restore point in this project.")) from None
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the restore point."),
                              redirect=reverse(self.index_url))

    def get_data(self):
        point = self.get_point()
        recorded = {v.get("volume_id"): v for v in (point.instance_document or {}).get("block_device_mapping") or []}
        return [VolumeRow(volume, recorded.get(volume.get("volume_id")), point.vault_only)
                for volume in point.volumes or []]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        point = self.get_point()
        context["point"] = point
        context["document"] = point.instance_document or {}
        context["unprotected_alert"] = unprotected.alert(getattr(point, "unprotected_disks", None))
        context["url"] = reverse(self.index_url)
        table = restore_tables.RestorePointsTable(self.request)
        context["actions"] = table.render_row_actions(point)
        return context


class RestoreView(WorkflowTitleMixin, workflows.WorkflowView):
    workflow_class = restore_workflows.RestoreInstance

    def get_initial(self):
        try:
            point = api.backup.restore_point_get(self.request, self.kwargs["restore_point_id"])
        except backup_exceptions.BackupNotFound:
            raise http.Http404(_("No such restore point in this project.")) from None
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the restore point."), redirect=reverse(INDEX_URL))
        return {"restore_point_id": point.id, "name": restore_workflows.default_name(point)}


class RestoreVolumeView(ModalFormMixin, forms.ModalFormView):
    form_class = restore_forms.RestoreVolumeForm
    form_id = "restore_volume_form"
    modal_id = "restore_volume_modal"
    ajax_template_name = "storage_backup/restore_points/_restore_volume.html"
    page_title = _("Restore a Volume")
    submit_label = _("Restore Volume")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse("horizon:project:restore_points:restore_volume",
                                        args=[self.kwargs["restore_point_id"]])
        return context

    def get_initial(self):
        initial = {"restore_point_id": self.kwargs["restore_point_id"]}
        if self.request.GET.get("volume_id"):
            initial["volume_id"] = self.request.GET["volume_id"]
        return initial

    def get_success_url(self):
        return reverse(INDEX_URL)

    def get_success_url_from_handled(self, job):
        return restore_forms.job_url(job)


class RevertView(ModalFormMixin, forms.ModalFormView):
    """Revert in place: its own dialog (not the restore wizard), naming what is overwritten."""

    form_class = revert_forms.RevertForm
    form_id = "revert_form"
    modal_id = "revert_modal"
    ajax_template_name = "storage_backup/restore_points/_revert.html"
    page_title = _("Revert in Place")
    submit_label = _("Overwrite and Revert")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse("horizon:project:restore_points:revert", args=[self.kwargs["restore_point_id"]])
        context["instance_name"] = context["form"].instance_name
        context["volume_names"] = context["form"].volume_names
        return context

    def get_initial(self):
        return {"restore_point_id": self.kwargs["restore_point_id"], "target": self.request.GET.get("volume_id")}

    def get_success_url(self):
        return reverse(INDEX_URL)

    def get_success_url_from_handled(self, job):
        return restore_forms.job_url(job)


class DeletedRestorePointsView(PageMenuListView):
    """Restore points deleted from the catalog (by a person, retention or a rebuild) whose vault copy remains: what
    can be recovered, and why the others cannot."""

    table_class = restore_tables.DeletedRestorePointsTable
    template_name = "storage_backup/restore_points/deleted.html"
    page_title = _("Deleted Restore Points")

    def get_data(self):
        try:
            self._current_page = self._get_page_number()
            (copies, self._page_size, self._total_of_entries,
             self._number_of_pages) = api.backup.vault_copy_list_paged_with_page_menu(
                self.request, search_opts=self.search_opts(), page_number=self._current_page,
                all_projects=self.all_projects)
        except Exception:
            copies = []
            errors.handle(self.request, _("Unable to retrieve the deleted restore points."))
        return copies

    def extra_filters(self) -> dict:
        # The ones not recovered yet: a recovered one is in the restore points list, marked "Vault only".
        return {"in_catalog": "false"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["url"] = reverse(INDEX_URL)
        return context


class RecoverView(ModalFormMixin, forms.ModalFormView):
    """Recover a deleted restore point from its vault copy: a dialog saying what it does, to confirm."""

    form_class = recover_forms.RecoverForm
    form_id = "recover_form"
    modal_id = "recover_modal"
    ajax_template_name = "storage_backup/restore_points/_recover.html"
    page_title = _("Recover Restore Point")
    submit_label = _("Recover")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse("horizon:project:restore_points:recover", args=[self.kwargs["copy_id"]])
        return context

    def get_initial(self):
        return {"copy_id": self.kwargs["copy_id"]}

    def get_success_url(self):
        return reverse(DELETED_URL)

    def get_success_url_from_handled(self, point):
        return reverse("horizon:project:restore_points:detail", args=[point.id])
