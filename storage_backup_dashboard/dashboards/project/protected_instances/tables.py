# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from urllib.parse import urlencode

from django import shortcuts
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from openstack_dashboard.dashboards.project.instances.tables import STATUS_DISPLAY_CHOICES

from storage_backup_dashboard import api
from storage_backup_dashboard.common import choices, formatting, unprotected

PROTECTION_DISPLAY_CHOICES = choices.PROTECTION_DISPLAY
POLICY = "storage_backup"


def _instance_detail_url(instance) -> str:
    return reverse("horizon:project:instances:detail", args=[instance.id])


def _volume_links(instance):
    if not instance.volumes:
        return "-"
    return format_html_join(", ", '<a href="{}">{}</a>', (
        (reverse("horizon:project:volumes:detail", args=[volume.id]), volume.name) for volume in instance.volumes))


def _availability_zone(instance):
    return instance.availability_zone or format_html("<em>{}</em>", _("Unknown"))


def _protection(instance):
    if not getattr(instance, "protected", False) or not instance.policy_id:
        return choices.display(PROTECTION_DISPLAY_CHOICES, "not_protected")
    link = format_html('<a href="{}">{}</a>', reverse("horizon:project:backup_policies:detail",
                                                      args=[instance.policy_id]), instance.policy_name)
    if instance.assignment_source == "auto":
        return format_html("{} <small class=\"text-muted\">({})</small>", link, _("by tag"))
    return link


def _last_restore_point(instance):
    point = getattr(instance, "last_restore_point", None)
    if point is None:
        return "-"
    return format_html('<a href="{}">{}</a><br><small class="text-muted">{}</small>{}',
                       reverse("horizon:project:restore_points:detail", args=[point.id]),
                       formatting.when(point.created_at), choices.display(choices.STRATEGY_DISPLAY, point.strategy),
                       format_html("<br>{}", unprotected.badge(instance.unprotected_disks))
                       if getattr(instance, "unprotected_disks", None) else "")


def _last_job(instance):
    job = getattr(instance, "last_job", None)
    if job is None:
        return "-"
    state = choices.display(choices.JOB_STATE_DISPLAY, job.state)
    if job.state == "running" and job.percent is not None:
        state = f"{state} {job.percent:.0f} %"
    return format_html('<a href="{}">{}</a><br><small class="text-muted">{}</small>',
                       reverse("horizon:project:backup_jobs:detail", args=[job.id]), state,
                       choices.display(choices.JOB_TYPE_DISPLAY, job.type))


def _next_run(instance):
    return formatting.when_zoned(getattr(instance, "next_run_at", None)) if getattr(instance, "protected", False) \
        else "-"


class InstanceNameFilter(tables.FilterAction):
    """Nova filters by name across every page (Horizon's instances panel does the same)."""

    filter_type = "server"
    filter_choices = (("name", _("Instance Name ="), True),)


class BackupNow(tables.LinkAction):
    name = "backup_now"
    verbose_name = _("Backup Now")
    url = "horizon:project:protected_instances:backup"
    classes = ("ajax-modal", "btn-primary")
    icon = "cloud-upload"
    policy_rules = ((POLICY, "storage_backup:backup:create"),)

    def allowed(self, request, instance=None):
        return bool(instance and instance.protected and instance.active_job is None)


class AssignPolicy(tables.LinkAction):
    name = "assign_policy"
    verbose_name = _("Assign Policy")
    url = "horizon:project:protected_instances:assign"
    classes = ("ajax-modal",)
    icon = "shield"
    policy_rules = ((POLICY, "storage_backup:protected_instance:create"),)


class AssignPolicyToSelected(tables.Action):
    """The batch form of Assign Policy: the selected instances go to one form."""

    name = "assign_policy_selected"
    verbose_name = _("Assign Policy")
    verbose_name_plural = _("Assign Policy")
    icon = "shield"
    policy_rules = ((POLICY, "storage_backup:protected_instance:create"),)

    def single(self, table, request, object_id):
        return self.handle(table, request, [object_id])

    def handle(self, table, request, object_ids):
        url = reverse("horizon:project:protected_instances:assign_many")
        return shortcuts.redirect(url + "?" + urlencode([("instance_id", i) for i in object_ids]))


class RemoveProtection(tables.BatchAction):
    name = "remove_protection"
    classes = ("btn-danger",)
    icon = "times"
    help_text = _("Scheduled backups of these instances stop; their restore points stay until retention "
                  "removes them.")
    policy_rules = ((POLICY, "storage_backup:protected_instance:delete"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Remove Protection", "Remove Protection", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Removed protection of instance", "Removed protection of instances", count)

    def allowed(self, request, instance=None):
        return bool(instance.protected) if instance else True

    def action(self, request, obj_id):
        api.backup.unprotect(request, obj_id)


class ViewRestorePoints(tables.LinkAction):
    name = "restore_points"
    verbose_name = _("View Restore Points")
    icon = "history"
    policy_rules = ((POLICY, "storage_backup:restore_point:list"),)

    def get_link_url(self, datum=None):
        return reverse("horizon:project:restore_points:index") + "?" + urlencode({"instance_id": datum.id})


class ProtectedInstancesTable(tables.DataTable):
    name = tables.WrappingColumn("name", link=_instance_detail_url, verbose_name=_("Instance Name"))
    availability_zone = tables.Column(_availability_zone, verbose_name=_("Availability Zone"))
    status = tables.Column("status", verbose_name=_("Status"), display_choices=STATUS_DISPLAY_CHOICES)
    volumes = tables.Column(_volume_links, verbose_name=_("Volumes"))
    protection = tables.Column(_protection, verbose_name=_("Policy"))
    last_restore_point = tables.Column(_last_restore_point, verbose_name=_("Last Restore Point"))
    last_job = tables.Column(_last_job, verbose_name=_("Last Job"))
    next_run = tables.Column(_next_run, verbose_name=_("Next Run"))

    class Meta:
        name = "protected_instances"
        verbose_name = _("Protected Instances")
        table_actions = (InstanceNameFilter, AssignPolicyToSelected, RemoveProtection)
        row_actions = (BackupNow, AssignPolicy, ViewRestorePoints, RemoveProtection)
