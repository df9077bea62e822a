# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Revert in Place: overwrite the original instance (every volume) or one of its data volumes with the restore point.

A dialog of its own, not the restore wizard: it creates nothing, it destroys what the volumes hold now, so the person
types the name of what is overwritten back (the service checks the same confirmation)."""
from django import forms as django_forms
from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms

INSTANCE = "instance"
STOP_SERVER_LABEL = _("Stop the instance while the volume is reverted")
STOP_SERVER_HELP = _("The volume is detached from the running instance and attached again with other content: a "
                     "guest that has it mounted can corrupt its file system or lose writes. Stopped first, the "
                     "instance is started again once the volume is back (also if the revert fails); an instance "
                     "that is shut off stays off. Leave it unchecked only if the guest does not use this disk.")


class RevertForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    restore_point_id = forms.CharField(widget=forms.HiddenInput())
    target = forms.ThemableChoiceField(label=_("Overwrite"),
                                       widget=forms.ThemableSelectWidget(attrs={"class": "switchable",
                                                                                "data-slug": "target"}))
    # Shown for a data volume only (Horizon's switchable fields: one data-target-<volume id> per volume, below).
    stop_server = forms.BooleanField(label=STOP_SERVER_LABEL, required=False, initial=True, help_text=STOP_SERVER_HELP,
                                     widget=forms.CheckboxInput(attrs={"class": "switched",
                                                                       "data-switch-on": "target"}))
    confirm = forms.CharField(label=_("Type the name to confirm"), max_length=255,
                              help_text=_("What the instance or volume holds now is overwritten and cannot be "
                                          "recovered from it. Type its name (shown above) to confirm."))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        restore_point_id = self.initial.get("restore_point_id") or self.data.get("restore_point_id")
        document = {}
        try:
            document = api.backup.restore_point_instance(request, restore_point_id)
        except Exception:
            errors.handle(request, _("Unable to read the restore point's volumes."))
        self.instance_name = document.get("name") or ""
        volumes = document.get("block_device_mapping") or []
        self.volume_names = [volume.get("name") or volume["volume_id"] for volume in volumes]
        #: what each choice overwrites, by the name the person must type back
        self.names = {}
        choices = []
        if volumes or document.get("boot_source") == "image":
            choices.append((INSTANCE, _("The whole instance %(name)s (every volume; it is stopped and started "
                                        "again)") % {"name": self.instance_name}))
            self.names[INSTANCE] = self.instance_name
        for volume in volumes:
            if volume.get("boot_index") == 0:
                continue  # Nova never detaches a boot volume: only the whole instance reverts it
            name = volume.get("name") or volume["volume_id"]
            choices.append((volume["volume_id"], _("Data volume %(name)s at %(device)s") % {
                "name": name, "device": volume.get("device") or "?"}))
            self.names[volume["volume_id"]] = name
            self.fields["stop_server"].widget.attrs[f"data-target-{volume['volume_id']}"] = STOP_SERVER_LABEL
        self.fields["target"].choices = choices

    def clean(self):
        data = super().clean()
        target, typed = data.get("target"), (data.get("confirm") or "").strip()
        expected = self.names.get(target)
        if target and expected is not None and typed not in (expected, target):
            raise django_forms.ValidationError({"confirm": _("Type %(name)s to confirm the overwrite.")
                                                % {"name": expected}})
        return data

    def handle(self, request, data):
        target = data["target"]
        try:
            job = api.backup.restore_point_revert(
                request, data["restore_point_id"], volume_id=None if target == INSTANCE else target,
                instance=target == INSTANCE, confirm=data["confirm"].strip(),
                # the whole instance is stopped anyway, and the service refuses the option there
                stop_server=target != INSTANCE and bool(data.get("stop_server")))
        except Exception as error:
            if self.show_service_error(error, {"confirm": "confirm", "volume_id": "target", "instance": "target",
                                               "stop_server": "stop_server"}):
                return False
            errors.handle(request, _("Unable to start the revert."))
            return False
        messages.success(request, _("Revert started; its progress is shown below."))
        return job
