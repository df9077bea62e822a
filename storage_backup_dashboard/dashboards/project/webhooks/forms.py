# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from horizon import forms

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms


class NewSecretForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    webhook_id = forms.CharField(widget=forms.HiddenInput())
    url = forms.CharField(label=_("URL"), required=False, widget=forms.TextInput(attrs={"readonly": "readonly"}))

    def handle(self, request, data):
        try:
            return api.backup.webhook_new_secret(request, data["webhook_id"])
        except Exception as error:
            if self.show_service_error(error):
                return False
            errors.handle(request, _("Unable to give the webhook a new secret."))
            return False


class CreateWebhookForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    url = forms.CharField(label=_("URL"), max_length=2048,
                          widget=forms.TextInput(attrs={"placeholder": "https://hooks.example.org/backup"}),
                          help_text=_("Every event of the project's backups, restores and verifications is POSTed "
                                      "here as JSON."))
    description = forms.CharField(label=_("Description"), required=False, max_length=255)

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError(_("Give an http:// or https:// URL."))
        return url

    def handle(self, request, data):
        try:
            return api.backup.webhook_create(request, data["url"], description=data["description"])
        except Exception as error:
            if self.show_service_error(error, {"url": "url", "description": "description"}):
                return False
            errors.handle(request, _("Unable to create the webhook."))
            return False
