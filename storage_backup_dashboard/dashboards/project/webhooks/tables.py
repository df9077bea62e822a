# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from horizon.utils import filters

from storage_backup_dashboard import api
from storage_backup_dashboard.common import actions, choices

POLICY = "storage_backup"


class CreateWebhook(tables.LinkAction):
    name = "create"
    verbose_name = _("Create Webhook")
    url = "horizon:project:backup_webhooks:create"
    classes = ("ajax-modal",)
    icon = "plus"
    policy_rules = ((POLICY, "storage_backup:webhook:create"),)


class EditWebhook(tables.LinkAction):
    name = "edit"
    verbose_name = _("Edit Webhook")
    url = "horizon:project:backup_webhooks:update"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = ((POLICY, "storage_backup:webhook:update"),)


class EnableWebhook(tables.BatchAction):
    name = "enable"
    icon = "check"
    help_text = _("The webhook is sent the events it wants again.")
    policy_rules = ((POLICY, "storage_backup:webhook:update"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Enable Webhook", "Enable Webhooks", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Enabled Webhook", "Enabled Webhooks", count)

    def allowed(self, request, hook=None):
        return not hook.enabled if hook else True

    def action(self, request, obj_id):
        actions.run(request, lambda: api.backup.webhook_update(request, obj_id, enabled=True),
                    _("Unable to enable the webhook."))


class DisableWebhook(tables.BatchAction):
    name = "disable"
    icon = "ban"
    help_text = _("The webhook is sent nothing until it is enabled again; it keeps its URL and secret.")
    policy_rules = ((POLICY, "storage_backup:webhook:update"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Disable Webhook", "Disable Webhooks", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Disabled Webhook", "Disabled Webhooks", count)

    def allowed(self, request, hook=None):
        return hook.enabled if hook else True

    def action(self, request, obj_id):
        actions.run(request, lambda: api.backup.webhook_update(request, obj_id, enabled=False),
                    _("Unable to disable the webhook."))


class NewSecret(tables.LinkAction):
    name = "new_secret"
    verbose_name = _("New Secret")
    url = "horizon:project:backup_webhooks:new_secret"
    classes = ("ajax-modal",)
    icon = "refresh"
    policy_rules = ((POLICY, "storage_backup:webhook:update"),)


class DeleteWebhook(tables.DeleteAction):
    help_text = _("The URL hears nothing more of the project's jobs; its secret is forgotten.")
    policy_rules = ((POLICY, "storage_backup:webhook:delete"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Webhook", "Delete Webhooks", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Deleted Webhook", "Deleted Webhooks", count)

    def delete(self, request, obj_id):
        actions.run(request, lambda: api.backup.webhook_delete(request, obj_id), _("Unable to delete the webhook."))


def _last_delivery(hook) -> str:
    if not hook.last_delivery_at:
        return str(_("None yet"))
    return f"{filters.parse_isotime(hook.last_delivery_at.isoformat()):%Y-%m-%d %H:%M} · {hook.last_delivery_status}"


def _events(hook) -> str:
    if not hook.events:
        return str(_("All events"))
    return ", ".join(choices.display(choices.WEBHOOK_EVENT_CHOICES, event) for event in hook.events)


class WebhooksTable(tables.DataTable):
    url = tables.WrappingColumn("url", verbose_name=_("URL"))
    description = tables.Column("description", verbose_name=_("Description"))
    enabled = tables.Column("enabled", verbose_name=_("Enabled"), filters=(lambda value: _("Yes") if value else
                                                                            _("No"),))
    events = tables.Column(_events, verbose_name=_("Events"))
    last_delivery = tables.Column(_last_delivery, verbose_name=_("Last Delivery"))

    class Meta:
        name = "webhooks"
        verbose_name = _("Webhooks")
        table_actions = (CreateWebhook, DeleteWebhook)
        row_actions = (EditWebhook, EnableWebhook, DisableWebhook, NewSecret, DeleteWebhook)
