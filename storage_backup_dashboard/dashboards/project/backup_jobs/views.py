# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
import datetime as dt

from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables
from horizon.utils import memoized

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.common import errors, formatting
from storage_backup_dashboard.common.views import PageMenuListView
from storage_backup_dashboard.dashboards.project.backup_jobs import tables as job_tables

INDEX_URL = "horizon:project:backup_jobs:index"


def translate_job_filters(filters: dict) -> dict:
    """A state or type typed in the person's language, as the API's value."""
    for name, display in (("state", job_tables.choices.JOB_STATE_DISPLAY),
                          ("type", job_tables.choices.JOB_TYPE_DISPLAY)):
        value = (filters.get(name) or "").strip().lower()
        if value:
            labels = {str(label).lower(): key for key, label in display}
            filters[name] = labels.get(value, value)
    return filters


class IndexView(PageMenuListView):
    table_class = job_tables.JobsTable
    page_title = _("Jobs")

    def get_data(self):
        try:
            self._current_page = self._get_page_number()
            (jobs, self._page_size, self._total_of_entries,
             self._number_of_pages) = api.backup.job_list_paged_with_page_menu(
                self.request, search_opts=self.search_opts(), page_number=self._current_page,
                all_projects=self.all_projects)
        except Exception:
            jobs = []
            errors.handle(self.request, _("Unable to retrieve the jobs."))
        return jobs

    def extra_filters(self) -> dict:
        instance_id = self.request.GET.get("instance_id")
        return {"instance_id": instance_id} if instance_id else {}

    def translate_filters(self, filters: dict) -> dict:
        return translate_job_filters(filters)

    def search_opts(self) -> dict:
        filters = super().search_opts()
        # File listings flood the list (one per folder opened): hidden unless asked for, or filtered for by type.
        if not filters.get("type") and not job_tables.shows_file_listings(self.request):
            filters["exclude_type"] = job_tables.FILE_BROWSE
        return filters


def log_in_time_order(entries: list[dict]) -> list[dict]:
    """The step log sorted by time, stably (a log recorded before the service sorted it had the proxy's steps
    after the control plane's); an entry without a readable time stays beside the one before it."""
    keyed, last = [], dt.datetime.min.replace(tzinfo=dt.UTC)
    for index, entry in enumerate(entries):
        try:
            moment = api.backup.as_datetime(entry.get("at"))
        except (TypeError, ValueError):
            moment = None
        if isinstance(moment, dt.datetime):
            last = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        keyed.append((last, index, entry))
    return [entry for _moment, _index, entry in sorted(keyed, key=lambda item: (item[0], item[1]))]


class LogEntry:
    def __init__(self, number: int, entry: dict):
        self.id = str(number)
        moment = api.backup.as_datetime(entry.get("at"))
        self.at = formatting.when(moment) if isinstance(moment, dt.datetime) else entry.get("at")
        if isinstance(moment, dt.datetime):
            self.at = moment.strftime("%Y-%m-%d %H:%M:%S")
        self.step = entry.get("step") or ""
        self.message = entry.get("message") or ""


class DetailView(tables.MultiTableView):
    table_classes = (job_tables.JobProgressTable, job_tables.JobLogTable)
    template_name = "storage_backup/jobs/detail.html"
    page_title = _("Job {{ job.name }}")
    index_url = INDEX_URL

    @memoized.memoized_method
    def get_job(self):
        try:
            return api.backup.job_get(self.request, self.kwargs["job_id"])
        except backup_exceptions.BackupNotFound:
            raise http.Http404(_("No such job in this project.")) from None
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the job."), redirect=reverse(self.index_url))

    def get_jobs_data(self):
        return [self.get_job()]

    def get_log_data(self):
        return [LogEntry(number, entry) for number, entry in enumerate(log_in_time_order(self.get_job().log or []))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = context["job"] = self.get_job()
        # A whole-instance restore names its new volumes by the repository's keys; the page lists the new ones.
        context["restored_volumes"] = sorted(((job.result or {}).get("volume_ids") or {}).values()) \
            if job.type == "restore" else []
        context["url"] = reverse(self.index_url)
        return context
