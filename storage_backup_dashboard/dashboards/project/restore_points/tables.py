# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django import shortcuts
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import messages, tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import actions, choices, errors, formatting, unprotected
from storage_backup_dashboard.common import tables as backup_tables

POLICY = "storage_backup"


def _detail_url(point) -> str:
    return reverse("horizon:project:restore_points:detail", args=[point.id])


def _instance(point):
    name = point.instance_name or point.instance_id
    disks = getattr(point, "unprotected_disks", None)
    return format_html("{} {}", name, unprotected.badge(disks)) if disks else name


def _lock_until(point):
    if not point.retention_lock_until:
        return "-"
    text = formatting.when(point.retention_lock_until)
    if point.locked:
        return format_html('<span class="fa fa-lock" title="{}"></span> {}', _("Locked (WORM)"), text)
    return text


class RestorePointFilter(backup_tables.ServerFilterAction):
    filter_choices = (("instance_name", _("Instance Name ="), True),
                      ("strategy", _("Type (full, incremental) ="), True),
                      ("locked", _("Locked (yes, no) ="), True))


class RestoreInstance(tables.LinkAction):
    name = "restore"
    verbose_name = _("Restore Instance")
    url = "horizon:project:restore_points:restore"
    classes = ("ajax-modal", "btn-primary")
    icon = "undo"
    policy_rules = ((POLICY, "storage_backup:restore_point:restore"),)


class RestoreVolume(tables.LinkAction):
    name = "restore_volume"
    verbose_name = _("Restore a Volume")
    url = "horizon:project:restore_points:restore_volume"
    classes = ("ajax-modal",)
    icon = "hdd-o"
    policy_rules = ((POLICY, "storage_backup:restore_point:restore"),)

    def allowed(self, request, point=None):
        return bool(point and point.volumes)


class VerifyRestorePoint(tables.Action):
    """Start a verification (every chunk read back and its hash checked) and go to its job."""

    name = "verify"
    verbose_name = _("Verify")
    icon = "check-square-o"
    help_text = _("Reads the whole restore point back from the destination and checks every block; nothing is "
                  "written.")
    policy_rules = ((POLICY, "storage_backup:restore_point:verify"),)
    requires_input = False

    def allowed(self, request, point=None):
        # A vault-only restore point's primary copy is gone: there is nothing to read back there.
        return not point.vault_only if point else True
    # Where the job opens: the project's or the administrator's Jobs panel.
    job_url = "horizon:project:backup_jobs:detail"

    def single(self, table, request, obj_id):
        try:
            job = api.backup.restore_point_verify(request, obj_id)
        except Exception:
            errors.handle(request, _("Unable to verify the restore point."))
            return shortcuts.redirect(request.get_full_path())
        messages.success(request, _("Verification of the restore point started."))
        return shortcuts.redirect(reverse(self.job_url, args=[job.id]))


class RevertRestorePoint(tables.LinkAction):
    name = "revert"
    verbose_name = _("Revert in Place")
    url = "horizon:project:restore_points:revert"
    classes = ("ajax-modal", "btn-danger")
    icon = "history"
    policy_rules = ((POLICY, "storage_backup:restore_point:revert"),)

    def allowed(self, request, point=None):
        return bool(point and point.volumes and not point.vault_only)


