# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms

TYPE_CHOICES = (
    ("filesystem", _("Filesystem: a directory the proxies and the control plane mount")),
    ("nfs", _("NFS: an NFS export mounted at the path")),
)
LOCK_HELP = _("Immutability (WORM): every restore point written here is locked at least this many days, whatever "
              "its policy says; nobody, administrators included, can delete it earlier. 0: no minimum.")
MAX_LOCK_HELP = _("The furthest a retention lock of a restore point here may reach, in days from now (default 36525, "
                  "100 years). A lock cannot be taken back: this stops a mistyped date from keeping data for ever.")


class CreateDestinationForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    type = forms.ThemableChoiceField(label=_("Type"), choices=TYPE_CHOICES, initial="filesystem",
                                     help_text=_("S3 and Swift destinations come with a later release."))
    path = forms.CharField(label=_("Path"), max_length=1024,
                           help_text=_("Absolute path, the same on every proxy and on the control plane."))
    vault = forms.BooleanField(label=_("Air-Gapped Vault"), required=False,
                               help_text=_("Policies copy their restore points here through the vault worker, which "
                                           "alone holds the vault's credentials (its own config file): give none "
                                           "here, nor encryption, which the copies keep from their primary."))
    encrypted = forms.BooleanField(label=_("Encrypt"), required=False)
    repository_secret = forms.CharField(label=_("Repository Passphrase"), required=False, max_length=4096,
                                        widget=forms.PasswordInput(render_value=False),
                                        help_text=_("Needed to read an encrypted repository; keep a copy safe."))
    project_id = forms.ThemableChoiceField(label=_("Available To"), required=False)
    retention_lock_min_days = forms.IntegerField(label=_("Minimum Retention Lock (days)"), min_value=0,
                                                 max_value=36500, initial=0, help_text=LOCK_HELP)
    max_lock_days = forms.IntegerField(label=_("Maximum Retention Lock (days)"), min_value=1, max_value=365250,
                                       required=False, help_text=MAX_LOCK_HELP)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        projects = sorted(api.backup.project_names(request).items(), key=lambda item: item[1])
        self.fields["project_id"].choices = [("", _("Every project (shared)"))] + projects

    def clean(self):
        data = super().clean()
        path = data.get("path") or ""
        if path and not path.startswith("/"):
            self.add_error("path", _("Give an absolute path, starting with /."))
        if data.get("encrypted") and not data.get("repository_secret"):
            self.add_error("repository_secret", _("An encrypted destination needs a passphrase."))
        return data

    def handle(self, request, data):
        fields = {key: value for key, value in data.items() if value not in (None, "")}
        if not data.get("encrypted"):
            fields.pop("repository_secret", None)
        if not data.get("vault"):
            fields.pop("vault", None)  # an ordinary destination, as before vaults
        try:
            destination = api.backup.destination_create(request, **fields)
        except Exception as error:
            if self.show_service_error(error, {name: name for name in self.fields}):
                return False
            errors.handle(request, _("Unable to create the destination."))
            return False
        messages.success(request, _('Created destination "%s".') % destination.name)
        return destination


class UpdateDestinationForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    destination_id = forms.CharField(widget=forms.HiddenInput())
    name = forms.CharField(label=_("Name"), max_length=255)
    path = forms.CharField(label=_("Path"), required=False, widget=forms.TextInput(attrs={"readonly": "readonly"}),
                           help_text=_("The path and encryption of a repository cannot change; create another "
                                       "destination instead."))
    retention_lock_min_days = forms.IntegerField(label=_("Minimum Retention Lock (days)"), min_value=0,
                                                 max_value=36500, help_text=LOCK_HELP)
    max_lock_days = forms.IntegerField(label=_("Maximum Retention Lock (days)"), min_value=1, max_value=365250,
                                       required=False, help_text=MAX_LOCK_HELP)

    def handle(self, request, data):
        fields = {"name": data["name"], "retention_lock_min_days": data["retention_lock_min_days"]}
        if data.get("max_lock_days") is not None:
            fields["max_lock_days"] = data["max_lock_days"]
        try:
            destination = api.backup.destination_update(request, data["destination_id"], **fields)
        except Exception as error:
            if self.show_service_error(error, {"name": "name", "retention_lock_min_days": "retention_lock_min_days",
                                               "max_lock_days": "max_lock_days"}):
                return False
            errors.handle(request, _("Unable to save the destination."))
            return False
        messages.success(request, _('Saved destination "%s".') % destination.name)
        return destination
