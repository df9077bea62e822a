# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Notifications in the dashboard: the policy workflow's Notifications step, and the Webhooks panel (list, create
with the secret shown once and kept nowhere, delete, the service's refusal at its field)."""
import datetime as dt

from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.common import choices
from tests.dashboard import helpers as backup_helpers
from tests.dashboard.test_policies import CREATE_URL, _form

WEBHOOKS_URL = reverse("horizon:project:backup_webhooks:index")
CREATE_WEBHOOK_URL = reverse("horizon:project:backup_webhooks:create")
UPDATE_WEBHOOK_URL = reverse("horizon:project:backup_webhooks:update", args=["hook-1"])
SECRET = "whsec_shown-once-0123456789abcdefghijklmnop"


def _hook(**fields) -> api.backup.Webhook:
    data = {"id": "hook-1", "project_id": "1", "url": "https://hooks.example.org/backup", "description": "ops",
            "enabled": True, "created_by": "u", "created_at": "2026-11-24T10:00:00Z",
            "last_delivery_at": "2026-11-24T11:00:00Z", "last_delivery_status": "HTTP 204"}
    data.update(fields)
    return api.backup.Webhook(data)


class PolicyNotificationsStepTests(backup_helpers.TestCase):
    runs = [dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC)]

    def _destinations(self):
        return [api.backup.Destination({"id": "dest-1", "name": "shared-fs", "type": "filesystem",
                                        "encrypted": False, "project_id": "", "retention_lock_min_days": 0})]

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview", "policy_create"]})
    def test_create_sends_when_and_whom_to_mail(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        self.mock_policy_create.return_value = backup_helpers.policy()
        response = self.client.get(CREATE_URL)
        self.assertContains(response, "When a job fails")
        response = self.client.post(CREATE_URL, _form(notify_on="failure",
                                                      notify_emails="ops@example.org\nlead@example.org, "))
        self.assertNoFormErrors(response)
        fields = self.mock_policy_create.call_args.kwargs
        self.assertEqual((fields["notify_on"], fields["notify_emails"]),
                         ("failure", ["ops@example.org", "lead@example.org"]))

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview"]})
    def test_the_step_says_what_is_wrong(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        response = self.client.post(CREATE_URL, _form(notify_on="always", notify_emails=""))
        self.assertContains(response, "Give at least one address to e-mail.")
        response = self.client.post(CREATE_URL, _form(notify_on="always", notify_emails="ops@example.org nobody"))
        self.assertContains(response, "nobody is not an e-mail address.")

    @helpers.create_mocks({api.backup: ["policy_get", "destination_list", "schedule_preview"]})
    def test_edit_shows_the_stored_recipients(self):
        self.mock_policy_get.return_value = backup_helpers.policy(notify_on="failure",
                                                                  notify_emails=["ops@example.org"])
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        response = self.client.get(reverse("horizon:project:backup_policies:update", args=["pol-1"]))
        self.assertContains(response, "ops@example.org")
        self.assertEqual(response.context["workflow"].context["notify_on"], "failure")


    @helpers.create_mocks({api.backup: ["policy_get", "policy_instances", "schedule_preview"]})
    def test_detail_shows_when_and_whom_the_policy_mails(self):
        self.mock_policy_get.return_value = backup_helpers.policy(notify_on="always",
                                                                  notify_emails=["ops@example.org", "b@example.org"])
        self.mock_policy_instances.return_value = []
        self.mock_schedule_preview.return_value = self.runs
        response = self.client.get(reverse("horizon:project:backup_policies:detail", args=["pol-1"]))
        self.assertContains(response, "When a job succeeds, fails or is cancelled")
        self.assertContains(response, "ops@example.org, b@example.org")


class WebhooksPanelTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["webhook_list"]})
    def test_lists_the_project_hooks_without_secrets(self):
        self.mock_webhook_list.return_value = [_hook()]
        response = self.client.get(WEBHOOKS_URL)
        self.assertContains(response, "https://hooks.example.org/backup")
        self.assertContains(response, "HTTP 204")
        self.assertNotContains(response, "whsec_")

    @helpers.create_mocks({api.backup: ["webhook_create"]})
    def test_create_shows_the_secret_once_and_keeps_it_nowhere(self):
        self.mock_webhook_create.return_value = _hook(secret=SECRET, last_delivery_at=None,
                                                      last_delivery_status="")
        response = self.client.post(CREATE_WEBHOOK_URL, {"url": " https://hooks.example.org/backup ",
                                                         "description": "ops"},
                                    HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, SECRET)
        self.assertContains(response, "X-Storage-Backup-Signature")
        self.mock_webhook_create.assert_called_once_with(helpers.IsHttpRequest(), "https://hooks.example.org/backup",
                                                         description="ops", events=[])
        self.assertNotIn(SECRET, repr(dict(self.client.session.items())))
        self.assertNotIn(SECRET, repr(list(response.wsgi_request._messages)))

    @helpers.create_mocks({api.backup: ["webhook_create"]})
    def test_a_url_the_service_refuses_is_shown_at_the_field(self):
        self.mock_webhook_create.side_effect = backup_exceptions.BackupRequestRefused(
            "points at 10.0.0.5, which the operator does not allow for webhooks", 400, "invalid", "url")
        response = self.client.post(CREATE_WEBHOOK_URL, {"url": "http://10.0.0.5/hook"})
        self.assertContains(response, "which the operator does not allow for webhooks")

    def test_a_url_that_is_no_http_url_is_refused_here(self):
        response = self.client.post(CREATE_WEBHOOK_URL, {"url": "ftp://hooks.example.org/x"})
        self.assertContains(response, "Give an http:// or https:// URL.")

    @helpers.create_mocks({api.backup: ["webhook_get", "webhook_new_secret"]})
    def test_a_new_secret_is_shown_once(self):
        self.mock_webhook_get.return_value = _hook()
        url = reverse("horizon:project:backup_webhooks:new_secret", args=["hook-1"])
        response = self.client.get(url)
        self.assertContains(response, "https://hooks.example.org/backup")
        self.assertNotContains(response, "whsec_")
        self.mock_webhook_new_secret.return_value = _hook(secret=SECRET)
        response = self.client.post(url, {"webhook_id": "hook-1", "url": "ignored"},
                                    HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(response, SECRET)
        self.assertContains(response, "New Signing Secret")
        self.mock_webhook_new_secret.assert_called_once_with(helpers.IsHttpRequest(), "hook-1")
        self.assertNotIn(SECRET, repr(dict(self.client.session.items())))

    @helpers.create_mocks({api.backup: ["webhook_get"]})
    def test_another_project_hook_is_not_found(self):
        self.mock_webhook_get.side_effect = backup_exceptions.BackupRequestRefused(
            "Webhook hook-9 could not be found.", 404, "not_found", None)
        response = self.client.get(reverse("horizon:project:backup_webhooks:new_secret", args=["hook-9"]))
        self.assertRedirectsNoFollow(response, WEBHOOKS_URL)

    @helpers.create_mocks({api.backup: ["webhook_list", "webhook_delete"]})
    def test_delete(self):
        self.mock_webhook_list.return_value = [_hook()]
        response = self.client.post(WEBHOOKS_URL, {"action": "webhooks__delete__hook-1"}, follow=True)
        self.assertEqual(response.status_code, 200)
        self.mock_webhook_delete.assert_called_once_with(helpers.IsHttpRequest(), "hook-1")


class WebhookEventsAndEditTests(backup_helpers.TestCase):
    """The events a hook wants (a column, the create and edit dialogs), the edit dialog, enable and disable."""

    @helpers.create_mocks({api.backup: ["webhook_list"]})
    def test_the_table_says_which_events_each_hook_gets(self):
        self.mock_webhook_list.return_value = [_hook(), _hook(id="hook-2", events=["*.error", "backup.end"])]
        response = self.client.get(WEBHOOKS_URL)
        self.assertContains(response, "All events")
        self.assertContains(response, "Any job failed, Backup succeeded")

    @helpers.create_mocks({api.backup: ["webhook_create"]})
    def test_create_sends_the_chosen_events(self):
        self.mock_webhook_create.return_value = _hook(secret=SECRET, events=["backup.error", "restore.*"])
        response = self.client.post(CREATE_WEBHOOK_URL, {"url": "https://hooks.example.org/backup",
                                                         "events": ["backup.error", "restore.*"]},
                                    HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(response, SECRET)
        self.mock_webhook_create.assert_called_once_with(helpers.IsHttpRequest(), "https://hooks.example.org/backup",
                                                         description="", events=["backup.error", "restore.*"])

    @helpers.create_mocks({api.backup: ["webhook_get"]})
    def test_edit_shows_the_stored_fields_and_every_event_to_choose(self):
        self.mock_webhook_get.return_value = _hook(events=["*.error"], enabled=False)
        response = self.client.get(UPDATE_WEBHOOK_URL)
        self.assertTemplateUsed(response, "storage_backup/webhooks/_update.html")
        form = response.context["form"]
        self.assertEqual(form.initial, {"webhook_id": "hook-1", "url": "https://hooks.example.org/backup",
                                        "description": "ops", "enabled": False, "events": ["*.error"]})
        for label in ("Backup failed", "Verification started", "Every restore event", "Any job failed",
                      "Backup cancelled", "Restore cancelled", "Verification cancelled", "Any job cancelled"):
            self.assertContains(response, label)
        self.assertContains(response, 'value="*.error"')
        values = [value for value, _label in choices.WEBHOOK_EVENT_CHOICES]
        self.assertContains(response, f'value="*.error" id="id_events_{values.index("*.error")}" checked')
        self.assertContains(response, f'value="*.cancel" id="id_events_{values.index("*.cancel")}">')  # unticked
        self.assertNotContains(response, 'value="backup.error" id="id_events_2" checked')
        self.mock_webhook_get.assert_called_once_with(helpers.IsHttpRequest(), "hook-1")

    @helpers.create_mocks({api.backup: ["webhook_get", "webhook_update"]})
    def test_edit_saves_url_description_enabled_and_events(self):
        self.mock_webhook_get.return_value = _hook()
        self.mock_webhook_update.return_value = _hook(url="https://hooks.example.org/v2", events=["backup.error"])
        response = self.client.post(UPDATE_WEBHOOK_URL, {
            "webhook_id": "hook-1", "url": " https://hooks.example.org/v2 ", "description": "errors only",
            "events": ["backup.error", "*.error"]})  # "enabled" unticked
        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, WEBHOOKS_URL)
        self.mock_webhook_update.assert_called_once_with(
            helpers.IsHttpRequest(), "hook-1", url="https://hooks.example.org/v2", description="errors only",
            enabled=False, events=["backup.error", "*.error"])
        self.assertMessageCount(success=1)

    @helpers.create_mocks({api.backup: ["webhook_get", "webhook_update"]})
    def test_edit_with_no_event_chosen_asks_for_every_event(self):
        self.mock_webhook_get.return_value = _hook(events=["*.error"])
        self.mock_webhook_update.return_value = _hook()
        response = self.client.post(UPDATE_WEBHOOK_URL, {"webhook_id": "hook-1", "url": "https://hooks.example.org/b",
                                                         "enabled": "on"})
        self.assertNoFormErrors(response)
        self.assertEqual(self.mock_webhook_update.call_args.kwargs["events"], [])
        self.assertIs(self.mock_webhook_update.call_args.kwargs["enabled"], True)

    @helpers.create_mocks({api.backup: ["webhook_get"]})
    def test_edit_refuses_an_event_that_is_not_offered_and_a_bad_url(self):
        self.mock_webhook_get.return_value = _hook()
        response = self.client.post(UPDATE_WEBHOOK_URL, {"webhook_id": "hook-1", "url": "ftp://x",
                                                         "events": ["prune.error"]})
        self.assertContains(response, "Give an http:// or https:// URL.")
        self.assertFormErrors(response, 2)

    @helpers.create_mocks({api.backup: ["webhook_get", "webhook_update"]})
    def test_a_refusal_of_the_service_is_shown_at_its_field(self):
        self.mock_webhook_get.return_value = _hook()
        self.mock_webhook_update.side_effect = backup_exceptions.BackupRequestRefused(
            "'backup.error' is not an event type; allowed: …", 400, "invalid", "events")
        response = self.client.post(UPDATE_WEBHOOK_URL, {"webhook_id": "hook-1", "url": "https://hooks.example.org/b",
                                                         "events": ["backup.error"]})
        self.assertContains(response, "is not an event type; allowed")
        self.assertIn("events", response.context["form"].errors)

    @helpers.create_mocks({api.backup: ["webhook_get"]})
    def test_another_project_hook_cannot_be_edited(self):
        self.mock_webhook_get.side_effect = backup_exceptions.BackupRequestRefused(
            "Webhook hook-1 could not be found.", 404, "not_found", None)
        response = self.client.get(UPDATE_WEBHOOK_URL)
        self.assertRedirectsNoFollow(response, WEBHOOKS_URL)

    @helpers.create_mocks({api.backup: ["webhook_list", "webhook_update"]})
    def test_enable_and_disable_offered_by_state_and_sent(self):
        self.mock_webhook_list.return_value = [_hook(), _hook(id="hook-2", enabled=False)]
        response = self.client.get(WEBHOOKS_URL)
        self.assertContains(response, "webhooks__disable__hook-1")
        self.assertNotContains(response, "webhooks__enable__hook-1")
        self.assertContains(response, "webhooks__enable__hook-2")
        self.assertNotContains(response, "webhooks__disable__hook-2")
        self.assertContains(response, reverse("horizon:project:backup_webhooks:update", args=["hook-2"]))
        self.client.post(WEBHOOKS_URL, {"action": "webhooks__enable__hook-2"})
        self.mock_webhook_update.assert_called_once_with(helpers.IsHttpRequest(), "hook-2", enabled=True)
        self.client.post(WEBHOOKS_URL, {"action": "webhooks__disable__hook-1"})
        self.mock_webhook_update.assert_called_with(helpers.IsHttpRequest(), "hook-1", enabled=False)
