# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Recover a deleted restore point from its vault copy: the dialog says what the recovered point can and cannot do
(restored from the vault only), and the person confirms it by submitting."""
from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms


class RecoverForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    copy_id = forms.CharField(widget=forms.HiddenInput())

    def handle(self, request, data):
        try:
            point = api.backup.vault_copy_recover(request, data["copy_id"])
        except Exception as error:
            if self.show_service_error(error):  # 409: not complete, in the list already, primary gone
                return False
            errors.handle(request, _("Unable to recover the restore point."))
            return False
        messages.success(request, _("Restore point of %(instance)s recovered from the vault copy; it restores from "
                                    "the vault only.") % {"instance": point.instance_name or point.instance_id})
        return point
