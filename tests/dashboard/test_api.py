# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The api layer: the user's token and catalog endpoint, the service's refusals as the plugin's exceptions,
moving an instance to another policy."""
from unittest import mock

from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.client import BackupApiError
from tests.dashboard import helpers as backup_helpers


class ClientTests(backup_helpers.TestCase):

    def test_the_client_uses_the_catalog_endpoint_and_the_user_token(self):
        client = api.backup.backupclient(self.request)
        self.assertEqual(client.endpoint, "http://backup.example.com:8779")  # the paths carry /v1
        self.assertEqual(client.session.get_token(), self.request.user.token.id)

    def test_refusals_become_the_plugin_exceptions_with_the_service_words(self):
        cases = {400: backup_exceptions.BackupRequestRefused, 403: backup_exceptions.BackupRequestRefused,
                 409: backup_exceptions.BackupRequestRefused, 413: backup_exceptions.BackupRequestRefused,
                 404: backup_exceptions.BackupNotFound, 401: backup_exceptions.BackupUnauthorized,
                 503: backup_exceptions.BackupServiceUnavailable, 500: backup_exceptions.BackupServiceUnavailable}
        for status, kind in cases.items():
            with self.subTest(status=status), mock.patch.object(
                    api.backup.BackupClient, "policy_get",
                    side_effect=BackupApiError(status, "code", "what to do about it", "field")):
                with self.assertRaises(kind) as raised:
                    api.backup.policy_get(self.request, "pol-1")
                self.assertEqual((str(raised.exception), raised.exception.status, raised.exception.field),
                                 ("what to do about it", status, "field"))

    def test_the_plugin_exceptions_are_registered_with_horizon(self):
        from django.conf import settings
        config = settings.HORIZON_CONFIG["exceptions"]
        self.assertIn(backup_exceptions.BackupRequestRefused, config["recoverable"])
        self.assertIn(backup_exceptions.BackupServiceUnavailable, config["recoverable"])
        self.assertIn(backup_exceptions.BackupNotFound, config["not_found"])
        self.assertIn(backup_exceptions.BackupUnauthorized, config["unauthorized"])


class ProtectTests(backup_helpers.TestCase):

    def test_an_instance_of_another_policy_moves(self):
        with mock.patch.object(api.backup, "_call") as call:
            call.side_effect = lambda request, method, *args: {
                "protected_instance_get": {"instance_id": "srv-1", "policy_id": "old"},
                "unprotect": None, "protect": {"instance_id": "srv-1", "policy_id": "new"}}[method]
            api.backup.protect(self.request, "srv-1", "new")
        self.assertEqual([c.args[1:] for c in call.call_args_list],
                         [("protected_instance_get", "srv-1"), ("unprotect", "srv-1"), ("protect", "srv-1", "new")])

    def test_an_unprotected_instance_is_protected(self):
        def answer(request, method, *args):
            if method == "protected_instance_get":
                raise backup_exceptions.BackupNotFound("Instance srv-1 is not protected.", 404)
            return {"instance_id": "srv-1", "policy_id": "new"}

        with mock.patch.object(api.backup, "_call", side_effect=answer) as call:
            api.backup.protect(self.request, "srv-1", "new")
        self.assertEqual([c.args[1] for c in call.call_args_list], ["protected_instance_get", "protect"])

    def test_pages_know_whether_there_is_more(self):
        with mock.patch.object(api.backup.BackupClient, "page", return_value={
                "count": 45, "next": "x", "previous": None,
                "results": [{"id": f"rp-{n}", "created_at": "2026-11-24T02:00:00Z"} for n in range(20)]}) as page:
            found = api.backup.restore_point_list_page(self.request, {"instance_name": "web"}, offset=20)
        self.assertTrue(found.has_more and found.has_prev)
        self.assertEqual(found.items[0].created_at.year, 2026)
        page.assert_called_once_with("/v1/restore-points", {"instance_name": "web", "all_projects": False},
                                     limit=20, offset=20)
        self.assertIsInstance(helpers.IsHttpRequest(), object)
