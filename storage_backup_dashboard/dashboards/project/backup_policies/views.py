# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import views, workflows
from horizon.utils import memoized

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.common import errors, formatting
from storage_backup_dashboard.common.views import PageMenuListView, WorkflowTitleMixin
from storage_backup_dashboard.dashboards.project.backup_policies import tables as policy_tables
from storage_backup_dashboard.dashboards.project.backup_policies import workflows as policy_workflows

INDEX_URL = "horizon:project:backup_policies:index"


class IndexView(PageMenuListView):
    table_class = policy_tables.PoliciesTable
    page_title = _("Policies")

    def get_data(self):
        try:
            self._current_page = self._get_page_number()
            (policies, self._page_size, self._total_of_entries,
             self._number_of_pages) = api.backup.policy_list_paged_with_page_menu(
                self.request, search_opts=self.search_opts(), page_number=self._current_page,
                all_projects=self.all_projects)
        except Exception:
            policies = []
            errors.handle(self.request, _("Unable to retrieve the policies."))
        return policies


class DetailView(views.HorizonTemplateView):
    template_name = "storage_backup/policies/detail.html"
    page_title = "{{ policy.name }}"
    index_url = INDEX_URL

    @memoized.memoized_method
    def get_policy(self):
        try:
            return api.backup.policy_get(self.request, self.kwargs["policy_id"])
        except backup_exceptions.BackupNotFound:
            raise http.Http404(_("No such policy in this project.")) from None
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the policy."), redirect=reverse(self.index_url))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = self.get_policy()
        context["policy"] = policy
        context["retention"] = policy_tables.retention_summary(policy)
        context["url"] = reverse(self.index_url)
        try:
            context["next_runs"] = [formatting.run_time(run, policy.timezone) for run in api.backup.schedule_preview(
                self.request, policy.schedule, policy.timezone, policy.window_start, policy.window_end)] \
                if policy.schedule and not policy.schedule_error else []
        except Exception:
            context["next_runs"] = []
        try:
            context["instances"] = api.backup.policy_instances(self.request, policy.id)
        except Exception:
            context["instances"] = []
            errors.handle(self.request, _("Unable to retrieve the instances the policy protects."))
        return context


class CreateView(WorkflowTitleMixin, workflows.WorkflowView):
    workflow_class = policy_workflows.CreatePolicy


class UpdateView(WorkflowTitleMixin, workflows.WorkflowView):
    workflow_class = policy_workflows.UpdatePolicy
    index_url = INDEX_URL

    def get_initial(self):
        try:
            policy = api.backup.policy_get(self.request, self.kwargs["policy_id"])
        except backup_exceptions.BackupNotFound:
            raise http.Http404(_("No such policy in this project.")) from None
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the policy."), redirect=reverse(self.index_url))
        return policy_workflows.initial_from_policy(policy)


class SchedulePreviewView(generic.View):
    """The next runs of the schedule being typed, for the policy form's preview (JSON)."""

    def get(self, request):
        query = request.GET
        try:
            runs = api.backup.schedule_preview(request, query.get("schedule", "").strip(),
                                               query.get("timezone") or "UTC", query.get("window_start") or None,
                                               query.get("window_end") or None)
        except backup_exceptions.BackupRequestRefused as error:
            return http.JsonResponse({"runs": [], "error": error.message, "field": error.field})
        except Exception:
            return http.JsonResponse({"runs": [], "error": str(_("The backup service cannot preview the schedule "
                                                                 "now.")), "field": None})
        zone = query.get("timezone") or "UTC"
        return http.JsonResponse({"runs": [formatting.run_time(run, zone) for run in runs], "error": "",
                                  "field": None})
