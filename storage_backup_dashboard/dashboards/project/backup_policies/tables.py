# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import actions, choices, formatting
from storage_backup_dashboard.common import tables as backup_tables

POLICY = "storage_backup"


def retention_summary(policy) -> str:
    keep = policy.retention
    parts = []
    labels = (("last", _("last %d")), ("daily", _("%d daily")), ("weekly", _("%d weekly")),
              ("monthly", _("%d monthly")), ("yearly", _("%d yearly")))
    for key, label in labels:
        if keep.get(key):
            parts.append(str(label) % keep[key])
    return ", ".join(parts) or str(_("keep everything"))


def _schedule(policy):
    if not policy.schedule:
        return format_html("<em>{}</em>", _("On demand only"))
    window = ""
    if policy.window_start and policy.window_end:
        window = ", " + str(_("between %(start)s and %(end)s") % {"start": policy.window_start[:5],
                                                                 "end": policy.window_end[:5]})
    return format_html("<code>{}</code> <small class=\"text-muted\">{}{}</small>", policy.schedule,
                       policy.timezone, window)


def _next_run(policy):
    # A schedule that cannot run (stored before the service refused it) is shown, so the tenant can mend it.
    if policy.schedule_error:
        return format_html("<span class=\"text-danger storage-backup-schedule-error\">{}</span>",
                           _("Cannot run: %(error)s") % {"error": policy.schedule_error})
    # In the policy's own time zone, named, as its schedule is written (issue 14: "Next Run shows no time zone").
    return formatting.run_time(policy.next_run_at, policy.timezone) if policy.next_run_at else "-"


def _lock(policy):
    if not policy.retention_lock_days:
        return "-"
    return ngettext_lazy("%(days)d day", "%(days)d days", policy.retention_lock_days) % {
        "days": policy.retention_lock_days}


def _detail_url(policy) -> str:
    return reverse("horizon:project:backup_policies:detail", args=[policy.id])


def may_change(request, policy) -> bool:
    """Published (shared) policies are the administrators' to change."""
    return policy is None or not policy.shared or request.user.is_superuser


class PolicyFilter(backup_tables.ServerFilterAction):
    filter_choices = (("name", _("Name ="), True),)


class CreatePolicy(tables.LinkAction):
    name = "create"
    verbose_name = _("Create Policy")
    url = "horizon:project:backup_policies:create"
    classes = ("ajax-modal",)
    icon = "plus"
    policy_rules = ((POLICY, "storage_backup:policy:create"),)


class EditPolicy(tables.LinkAction):
    name = "edit"
    verbose_name = _("Edit Policy")
    url = "horizon:project:backup_policies:update"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = ((POLICY, "storage_backup:policy:update"),)

    def allowed(self, request, policy=None):
        return may_change(request, policy)


class DeletePolicy(tables.DeleteAction):
    help_text = _("A policy that still protects instances cannot be deleted: move them to another policy first.")
    policy_rules = ((POLICY, "storage_backup:policy:delete"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Policy", "Delete Policies", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Deleted Policy", "Deleted Policies", count)

    def allowed(self, request, policy=None):
        return may_change(request, policy)

    def delete(self, request, obj_id):
        actions.run(request, lambda: api.backup.policy_delete(request, obj_id), _("Unable to delete the policy."))


class PoliciesTable(backup_tables.PageMenuTable):
    name = tables.WrappingColumn("name", link=_detail_url, verbose_name=_("Name"))
    scope = tables.Column("scope", verbose_name=_("Scope"), display_choices=choices.SCOPE_DISPLAY)
    schedule = tables.Column(_schedule, verbose_name=_("Schedule"))
    next_run = tables.Column(_next_run, verbose_name=_("Next Run"))
    strategy = tables.Column("strategy", verbose_name=_("Strategy"), display_choices=choices.STRATEGY_DISPLAY)
    retention = tables.Column(retention_summary, verbose_name=_("Retention"))
    lock = tables.Column(_lock, verbose_name=_("Retention Lock"))
    destination = tables.Column("destination_name", verbose_name=_("Destination"))
    enabled = tables.Column("enabled", verbose_name=_("Enabled"),
                            filters=(lambda value: _("Yes") if value else _("No"),))

    class Meta:
        name = "policies"
        pagination_param = "page"
        verbose_name = _("Policies")
        table_actions = (PolicyFilter, CreatePolicy, DeletePolicy)
        row_actions = (EditPolicy, DeletePolicy)
