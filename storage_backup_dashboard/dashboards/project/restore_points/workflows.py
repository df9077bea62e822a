# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The restore wizard: source restore point -> what (whole instance or chosen volumes) -> target (name, zone,
flavor, a network for each NIC, a volume type for each disk) -> review -> submit, then the job's progress."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms, workflows

from storage_backup_dashboard import api
from storage_backup_dashboard.common import choices, errors, formatting

KEEP = ""  # a choice meaning "as it was backed up"


def _document(request, context) -> dict:
    try:
        return api.backup.restore_point_instance(request, context["restore_point_id"])
    except Exception:
        errors.handle(request, _("Unable to read what the restore point recorded of the instance."))
        return {}


def _volume_label(volume: dict) -> str:
    name = volume.get("name") or volume.get("volume_id")
    size = volume.get("size")
    device = volume.get("device") or ""
    label = f"{name} ({size} GiB{', ' + device if device else ''})" if size else name
    if volume.get("boot_index") == 0:
        label = str(_("%(volume)s \u2013 boot volume, always restored") % {"volume": label})
    return label


# A restored volume's default name, as the proxy writes it (storage_backup.pipeline.restore_disks.restored_name;
# the plugin does not import the service). The name fields show it pre-filled; a name left as it is shown is not
# sent, so the proxy writes it with the time the volume is actually restored.
DEFAULT_NAME_SUFFIX = re.compile(r" \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\Z")
VOLUME_NAME_MAX = 255  # Cinder's limit


def original_volume_name(volume: dict, document: dict) -> str:
    """What the proxy names a restored disk after: the volume's name (else its id); an image-booted server's root
    disk restored as a volume is ``<instance>-root``."""
    if volume.get("volume_id") == "root-disk":
        return f"{document.get('name') or 'instance'}-root"
    return volume.get("name") or volume.get("volume_id") or ""


