# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The project's webhooks: list, create (the signing secret is shown once, in the dialog that follows, and kept
nowhere by the dashboard), delete."""
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import forms, tables

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
        hook = form.handle(self.request, form.cleaned_data)
        if not hook:
            return self.form_invalid(form)
        # The secret goes to this answer only: never into the session, a message or a URL.
        ajax = self.request.headers.get("x-requested-with") == "XMLHttpRequest"
        context = {"hook": hook, "secret": hook.secret, "header": SIGNATURE_HEADER, "index_url": self.success_url,
                   "modal_template": "storage_backup/webhooks/_created.html", "page_title": _("Webhook Created"),
                   "hide": ajax, "modal_backdrop": "static"}
        # As an answer to the dialog's request Horizon shows it in place of the form; without JavaScript, a page.
        return render(self.request, "storage_backup/webhooks/_created.html" if ajax else self.template_name,
                      context)
