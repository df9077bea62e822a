# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import actions, choices, formatting
from storage_backup_dashboard.common import tables as backup_tables

POLICY = "storage_backup"
DETAIL_URL = "horizon:project:backup_jobs:detail"


def progress_cell(job) -> str:
    """The job's progress bar, percent, rate and time left (re-rendered at every poll of a running row)."""
    percent = job.percent
    if job.state == "succeeded":
        percent = 100.0
    running = job.state == "running"
    # Every byte is through but the job goes on (an upload to Glance, creating the server): what it does now, with
    # neither a rate nor a time left, which nothing measures there.
    after_data = running and percent is not None and percent >= 100.0
    context = {
        "job": job,
        "percent": max(min(percent or 0.0, 100.0), 0.0),
        "known": percent is not None and not after_data,
        "rate": formatting.rate(job.rate) if running and not after_data else "",
        "eta": formatting.duration(job.eta) if running and not after_data and job.eta is not None else "",
        "step": choices.display(choices.JOB_STEP_DISPLAY, job.step) if running and job.step else "",
        "context": {"succeeded": "success", "failed": "danger", "cancelled": "warning"}.get(job.state, "info"),
        "active": job.state in ("queued", "running"),
    }
    return render_to_string("storage_backup/jobs/_progress.html", context)


def _message(job) -> str:
    text = job.error or job.waiting_reason or ""
    return Truncator(text).chars(120) if text else "-"


class JobsFilter(backup_tables.ServerFilterAction):
    filter_choices = (("instance_name", _("Instance Name ="), True),
                      ("state", _("State (queued, running, succeeded, failed, cancelled) ="), True),
                      ("type", _("Type (backup, restore, restore_volume) ="), True))


# Every folder a tenant opens in Browse Files is a short ``file_browse`` job: the Jobs tables leave them out unless
# asked (``?file_listings=show``, or a type filter that names them); the API itself still lists every type.
FILE_BROWSE = "file_browse"
FILE_LISTINGS_PARAM = "file_listings"
SHOW = "show"


def shows_file_listings(request) -> bool:
    return request.GET.get(FILE_LISTINGS_PARAM) == SHOW


class ToggleFileListings(tables.LinkAction):
    """Show or hide the file listings (``file_browse`` jobs): the same page, the parameter flipped, page one."""

    name = "file_listings"
    verbose_name = _("Show File Listings")
    icon = "folder-open"

    def allowed(self, request, datum=None):
        # Horizon calls update() for row actions only; allowed() runs for a table action before it is drawn.
        self.verbose_name = _("Hide File Listings") if shows_file_listings(request) else _("Show File Listings")
        return True

    def get_link_url(self, datum=None):
        request = self.table.request
        params = request.GET.copy()
        params.pop(self.table._meta.pagination_param or "page", None)
        if shows_file_listings(request):
            params.pop(FILE_LISTINGS_PARAM, None)
        else:
            params[FILE_LISTINGS_PARAM] = SHOW
        return f"{request.path}?{params.urlencode()}" if params else request.path


class CancelJob(tables.BatchAction):
    name = "cancel"
    classes = ("btn-danger",)
    icon = "stop"
    help_text = _("A running job stops at the next block and removes the snapshots and volumes it made.")
    policy_rules = ((POLICY, "storage_backup:job:cancel"),)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Horizon renders "danger" actions as btn-danger, which its script asks to confirm (with help_text).
        self.action_type = "danger"

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Cancel Job", "Cancel Jobs", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Cancelled Job", "Cancelled Jobs", count)

    def allowed(self, request, job=None):
        return job.is_active and not job.cancel_requested if job else True

    def action(self, request, obj_id):
        actions.run(request, lambda: api.backup.job_cancel(request, obj_id), _("Unable to cancel the job."))


class JobRow(tables.Row):
    """A queued or running job's row polls the service (``status_columns``) until the job ends."""

    ajax = True

    def get_data(self, request, job_id):
        return api.backup.job_get(request, job_id)


def _detail_url(job) -> str:
    return reverse(DETAIL_URL, args=[job.id])


class JobsTable(backup_tables.PageMenuTable):
    instance = tables.WrappingColumn("name", link=_detail_url, verbose_name=_("Instance"))
    type = tables.Column("type", verbose_name=_("Type"), display_choices=choices.JOB_TYPE_DISPLAY)
    state = tables.Column("state", verbose_name=_("State"), status=True, status_choices=choices.JOB_STATE_STATUS,
                          display_choices=choices.JOB_STATE_DISPLAY)
    progress = tables.Column(progress_cell, verbose_name=_("Progress"), classes=("storage-backup-progress-cell",))
    created_at = tables.Column(lambda job: formatting.when(job.created_at), verbose_name=_("Created"))
    duration = tables.Column(lambda job: formatting.duration(job.duration) or "-", verbose_name=_("Duration"))
    message = tables.Column(_message, verbose_name=_("Message"))

    class Meta:
        name = "jobs"
        pagination_param = "page"
        verbose_name = _("Jobs")
        # storage_backup.js fetches the list again now and then and shows jobs started since (none on a detail page)
        css_classes = "storage-backup-refresh-list"
        status_columns = ["state"]
        row_class = JobRow
        table_actions = (JobsFilter, ToggleFileListings, CancelJob)
        row_actions = (CancelJob,)


class JobLogTable(tables.DataTable):
    at = tables.Column("at", verbose_name=_("Time"))
    step = tables.Column("step", verbose_name=_("Step"))
    message = tables.WrappingColumn("message", verbose_name=_("Message"))

    def get_object_id(self, datum):
        return datum.id

    class Meta:
        name = "log"
        verbose_name = _("Steps")


class JobProgressTable(JobsTable):
    """One job's row on its detail page: the same live progress, no filter or paging."""

    class Meta(JobsTable.Meta):
        table_actions = ()
        row_actions = (CancelJob,)
        footer = False
        css_classes = ""
