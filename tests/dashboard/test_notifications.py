# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Notifications in the dashboard: the policy workflow's Notifications step, and the Webhooks panel (list, create
with the secret shown once and kept nowhere, delete, the service's refusal at its field)."""
import datetime as dt

from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers
from tests.dashboard.test_policies import CREATE_URL, _form

WEBHOOKS_URL = reverse("horizon:project:backup_webhooks:index")
CREATE_WEBHOOK_URL = reverse("horizon:project:backup_webhooks:create")
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
        self.assertContains(response, "When a job succeeds or fails")
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
                                                         description="ops")
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
