# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
import urllib.parse

from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms

TYPE_CHOICES = (
    ("filesystem", _("Filesystem: a directory the proxies and the control plane mount")),
    ("nfs", _("NFS: an NFS export mounted at the path")),
    ("s3", _("S3: a bucket of an S3 object store (Ceph RGW, AWS), with Object Lock if chosen")),
    ("swift", _("Swift: a container of the cloud's object store, through Keystone (no Object Lock)")),
)
S3_LOCK_CHOICES = (
    ("", _("None")),
    ("COMPLIANCE", _("Compliance: nobody can delete a locked version or shorten its lock")),
    ("GOVERNANCE", _("Governance: only a user allowed to bypass governance retention can")),
)
S3_LOCK_DAYS_HELP = _("How long each object is locked after it is written (fractions allowed). Prune then only leaves "
                      "delete markers; the space comes back once the locks expire.")
S3_SECRET_HELP = _("Kept sealed by the service, never shown again.")


def _when_s3(label):
    """Attributes of a field shown only when the type is S3 (Horizon's switchable fields)."""
    return {"class": "switched", "data-switch-on": "destinationtype", "data-destinationtype-s3": label}


def _when_swift(label):
    return {"class": "switched", "data-switch-on": "destinationtype", "data-destinationtype-swift": label}


def _when_files(label):
    return {"class": "switched", "data-switch-on": "destinationtype", "data-destinationtype-filesystem": label,
            "data-destinationtype-nfs": label}
LOCK_HELP = _("Immutability (WORM): every restore point written here is locked at least this many days, whatever "
              "its policy says; nobody, administrators included, can delete it earlier. 0: no minimum.")
MAX_LOCK_HELP = _("The furthest a retention lock of a restore point here may reach, in days from now (default 36525, "
                  "100 years). A lock cannot be taken back: this stops a mistyped date from keeping data for ever.")


class CreateDestinationForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    type = forms.ThemableChoiceField(label=_("Type"), choices=TYPE_CHOICES, initial="filesystem",
                                     widget=forms.ThemableSelectWidget(attrs={"class": "switchable",
                                                                              "data-slug": "destinationtype"}))
    path = forms.CharField(label=_("Path"), max_length=1024, required=False,
                           widget=forms.TextInput(attrs=_when_files(_("Path"))),
                           help_text=_("Absolute path, the same on every proxy and on the control plane."))
    s3_endpoint = forms.CharField(label=_("Endpoint URL"), max_length=512, required=False,
                                  widget=forms.TextInput(attrs=_when_s3(_("Endpoint URL"))),
                                  help_text=_("http(s)://host:port of the S3 service; empty for AWS."))
    s3_bucket = forms.CharField(label=_("Bucket"), max_length=63, required=False,
                                widget=forms.TextInput(attrs=_when_s3(_("Bucket"))),
                                help_text=_("Made on the first backup (with Object Lock when chosen below)."))
    s3_prefix = forms.CharField(label=_("Prefix"), max_length=255, required=False,
                                widget=forms.TextInput(attrs=_when_s3(_("Prefix"))))
    s3_region = forms.CharField(label=_("Region"), max_length=64, required=False,
                                widget=forms.TextInput(attrs=_when_s3(_("Region"))))
    s3_path_style = forms.BooleanField(label=_("Path-Style Addressing"), required=False,
                                       widget=forms.CheckboxInput(attrs=_when_s3(_("Path-Style Addressing"))),
                                       help_text=_("host/bucket/key rather than bucket.host/key (Ceph RGW "
                                                   "without wildcard DNS needs it)."))
    s3_lock_mode = forms.ThemableChoiceField(label=_("Object Lock"), choices=S3_LOCK_CHOICES, required=False,
                                             widget=forms.ThemableSelectWidget(attrs=_when_s3(_("Object Lock"))))
    s3_lock_days = forms.FloatField(label=_("Lock Days"), min_value=0, required=False,
                                    widget=forms.NumberInput(attrs={**_when_s3(_("Lock Days")), "step": "any"}),
                                    help_text=S3_LOCK_DAYS_HELP)
    s3_access_key = forms.CharField(label=_("Access Key"), max_length=256, required=False,
                                    widget=forms.TextInput(attrs=_when_s3(_("Access Key"))))
    s3_secret_key = forms.CharField(label=_("Secret Key"), max_length=4096, required=False,
                                    widget=forms.PasswordInput(render_value=False,
                                                               attrs=_when_s3(_("Secret Key"))),
                                    help_text=S3_SECRET_HELP)
    swift_auth_url = forms.CharField(label=_("Keystone URL"), max_length=512, required=False,
                                     widget=forms.TextInput(attrs=_when_swift(_("Keystone URL"))),
                                     help_text=_("Keystone v3, e.g. https://keystone.example.com:5000/v3; the "
                                                 "object store is found in its catalog."))
    swift_container = forms.CharField(label=_("Container"), max_length=255, required=False,
                                      widget=forms.TextInput(attrs=_when_swift(_("Container"))),
                                      help_text=_("Made on the first backup."))
    swift_prefix = forms.CharField(label=_("Prefix"), max_length=255, required=False,
                                   widget=forms.TextInput(attrs=_when_swift(_("Prefix"))))
    swift_region = forms.CharField(label=_("Region"), max_length=64, required=False,
                                   widget=forms.TextInput(attrs=_when_swift(_("Region"))))
    swift_credential_id = forms.CharField(label=_("Application Credential ID"), max_length=256, required=False,
                                          widget=forms.TextInput(attrs=_when_swift(_("Application Credential ID"))),
                                          help_text=_("An application credential of a user of the project that "
                                                      "owns the container: bound to that project, revocable on "
                                                      "its own."))
    swift_credential_secret = forms.CharField(
        label=_("Application Credential Secret"), max_length=4096, required=False,
        widget=forms.PasswordInput(render_value=False, attrs=_when_swift(_("Application Credential Secret"))),
        help_text=S3_SECRET_HELP)
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
        if data.get("type") == "s3":
            self._clean_s3(data)
        elif data.get("type") == "swift":
            self._clean_swift(data)
        else:
            path = data.get("path") or ""
            if not path:
                self.add_error("path", _("Give the destination's path."))
            elif not path.startswith("/"):
                self.add_error("path", _("Give an absolute path, starting with /."))
        if data.get("encrypted") and not data.get("repository_secret"):
            self.add_error("repository_secret", _("An encrypted destination needs a passphrase."))
        return data

    def _clean_swift(self, data):
        parsed = urllib.parse.urlsplit((data.get("swift_auth_url") or "").strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            self.add_error("swift_auth_url", _("Give an http:// or https:// URL."))
        elif "@" in parsed.netloc:
            self.add_error("swift_auth_url", _("Credentials do not belong in the URL: use the key fields."))
        if len((data.get("swift_container") or "").strip()) < 3:
            self.add_error("swift_container", _("Give the container's name (3 characters at least)."))
        if data.get("vault"):
            self.add_error("vault", _("A vault cannot be on Swift: use S3, whose pre-signed URLs give a restore "
                                      "from the vault its time-limited read access."))
            return
        for name in ("swift_credential_id", "swift_credential_secret"):
            if not data.get(name):
                self.add_error(name, _("A Swift destination needs an application credential's ID and secret."))

    def _clean_s3(self, data):
        endpoint = (data.get("s3_endpoint") or "").strip()
        if endpoint:
            parsed = urllib.parse.urlsplit(endpoint)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                self.add_error("s3_endpoint", _("Give an http:// or https:// URL."))
            elif "@" in parsed.netloc:
                self.add_error("s3_endpoint", _("Credentials do not belong in the URL: use the key fields."))
        if not (data.get("s3_bucket") or "").strip():
            self.add_error("s3_bucket", _("Give the bucket's name."))
        if data.get("s3_lock_mode") and not data.get("s3_lock_days"):
            self.add_error("s3_lock_days", _("Object Lock needs a number of days."))
        if data.get("vault"):
            for name in ("s3_access_key", "s3_secret_key"):
                if data.get(name):
                    self.add_error(name, _("A vault's keys belong in the vault worker's configuration only."))
            return
        for name in ("s3_access_key", "s3_secret_key"):
            if not data.get(name):
                self.add_error(name, _("An S3 destination needs its access key and secret key."))

    def handle(self, request, data):
        fields = {key: value for key, value in data.items()
                  if value not in (None, "") and not key.startswith(("s3_", "swift_"))}
        if not data.get("encrypted"):
            fields.pop("repository_secret", None)
        if data.get("type") == "s3":
            fields["path"] = api.backup.s3_location(
                data.get("s3_endpoint") or "", data["s3_bucket"], prefix=data.get("s3_prefix") or "",
                region=data.get("s3_region") or "", path_style=bool(data.get("s3_path_style")),
                lock_mode=data.get("s3_lock_mode") or "", lock_days=data.get("s3_lock_days"))
            if not data.get("vault"):  # a vault's keys live only in the vault worker's config
                fields["credentials"] = {"access_key": data["s3_access_key"], "secret_key": data["s3_secret_key"]}
        if data.get("type") == "swift":
            fields["path"] = api.backup.swift_location(
                data["swift_auth_url"], data["swift_container"], prefix=data.get("swift_prefix") or "",
                region=data.get("swift_region") or "")
            fields["credentials"] = {"application_credential_id": data["swift_credential_id"],
                                     "application_credential_secret": data["swift_credential_secret"]}
        if not data.get("vault"):
            fields.pop("vault", None)  # an ordinary destination, as before vaults
        try:
            destination = api.backup.destination_create(request, **fields)
        except Exception as error:
            if self.show_service_error(error, {**{name: name for name in self.fields},
                                               "credentials": "swift_credential_secret"
                                               if data.get("type") == "swift" else "s3_secret_key"}):
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
    type = forms.CharField(widget=forms.HiddenInput(), required=False)
    s3_access_key = forms.CharField(label=_("New Access Key"), max_length=256, required=False,
                                    help_text=_("Key rotation: give both keys to replace the destination's "
                                                "credentials; leave both empty to keep them."))
    s3_secret_key = forms.CharField(label=_("New Secret Key"), max_length=4096, required=False,
                                    widget=forms.PasswordInput(render_value=False), help_text=S3_SECRET_HELP)
    # What the Create form takes for Swift: an application credential. Neither field shows what is stored.
    swift_credential_id = forms.CharField(label=_("New Application Credential ID"), max_length=256, required=False,
                                          help_text=_("Credential rotation: give the new application credential's "
                                                      "ID and secret to replace the destination's; leave both empty "
                                                      "to keep them."))
    swift_credential_secret = forms.CharField(label=_("New Application Credential Secret"), max_length=4096,
                                              required=False, widget=forms.PasswordInput(render_value=False),
                                              help_text=S3_SECRET_HELP)

    #: The new credentials' fields of each type: (the public part, the secret).
    CREDENTIAL_FIELDS = {"s3": ("s3_access_key", "s3_secret_key"),
                         "swift": ("swift_credential_id", "swift_credential_secret")}

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        destination_type = self.initial.get("type") or self.data.get("type")
        for kind, names in self.CREDENTIAL_FIELDS.items():
            if kind != destination_type:
                for name in names:
                    del self.fields[name]

    def clean(self):
        data = super().clean()
        if "s3_access_key" in self.fields and bool(data.get("s3_access_key")) != bool(data.get("s3_secret_key")):
            self.add_error("s3_secret_key" if data.get("s3_access_key") else "s3_access_key",
                           _("Give both keys to replace the credentials."))
        if "swift_credential_id" in self.fields and \
                bool(data.get("swift_credential_id")) != bool(data.get("swift_credential_secret")):
            self.add_error("swift_credential_secret" if data.get("swift_credential_id") else "swift_credential_id",
                           _("Give both the application credential's ID and its secret to replace the "
                             "credentials."))
        return data

    def handle(self, request, data):
        fields = {"name": data["name"], "retention_lock_min_days": data["retention_lock_min_days"]}
        if data.get("max_lock_days") is not None:
            fields["max_lock_days"] = data["max_lock_days"]
        if data.get("s3_access_key") and data.get("s3_secret_key"):
            fields["credentials"] = {"access_key": data["s3_access_key"], "secret_key": data["s3_secret_key"]}
        if data.get("swift_credential_id") and data.get("swift_credential_secret"):
            fields["credentials"] = {"application_credential_id": data["swift_credential_id"],
                                     "application_credential_secret": data["swift_credential_secret"]}
        # The service's refusal of new credentials goes under their secret (the form's own error when none given).
        secret_field = next((names[1] for names in self.CREDENTIAL_FIELDS.values() if names[1] in self.fields),
                            None)
        try:
            destination = api.backup.destination_update(request, data["destination_id"], **fields)
        except Exception as error:
            if self.show_service_error(error, {"name": "name", "retention_lock_min_days": "retention_lock_min_days",
                                               "max_lock_days": "max_lock_days", "credentials": secret_field}):
                return False
            errors.handle(request, _("Unable to save the destination."))
            return False
        messages.success(request, _('Saved destination "%s".') % destination.name)
        return destination
