# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An administrator's quotas of a project: protected instances, restore points and stored GiB (``PUT
/v1/quotas/{project_id}``); a limit left empty is the cloud's default (none: unlimited)."""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common.forms import ServiceFieldErrorsMixin

GIB = 1024 ** 3
# The service's largest byte count (a signed 64-bit integer), in whole GiB.
MAX_STORED_GIB = (2 ** 63 - 1) // GIB
MAX_COUNT = 2 ** 31 - 1
EMPTY_HELP = _("Leave empty for the cloud's default (unlimited when there is none).")


class QuotaForm(ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    project_id = forms.ThemableChoiceField(label=_("Project"))
    protected_instances = forms.IntegerField(label=_("Protected Instances"), min_value=0, max_value=MAX_COUNT,
                                             required=False, help_text=EMPTY_HELP)
    restore_points = forms.IntegerField(label=_("Restore Points"), min_value=0, max_value=MAX_COUNT,
                                        required=False, help_text=EMPTY_HELP)
    stored_gib = forms.IntegerField(label=_("Stored Data (GiB)"), min_value=0, max_value=MAX_STORED_GIB,
                                    required=False, help_text=EMPTY_HELP)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        names = api.backup.project_names(request)
        project_id = self.initial.get("project_id")
        choices = sorted(((pid, name) for pid, name in names.items()), key=lambda item: item[1].lower())
        if project_id and project_id not in names:
            choices.insert(0, (project_id, project_id))
        self.fields["project_id"].choices = choices
        if project_id:  # opened from a project's row: that project only
            self.fields["project_id"].widget = forms.HiddenInput()

    def handle(self, request, data):
        stored = data.get("stored_gib")
        limits = {"protected_instances": data.get("protected_instances"),
                  "restore_points": data.get("restore_points"),
                  "stored_bytes": stored * GIB if stored is not None else None}
        try:
            api.backup.quota_update(request, data["project_id"], **limits)
        except Exception as error:
            if self.show_service_error(error, {"protected_instances": "protected_instances",
                                               "restore_points": "restore_points", "stored_bytes": "stored_gib"}):
                return False
            raise
        name = api.backup.project_names(request).get(data["project_id"]) or data["project_id"]
        messages.success(request, _("Quotas of project %s saved.") % name)
        return True


def quota_initial(request, project_id: str) -> dict:
    """The form's values from what the service has in effect for the project."""
    limits = api.backup.quota_get(request, project_id)
    stored = limits.get("stored_bytes")
    return {"project_id": project_id, "protected_instances": limits.get("protected_instances"),
            "restore_points": limits.get("restore_points"),
            "stored_gib": -(-stored // GIB) if stored is not None else None}


def quota_url(project_id: str | None = None) -> str:
    if project_id:
        return reverse("horizon:admin:backup_usage:quota", args=[project_id])
    return reverse("horizon:admin:backup_usage:quotas")
