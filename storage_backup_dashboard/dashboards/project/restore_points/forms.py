# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
import json

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms, messages
from openstack_dashboard.api import nova

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms
from storage_backup_dashboard.dashboards.project.restore_points import workflows as restore_workflows


class RestoreVolumeForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    restore_point_id = forms.CharField(widget=forms.HiddenInput())
    volume_id = forms.ThemableChoiceField(label=_("Volume"))
    name = forms.CharField(label=_("New Volume Name"), max_length=restore_workflows.VOLUME_NAME_MAX, required=False,
                           validators=[restore_workflows.printable],
                           help_text=_("The volume is restored as a new volume; the original is left as it is."))
    availability_zone = forms.ThemableChoiceField(label=_("Availability Zone"), required=False)
    volume_type = forms.ThemableChoiceField(label=_("Volume Type"), required=False)
    attach_to = forms.ThemableChoiceField(label=_("Attach To"), required=False,
                                          help_text=_("Optionally attach the new volume to an instance of the "
                                                      "project in the same availability zone."))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        restore_point_id = self.initial.get("restore_point_id") or self.data.get("restore_point_id")
        document = {}
        try:
            document = api.backup.restore_point_instance(request, restore_point_id)
        except Exception:
            errors.handle(request, _("Unable to read the restore point's volumes."))
        self.fields["volume_id"].choices = [(volume["volume_id"], restore_workflows._volume_label(volume))
                                            for volume in document.get("block_device_mapping") or []]
        if document.get("boot_source") == "image" and document.get("root_disk"):
            self.fields["volume_id"].choices.append(("root-disk", _("Root disk of the image-booted instance")))
        # The default name of each volume, pre-filled for the one chosen; storage_backup.js swaps it when another
        # volume is chosen, unless the person typed a name of their own.
        disks = list(document.get("block_device_mapping") or []) + [{"volume_id": "root-disk"}]
        self.originals = {disk["volume_id"]: restore_workflows.original_volume_name(disk, document) for disk in disks}
        defaults = {volume_id: restore_workflows.default_volume_name(self.originals.get(volume_id, volume_id))
                    for volume_id, _label in self.fields["volume_id"].choices}
        self.fields["volume_id"].widget.attrs["data-default-names"] = json.dumps(defaults)
        chosen = self.initial.get("volume_id") or next(iter(defaults), None)
        if chosen in defaults:
            self.fields["name"].initial = defaults[chosen]
        try:
            target = api.backup.restore_target_choices(request)
        except Exception:
            target = api.backup.Choices()
            errors.handle(request, _("Unable to retrieve the zones and volume types."))
        self.fields["availability_zone"].choices = [("", _("As backed up"))] + [(z, z) for z in target.zones]
        self.fields["volume_type"].choices = [("", _("As backed up"))] + [(t.name, t.name)
                                                                          for t in target.volume_types]
        try:
            servers, _more = nova.server_list(request)
        except Exception:
            servers = []
        self.fields["attach_to"].choices = [("", _("Do not attach"))] + [(s.id, s.name or s.id) for s in servers]

    def handle(self, request, data):
        try:
            volume_name = restore_workflows.chosen_volume_name(
                self.originals.get(data["volume_id"], data["volume_id"]), data.get("name"))
            job = api.backup.restore_create(request, data["restore_point_id"], volume_id=data["volume_id"],
                                            volume_name=volume_name, availability_zone=data.get("availability_zone"),
                                            volume_type=data.get("volume_type"), attach_to=data.get("attach_to"))
        except Exception as error:
            if self.show_service_error(error, {**{name: name for name in self.fields}, "volume_name": "name"}):
                return False
            errors.handle(request, _("Unable to start the volume restore."))
            return False
        messages.success(request, _("Volume restore started; its progress is shown below."))
        return job


def job_url(job) -> str:
    return reverse("horizon:project:backup_jobs:detail", args=[job.id])
