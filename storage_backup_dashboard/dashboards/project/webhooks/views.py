# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The project's webhooks: list, create, edit (URL, description, enabled, events), enable or disable, replace a
secret (the signing secret is shown once, in the dialog that follows, and kept nowhere by the dashboard), delete."""
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import forms, tables
from horizon.utils import memoized

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common.views import ModalFormMixin
from storage_backup_dashboard.dashboards.project.webhooks import forms as webhook_forms
from storage_backup_dashboard.dashboards.project.webhooks import tables as webhook_tables

INDEX_URL = "horizon:project:backup_webhooks:index"
SIGNATURE_HEADER = "X-Storage-Backup-Signature"


class IndexView(tables.DataTableView):
    table_class = webhook_tables.WebhooksTable
    page_title = _("Webhooks")

    def get_data(self):
        try:
            return api.backup.webhook_list(self.request)
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the webhooks."))
            return []


class CreateView(ModalFormMixin, forms.ModalFormView):
    form_class = webhook_forms.CreateWebhookForm
    form_id = "create_webhook_form"
    modal_id = "create_webhook_modal"
    ajax_template_name = "storage_backup/webhooks/_create.html"
    page_title = _("Create Webhook")
    submit_label = _("Create Webhook")
    submit_url = reverse_lazy("horizon:project:backup_webhooks:create")
    success_url = reverse_lazy(INDEX_URL)

    def form_valid(self, form):
        return show_secret(self, form, _("Webhook Created"))


class UpdateView(ModalFormMixin, forms.ModalFormView):
    form_class = webhook_forms.UpdateWebhookForm
    form_id = "update_webhook_form"
    modal_id = "update_webhook_modal"
    ajax_template_name = "storage_backup/webhooks/_update.html"
    page_title = _("Edit Webhook")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX_URL)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse("horizon:project:backup_webhooks:update", args=[self.kwargs["webhook_id"]])
        return context

    def get_initial(self):
        try:
            hook = api.backup.webhook_get(self.request, self.kwargs["webhook_id"])
        except Exception:  # another project's is the service's 404, as a missing one
            errors.handle(self.request, _("Unable to retrieve the webhook."), redirect=reverse(INDEX_URL))
        return {"webhook_id": hook.id, "url": hook.url, "description": hook.description, "enabled": hook.enabled,
                "events": hook.events}


class NewSecretView(ModalFormMixin, forms.ModalFormView):
    form_class = webhook_forms.NewSecretForm
    form_id = "new_secret_form"
    modal_id = "new_secret_modal"
    ajax_template_name = "storage_backup/webhooks/_new_secret.html"
    page_title = _("New Signing Secret")
    submit_label = _("Replace Secret")
    success_url = reverse_lazy(INDEX_URL)

    @memoized.memoized_method
    def get_object(self):
        try:
            return api.backup.webhook_get(self.request, self.kwargs["webhook_id"])
        except Exception:  # another project's is the service's 404, as a missing one
            errors.handle(self.request, _("Unable to retrieve the webhook."), redirect=reverse(INDEX_URL))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse("horizon:project:backup_webhooks:new_secret",
                                        args=[self.kwargs["webhook_id"]])
        return context

    def get_initial(self):
        hook = self.get_object()
        return {"webhook_id": hook.id, "url": hook.url}

    def form_valid(self, form):
        return show_secret(self, form, _("New Signing Secret"))


def show_secret(view, form, title):
    """The dialog that shows a webhook's new secret: the secret goes to this answer only (never into the session,
    a message or a URL)."""
    hook = form.handle(view.request, form.cleaned_data)
    if not hook:
        return view.form_invalid(form)
    ajax = view.request.headers.get("x-requested-with") == "XMLHttpRequest"
    context = {"hook": hook, "secret": hook.secret, "header": SIGNATURE_HEADER, "index_url": view.success_url,
               "modal_template": "storage_backup/webhooks/_created.html", "page_title": title,
               "hide": ajax, "modal_backdrop": "static"}
    # As an answer to the dialog's request Horizon shows it in place of the form; without JavaScript, a page.
    return render(view.request, "storage_backup/webhooks/_created.html" if ajax else view.template_name, context)