class DeleteRestorePoint(tables.DeleteAction):
    help_text = _("The restore point's data is removed from the destination; this cannot be undone. A vault-only "
                  "restore point is removed from the list only: its vault copy stays and can be recovered again.")
    policy_rules = ((POLICY, "storage_backup:restore_point:delete"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Restore Point", "Delete Restore Points", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Deleted Restore Point", "Deleted Restore Points", count)

    def allowed(self, request, point=None):
        # WORM: nobody may delete a locked restore point, so the action is not offered.
        return not point.locked if point else True

    def delete(self, request, obj_id):
        actions.run(request, lambda: api.backup.restore_point_delete(request, obj_id),
                    _("Unable to delete the restore point."))


class RestorePointsTable(backup_tables.PageMenuTable):
    instance = tables.WrappingColumn(_instance, link=_detail_url, verbose_name=_("Instance"))
    created_at = tables.Column(lambda point: formatting.when(point.created_at), verbose_name=_("Time"))
    strategy = tables.Column("strategy", verbose_name=_("Type"), display_choices=choices.STRATEGY_DISPLAY)
    consistency = tables.Column("consistency", verbose_name=_("Consistency"),
                                display_choices=choices.CONSISTENCY_DISPLAY)
    volumes = tables.Column("volume_count", verbose_name=_("Volumes"))
    size = tables.Column(lambda point: formatting.size(point.bytes_total), verbose_name=_("Size"))
    read = tables.Column(lambda point: formatting.size(point.bytes_read), verbose_name=_("Read"))
    stored = tables.Column(lambda point: formatting.size(point.bytes_stored), verbose_name=_("Stored"))
    lock_until = tables.Column(_lock_until, verbose_name=_("Locked Until"))
    status = tables.Column("status", verbose_name=_("Status"), display_choices=choices.RESTORE_POINT_STATUS_DISPLAY)

    def get_object_display(self, point):
        return point.name

    class Meta:
        name = "restore_points"
        pagination_param = "page"
        verbose_name = _("Restore Points")
        table_actions = (RestorePointFilter, DeleteRestorePoint)
        row_actions = (RestoreInstance, RestoreVolume, VerifyRestorePoint, RevertRestorePoint, DeleteRestorePoint)


class BrowseFiles(tables.LinkAction):
    name = "browse_files"
    verbose_name = _("Browse Files")
    icon = "folder-open"
    policy_rules = ((POLICY, "storage_backup:restore_point:browse_files"),)

    def allowed(self, request, volume=None):
        # Files are read from the primary copy, which a vault-only restore point no longer has.
        return not getattr(volume, "vault_only", False)

    def get_link_url(self, volume):
        return reverse("horizon:project:restore_points:browse_files",
                       args=[self.table.kwargs["restore_point_id"], volume.id])


class RestorePointVolumesTable(tables.DataTable):
    """The volumes of one restore point (its detail page)."""

    name = tables.Column("name", verbose_name=_("Volume"))
    device = tables.Column("device", verbose_name=_("Device"))
    size = tables.Column(lambda volume: formatting.size(volume.size), verbose_name=_("Size"))
    strategy = tables.Column("strategy", verbose_name=_("Type"), display_choices=choices.STRATEGY_DISPLAY)
    # Why it was read so: the Ceph base it was diffed against, or why it fell back to checksums.
    strategy_reason = tables.Column(lambda volume: volume.strategy_reason or "-", verbose_name=_("Why"))
    read = tables.Column(lambda volume: formatting.size(volume.bytes_read), verbose_name=_("Read"))
    stored = tables.Column(lambda volume: formatting.size(volume.bytes_stored), verbose_name=_("Stored"))

    class Meta:
        name = "volumes"
        verbose_name = _("Volumes")
        row_actions = (BrowseFiles,)


# -- restore points deleted from the catalog whose vault copy remains -------------------------------------------------

def _recover_status(copy):
    if copy.in_catalog:
        return _("Recovered (vault only)")
    return _("Recoverable") if copy.recoverable else copy.not_recoverable_reason


class DeletedRestorePointFilter(backup_tables.ServerFilterAction):
    filter_choices = (("instance_name", _("Instance Name ="), True),)


class RecoverRestorePoint(tables.LinkAction):
    """Put the deleted restore point back into the list from its vault copy (a dialog says what that means)."""

    name = "recover"
    verbose_name = _("Recover")
    url = "horizon:project:restore_points:recover"
    classes = ("ajax-modal", "btn-primary")
    icon = "life-ring"
    policy_rules = ((POLICY, "storage_backup:vault_copy:recover"),)

    def allowed(self, request, copy=None):
        return bool(copy and copy.recoverable)


class DeletedRestorePointsTable(backup_tables.PageMenuTable):
    instance = tables.WrappingColumn(lambda copy: copy.instance_name or copy.instance_id,
                                     verbose_name=_("Instance"))
    created_at = tables.Column(lambda copy: formatting.when(copy.created_at), verbose_name=_("Time"))
    strategy = tables.Column("strategy", verbose_name=_("Type"), display_choices=choices.STRATEGY_DISPLAY)
    size = tables.Column(lambda copy: formatting.size(copy.bytes_total), verbose_name=_("Size"))
    vault = tables.Column("vault_name", verbose_name=_("Vault"))
    state = tables.Column("state", verbose_name=_("Vault Copy"), display_choices=choices.VAULT_COPY_STATE_DISPLAY)
    deleted_at = tables.Column(lambda copy: formatting.when(copy.primary_deleted_at), verbose_name=_("Deleted"))
    recover_status = tables.WrappingColumn(_recover_status, verbose_name=_("Recovery"))

    def get_object_id(self, copy):
        return copy.id

    def get_object_display(self, copy):
        return copy.name

    class Meta:
        name = "deleted_restore_points"
        pagination_param = "page"
        verbose_name = _("Deleted Restore Points with a Vault Copy")
        table_actions = (DeletedRestorePointFilter,)
        row_actions = (RecoverRestorePoint,)