def default_volume_name(original: str, when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now(dt.UTC)
    return f"{original} (restored {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC)"


def chosen_volume_name(original: str, value: str | None) -> str | None:
    """The name to ask for, or None for the default (left empty, or the default as it was shown)."""
    value = (value or "").strip()
    if not value or (value.startswith(original) and DEFAULT_NAME_SUFFIX.fullmatch(value[len(original):])):
        return None
    return value


def printable(value: str) -> None:
    """The service refuses control characters in a volume's name; said at the field, before asking it."""
    if any(unicodedata.category(char) == "Cc" for char in value or ""):
        raise ValidationError(_("Use printable characters only (no line breaks or tabs)."))


def volume_name_field(label, initial: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=VOLUME_NAME_MAX, required=False, initial=initial,
                           validators=[printable],
                           help_text=_("As shown, the name says when the volume was restored; change it to choose "
                                       "your own."))


PRIMARY = "primary"
VAULT = "vault"


class SourceAction(workflows.Action):
    restore_point_id = forms.CharField(widget=forms.HiddenInput())
    source = forms.ThemableChoiceField(label=_("Read From"), required=False,
                                       choices=((PRIMARY, _("The primary destination")),))

    class Meta:
        name = _("Source")
        slug = "source"
        help_text_template = "storage_backup/restore_points/_restore_source.html"

    def __init__(self, request, context, *args, **kwargs):
        super().__init__(request, context, *args, **kwargs)
        try:
            point = api.backup.restore_point_get(request, context["restore_point_id"])
        except Exception:
            point = None  # the help text says it could not be read
        if point is not None and point.vault_only:
            # Its primary copy is gone: the vault is the only place to read it from (the service refuses primary).
            self.fields["source"].choices = [
                (VAULT, _("The air-gapped vault copy (waits for the vault worker's read-only grant)"))]
            self.fields["source"].initial = VAULT
        elif point is not None and point.vault_copied:
            # The vault's copy restores also while the primary destination is lost; the vault worker grants the
            # proxy time-limited read-only access to it, so the restore may wait for its next look for work.
            self.fields["source"].choices = [
                (PRIMARY, _("The primary destination")),
                (VAULT, _("The air-gapped vault copy (waits for the vault worker's read-only grant)"))]
        else:
            self.fields["source"].widget = forms.HiddenInput()

    def get_help_text(self, extra_context=None):
        context = dict(extra_context or {})
        try:
            context["point"] = api.backup.restore_point_get(self.request, self.initial["restore_point_id"])
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the restore point."))
        context["document"] = _document(self.request, self.initial)
        return super().get_help_text(context)


class SourceStep(workflows.Step):
    action_class = SourceAction
    contributes = ("restore_point_id", "source")


class WhatAction(workflows.Action):
    mode = forms.ThemableChoiceField(label=_("Restore"), choices=(
        ("instance", _("The whole instance: every volume")),
        ("volumes", _("The instance with the volumes chosen below")),
    ), initial="instance", widget=forms.RadioSelect())
    volumes = forms.MultipleChoiceField(label=_("Volumes"), required=False, widget=forms.CheckboxSelectMultiple())

    class Meta:
        name = _("What")
        slug = "what"
        help_text = _("The boot volume of a volume-booted instance is always restored (the instance needs it). To "
                      "restore a single volume as a new volume, use Restore a Volume instead.")

    def __init__(self, request, context, *args, **kwargs):
        super().__init__(request, context, *args, **kwargs)
        document = _document(request, context)
        self.fields["volumes"].choices = [(volume["volume_id"], _volume_label(volume))
                                          for volume in document.get("block_device_mapping") or []]
        if not self.fields["volumes"].choices:
            self.fields["mode"].choices = self.fields["mode"].choices[:1]

    def clean(self):
        data = super().clean()
        if data.get("mode") == "volumes" and not data.get("volumes"):
            self.add_error("volumes", _("Choose at least one volume, or restore the whole instance."))
        return data


class WhatStep(workflows.Step):
    action_class = WhatAction
    depends_on = ("restore_point_id",)
    contributes = ("mode", "volumes")

    def contribute(self, data, context):
        context["mode"] = data.get("mode")
        context["volumes"] = list(data.get("volumes") or []) if data.get("mode") == "volumes" else []
        return context


class TargetAction(workflows.Action):
    name = forms.CharField(label=_("Instance Name"), max_length=255,
                           help_text=_("The restored instance is a new one; the original is left as it is."))
    availability_zone = forms.ThemableChoiceField(label=_("Availability Zone"))
    flavor_id = forms.ThemableChoiceField(label=_("Flavor"))

    class Meta:
        name = _("Target")
        slug = "target"
        help_text_template = "storage_backup/restore_points/_restore_target.html"

    def __init__(self, request, context, *args, **kwargs):
        super().__init__(request, context, *args, **kwargs)
        self.document = document = _document(request, context)
        try:
            target = api.backup.restore_target_choices(request)
        except Exception:
            target = api.backup.Choices()
            errors.handle(request, _("Unable to retrieve the zones, flavors, networks and volume types."))
        self.fields["availability_zone"].choices = [(zone, zone) for zone in target.zones] or [
            (document.get("availability_zone") or "", document.get("availability_zone") or _("Default"))]
        self.fields["availability_zone"].initial = document.get("availability_zone")
        flavor = document.get("flavor") or {}
        flavors = [(f.id, f"{f.name} ({f.vcpus} VCPU, {formatting.size(f.ram * 1024 * 1024)} RAM)")
                   for f in target.flavors]
        if flavor.get("id") and flavor["id"] not in {f.id for f in target.flavors}:
            flavors.insert(0, (flavor["id"], _("%(name)s (as backed up)") % {
                "name": flavor.get("name") or flavor["id"]}))
        self.fields["flavor_id"].choices = flavors
        self.fields["flavor_id"].initial = flavor.get("id")
        self.nics = document.get("nics") or []
        networks = [(network.id, network.name or network.id) for network in target.networks]
        known = {network_id for network_id, _label in networks}
        for index, nic in enumerate(self.nics):
            options = list(networks)
            if nic["network_id"] not in known:
                options.insert(0, (nic["network_id"], _("%(name)s (as backed up)") % {
                    "name": nic.get("network_name") or nic["network_id"]}))
            addresses = ", ".join(ip.get("ip_address") or "" for ip in nic.get("fixed_ips") or [])
            self.fields[f"network_{index}"] = forms.ThemableChoiceField(
                label=_("Network of NIC %(number)d (was %(network)s%(addresses)s)") % {
                    "number": index + 1, "network": nic.get("network_name") or nic["network_id"],
                    "addresses": f", {addresses}" if addresses else ""},
                choices=options, initial=nic["network_id"],
                help_text=_("On the same network the NIC keeps its address when it is free."))
        types = [(KEEP, _("As backed up"))] + [(t.name, t.name) for t in target.volume_types]
        self.disks = document.get("block_device_mapping") or []
        for volume in self.disks:
            self.fields[f"volume_type_{volume['volume_id']}"] = forms.ThemableChoiceField(
                label=_("Volume type of %(volume)s (was %(type)s)") % {
                    "volume": volume.get("name") or volume["volume_id"], "type": volume.get("volume_type") or "-"},
                choices=types, required=False, initial=KEEP,
                widget=forms.ThemableSelectWidget(
                    attrs={"data-volume-name": volume.get("name") or volume["volume_id"]}))
            original = original_volume_name(volume, document)
            field = volume_name_field(_("Name of the restored %(volume)s") % {"volume": original},
                                      default_volume_name(original))
            field.widget.attrs["data-volume-name"] = original
            self.fields[f"volume_name_{volume['volume_id']}"] = field
        self.image_booted = document.get("boot_source") == "image"
        self.image = document.get("image") or {}

    def get_help_text(self, extra_context=None):
        context = dict(extra_context or {})
        context["image_booted"] = getattr(self, "image_booted", False)
        context["image"] = getattr(self, "image", {})
        return super().get_help_text(context)


class TargetStep(workflows.Step):
    action_class = TargetAction
    depends_on = ("restore_point_id",)
    contributes = ("name", "availability_zone", "flavor_id", "network_mapping", "volume_types", "volume_names")

    def contribute(self, data, context):
        if not data:
            return context
        context["name"] = data.get("name")
        context["availability_zone"] = data.get("availability_zone")
        context["flavor_id"] = data.get("flavor_id")
        context["network_mapping"] = {nic["network_id"]: data[f"network_{index}"]
                                      for index, nic in enumerate(self.action.nics)
                                      if data.get(f"network_{index}") and data[f"network_{index}"] != nic["network_id"]}
        context["volume_types"] = {volume["volume_id"]: data[f"volume_type_{volume['volume_id']}"]
                                   for volume in self.action.disks if data.get(f"volume_type_{volume['volume_id']}")}
        # Only the volumes restored (the chosen ones and the boot volume), and only names the person changed.
        chosen = set(context.get("volumes") or [])
        names = {}
        for volume in self.action.disks:
            if chosen and volume["volume_id"] not in chosen and volume.get("boot_index") != 0:
                continue
            name = chosen_volume_name(original_volume_name(volume, self.action.document),
                                      data.get(f"volume_name_{volume['volume_id']}"))
            if name:
                names[volume["volume_id"]] = name
        context["volume_names"] = names
        return context


class ReviewAction(workflows.Action):
    class Meta:
        name = _("Review")
        slug = "review"


class ReviewStep(workflows.Step):
    """No input: a summary of the other steps' choices (filled in the browser as they change)."""

    action_class = ReviewAction
    template_name = "storage_backup/restore_points/_restore_review.html"


class RestoreInstance(workflows.Workflow):
    slug = "restore_instance"
    name = _("Restore Instance")
    finalize_button_name = _("Restore")
    success_message = _("Restore of %s started; its progress is shown below.")
    failure_message = _("Unable to start the restore of %s.")
    default_steps = (SourceStep, WhatStep, TargetStep, ReviewStep)
    wizard = True

    def format_status_message(self, message):
        return message % self.context.get("name", "")

    def get_entry_point(self):
        # A wizard starts at its first step (Horizon would skip the ones whose data the view already gave).
        for step in self.steps:
            if step.has_errors:
                return step.slug
        return self.steps[0].slug

    def handle(self, request, context):
        # Only a restore from the vault says where it reads from (the primary is the service's default).
        source = {"source": VAULT} if context.get("source") == VAULT else {}
        try:
            self.object = api.backup.restore_create(
                request, context["restore_point_id"], name=context.get("name"),
                availability_zone=context.get("availability_zone"), flavor_id=context.get("flavor_id"),
                network_mapping=context.get("network_mapping"), volume_types=context.get("volume_types"),
                volumes=context.get("volumes"), volume_names=context.get("volume_names"), **source)
        except Exception:
            errors.handle(request, _("The backup service refused the restore."))
            return False
        return True

    def get_success_url(self):
        if getattr(self, "object", None) is not None:
            return reverse("horizon:project:backup_jobs:detail", args=[self.object.id])
        return reverse("horizon:project:restore_points:index")


def default_name(point) -> str:
    return f"{point.instance_name or 'instance'}-restored"


def strategy_label(point) -> str:
    return choices.display(choices.STRATEGY_DISPLAY, point.strategy)
