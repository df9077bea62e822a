# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common import choices, errors
from storage_backup_dashboard.common import forms as common_forms

# The service's field names, to the fields of these forms, for its 400s.
FIELD_MAP = {"url": "url", "description": "description", "enabled": "enabled", "events": "events"}
EVENTS_HELP = _("The events POSTed to the URL. None chosen: every event of the project's backups, restores and "
                "verifications.")


def events_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=_("Events"), required=False, choices=choices.WEBHOOK_EVENT_CHOICES,
                                     widget=forms.ThemableCheckboxSelectMultiple, help_text=EVENTS_HELP)


def clean_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise forms.ValidationError(_("Give an http:// or https:// URL."))
    return url


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
                          help_text=_("The events chosen below are POSTed here as JSON."))
    description = forms.CharField(label=_("Description"), required=False, max_length=255)
    events = events_field()

    def clean_url(self):
        return clean_url(self.cleaned_data["url"])

    def handle(self, request, data):
        try:
            return api.backup.webhook_create(request, data["url"], description=data["description"],
                                             events=list(data["events"]))
        except Exception as error:
            if self.show_service_error(error, FIELD_MAP):
                return False
            errors.handle(request, _("Unable to create the webhook."))
            return False


class UpdateWebhookForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    webhook_id = forms.CharField(widget=forms.HiddenInput())
    url = forms.CharField(label=_("URL"), max_length=2048,
                          help_text=_("The events chosen below are POSTed here as JSON."))
    description = forms.CharField(label=_("Description"), required=False, max_length=255)
    enabled = forms.BooleanField(label=_("Enabled"), required=False,
                                 help_text=_("A disabled webhook is sent nothing; it keeps its URL and secret."))
    events = events_field()

    def clean_url(self):
        return clean_url(self.cleaned_data["url"])

    def handle(self, request, data):
        try:
            hook = api.backup.webhook_update(request, data["webhook_id"], url=data["url"],
                                             description=data["description"], enabled=data["enabled"],
                                             events=list(data["events"]))
        except Exception as error:
            if self.show_service_error(error, FIELD_MAP):
                return False
            errors.handle(request, _("Unable to save the webhook."))
            return False
        messages.success(request, _('Saved webhook "%s".') % hook.url)
        return hook
