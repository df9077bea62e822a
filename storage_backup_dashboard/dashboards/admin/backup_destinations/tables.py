# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
import urllib.parse

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from storage_backup_dashboard import api
from storage_backup_dashboard.common import actions, choices, formatting


def _object_lock(destination) -> tuple[str, str] | None:
    """``(mode, days)`` of an S3 destination's Object Lock, read from its location (admins see it), else None."""
    path = getattr(destination, "path", "") or ""
    if getattr(destination, "type", "") != "s3" or "?" not in path:
        return None
    query = dict(urllib.parse.parse_qsl(path.split("?", 1)[1]))
    return (query["lock"], query.get("lock_days", "")) if query.get("lock") else None


def _capacity(destination):
    if getattr(destination, "type", "") in ("s3", "swift"):
        return _("Object storage")  # no filesystem the control plane could measure
    usage = destination.usage or {}
    total, free = usage.get("filesystem_bytes"), usage.get("filesystem_free")
    if not total:
        return _("Not reachable from the control plane") if usage and not usage.get("reachable") else "-"
    used = total - (free or 0)
    return render_to_string("storage_backup/admin/_capacity.html", {
        "percent": round(100.0 * used / total), "used": formatting.size(used), "total": formatting.size(total),
        "free": formatting.size(free)})


def _immutability(destination):
    days = destination.retention_lock_min_days or 0
    lock = _object_lock(destination)
    parts = []
    if days:
        parts.append(ngettext_lazy("Locked at least %(days)d day", "Locked at least %(days)d days", days)
                     % {"days": days})
    if lock:
        parts.append(_("S3 Object Lock %(mode)s, %(days)s days per object") % {"mode": lock[0], "days": lock[1]})
    return "; ".join(str(part) for part in parts) if parts else _("None")


class CreateDestination(tables.LinkAction):
    name = "create"
    verbose_name = _("Create Destination")
    url = "horizon:admin:backup_destinations:create"
    classes = ("ajax-modal",)
    icon = "plus"
    policy_rules = (("storage_backup", "storage_backup:destination:create"),)


class EditDestination(tables.LinkAction):
    name = "edit"
    verbose_name = _("Edit Destination")
    url = "horizon:admin:backup_destinations:update"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = (("storage_backup", "storage_backup:destination:update"),)


class DeleteDestination(tables.DeleteAction):
    help_text = _("The destination leaves the catalog; its repository's data stays where it is. The service refuses "
                  "while a policy, a restore point or a job uses it.")
    policy_rules = (("storage_backup", "storage_backup:destination:delete"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Destination", "Delete Destinations", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Deleted Destination", "Deleted Destinations", count)

    def allowed(self, request, destination=None):
        # Not offered while it holds restore points (the service would refuse, and say so, anyway).
        return not (destination.usage or {}).get("restore_points") if destination else True

    def delete(self, request, obj_id):
        actions.run(request, lambda: api.backup.destination_delete(request, obj_id),
                    _("Unable to delete the destination."))


class DestinationsTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Name"))
    type = tables.Column("type", verbose_name=_("Type"), display_choices=choices.DESTINATION_TYPE_DISPLAY)
    role = tables.Column(lambda d: _("Vault (air-gapped)") if d.is_vault else _("Primary"), verbose_name=_("Role"))
    path = tables.Column("path", verbose_name=_("Path"))
    scope = tables.Column("scope", verbose_name=_("Scope"), display_choices=choices.SCOPE_DISPLAY)
    encrypted = tables.Column("encrypted", verbose_name=_("Encrypted"),
                              filters=(lambda value: _("Yes") if value else _("No"),))
    immutability = tables.Column(_immutability, verbose_name=_("Immutability"))
    restore_points = tables.Column(lambda d: (d.usage or {}).get("restore_points", 0), verbose_name=_("Restore Points"))
    stored = tables.Column(lambda d: formatting.size((d.usage or {}).get("bytes_stored", 0)), verbose_name=_("Stored"))
    capacity = tables.Column(_capacity, verbose_name=_("Filesystem Used"))

    class Meta:
        name = "destinations"
        verbose_name = _("Destinations")
        table_actions = (CreateDestination, DeleteDestination)
        row_actions = (EditDestination, DeleteDestination)
