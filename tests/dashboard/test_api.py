# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The api layer: the user's token and catalog endpoint, the service's refusals as the plugin's exceptions,
moving an instance to another policy, the page menu's figures, the profiler."""
import importlib
import inspect
import re
from unittest import mock

from django.conf import settings
from django.test import override_settings
from keystoneauth1 import exceptions as ks_exceptions
from openstack_dashboard.contrib.developer.profiler import api as profiler

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.client import BackupApiError, BackupClient
from tests.dashboard import helpers as backup_helpers


class ClientTests(backup_helpers.APITestCase):

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

    def test_no_answer_is_the_service_being_unavailable(self):
        for error in (ks_exceptions.ConnectFailure("refused"), ks_exceptions.ConnectTimeout("slow")):
            with self.subTest(error=type(error).__name__), \
                    mock.patch.object(BackupClient, "job_get", side_effect=error):
                with self.assertRaises(backup_exceptions.BackupServiceUnavailable) as raised:
                    api.backup.job_get(self.request, "job-1")
                self.assertIn("The backup service at http://backup.example.com:8779 cannot be reached",
                              str(raised.exception))

    def test_an_answer_that_is_not_json_is_the_service_being_unavailable(self):
        answer = mock.Mock(status_code=200, content=b"<html>proxy error</html>", text="<html>proxy error</html>")
        answer.json.side_effect = ValueError("Expecting value")
        with mock.patch.object(api.backup.backupclient(self.request).session, "request", return_value=answer):
            with self.assertRaises(backup_exceptions.BackupServiceUnavailable) as raised:
                api.backup.job_get(self.request, "job-1")
        self.assertEqual(raised.exception.status, 502)
        self.assertIn("not JSON", str(raised.exception))

    def test_the_plugin_exceptions_are_registered_with_horizon(self):
        config = settings.HORIZON_CONFIG["exceptions"]
        self.assertIn(backup_exceptions.BackupRequestRefused, config["recoverable"])
        self.assertIn(backup_exceptions.BackupServiceUnavailable, config["recoverable"])
        self.assertIn(backup_exceptions.BackupNotFound, config["not_found"])
        self.assertIn(backup_exceptions.BackupUnauthorized, config["unauthorized"])


class ProtectTests(backup_helpers.APITestCase):

    def test_an_instance_of_another_policy_moves(self):
        client = mock.Mock(spec=BackupClient)
        client.protected_instance_get.return_value = {"instance_id": "srv-1", "policy_id": "old"}
        client.protect.return_value = {"instance_id": "srv-1", "policy_id": "new"}
        with mock.patch.object(api.backup, "backupclient", return_value=client):
            api.backup.protect(self.request, "srv-1", "new")
        self.assertEqual(client.method_calls, [mock.call.protected_instance_get("srv-1"), mock.call.unprotect("srv-1"),
                                               mock.call.protect("srv-1", "new")])

    def test_an_unprotected_instance_is_protected(self):
        client = mock.Mock(spec=BackupClient)
        client.protected_instance_get.side_effect = BackupApiError(404, "not_found", "Instance srv-1 is not "
                                                                                     "protected.")
        client.protect.return_value = {"instance_id": "srv-1", "policy_id": "new"}
        with mock.patch.object(api.backup, "backupclient", return_value=client):
            api.backup.protect(self.request, "srv-1", "new")
        self.assertEqual(client.method_calls, [mock.call.protected_instance_get("srv-1"),
                                               mock.call.protect("srv-1", "new")])


class PageMenuTests(backup_helpers.APITestCase):

    def test_a_page_number_is_an_offset_and_the_count_a_number_of_pages(self):
        answer = {"count": 45, "next": "x", "previous": "y",
                  "results": [{"id": f"rp-{n}", "created_at": "2026-11-24T02:00:00Z"} for n in range(20)]}
        with mock.patch.object(BackupClient, "request", return_value=answer) as request:
            points, page_size, count, pages = api.backup.restore_point_list_paged_with_page_menu(
                self.request, search_opts={"instance_name": "web", "locked": ""}, page_number=2)
        self.assertEqual((len(points), page_size, count, pages), (20, 20, 45, 3))
        self.assertEqual(points[0].created_at.year, 2026)
        request.assert_called_once_with("GET", "/v1/restore-points",
                                        params={"instance_name": "web", "offset": 20, "limit": 20})

    def test_an_administrator_asks_for_every_project(self):
        answer = {"count": 0, "next": None, "previous": None, "results": []}
        with mock.patch.object(BackupClient, "request", return_value=answer) as request:
            self.assertEqual(api.backup.job_list_paged_with_page_menu(self.request, all_projects=True),
                             ([], 20, 0, 0))
        request.assert_called_once_with("GET", "/v1/jobs", params={"all_projects": 1, "offset": 0, "limit": 20})


class FileRestoreTests(backup_helpers.APITestCase):
    """Browse Files' two calls: the listing as the client asks it, the download as a job waited for, then streamed."""

    def test_a_listing_asks_the_files_endpoint_with_a_longer_timeout(self):
        answer = {"entries": [], "truncated": False, "filesystem": "ext4"}
        with mock.patch.object(BackupClient, "request", return_value=answer) as request:
            self.assertEqual(api.backup.file_list(self.request, "rp 1", "vol/1", "/etc", search="", partition=2),
                             answer)
        request.assert_called_once_with("GET", "/v1/restore-points/rp%201/volumes/vol%2F1/files",
                                        params={"path": "/etc", "partition": 2}, timeout=90)

    def test_a_download_waits_for_its_job_then_streams(self):
        queued = {"id": "job-1", "state": "queued"}
        with mock.patch.object(BackupClient, "request", side_effect=[queued, {**queued, "state": "succeeded"}]), \
                mock.patch.object(BackupClient, "job_download_stream",
                                  return_value=("etc.tar", 3, iter([b"abc"]))) as stream, \
                mock.patch("storage_backup_client.client.time.sleep"):
            name, size, pieces = api.backup.file_download(self.request, "rp-1", "vol-1", "/etc", "tar")
        self.assertEqual((name, size, b"".join(pieces)), ("etc.tar", 3, b"abc"))
        stream.assert_called_once_with("job-1")

    def test_a_failed_download_job_is_a_refusal_with_its_error(self):
        failed = {"id": "job-1", "state": "failed", "error": "/etc/missing does not exist in this restore point"}
        with mock.patch.object(BackupClient, "request", return_value=failed), \
                self.assertRaisesRegex(backup_exceptions.BackupRequestRefused, "does not exist"):
            api.backup.file_download(self.request, "rp-1", "vol-1", "/etc/missing")


class ProfilerTests(backup_helpers.APITestCase):
    """Every api function is traced as Horizon's are; with the profiler off (the default) the trace is nothing."""

    def _call_policy_get(self):
        with mock.patch.object(BackupClient, "request", side_effect=[
                {"id": "pol-1", "name": "nightly", "destination_id": "dest-1"},
                {"count": 1, "results": [{"id": "dest-1", "name": "shared-fs"}]}]):
            return api.backup.policy_get(self.request, "pol-1")

    def test_off_the_functions_run_as_written(self):
        self.assertFalse(settings.OPENSTACK_PROFILER.get("enabled", False))
        self.assertFalse(hasattr(api.backup.policy_get, "__traced__"))
        self.assertEqual(self._call_policy_get().destination_name, "shared-fs")

    def test_on_they_are_traced_and_still_answer(self):
        try:
            with override_settings(OPENSTACK_PROFILER={"enabled": True}):
                importlib.reload(profiler)
                importlib.reload(api.backup)
                self.assertEqual(api.backup.policy_get.__traced__, 1)  # osprofiler's mark
                self.assertEqual(self._call_policy_get().destination_name, "shared-fs")
        finally:
            importlib.reload(profiler)
            importlib.reload(api.backup)
        self.assertFalse(hasattr(api.backup.policy_get, "__traced__"))


class FunctionPerCallTests(backup_helpers.APITestCase):
    """The api layer calls the client's public methods, never a method named by a string or a private one."""

    def test_no_dispatch_by_name_and_no_private_client_method(self):
        source = inspect.getsource(api.backup)
        self.assertNotRegex(source, r"getattr\(client|_call\(|\._list\(|backupclient\(request\)\._")
        public = {name for name in dir(BackupClient(mock.Mock(), endpoint="http://backup:8779"))
                  if not name.startswith("_")}
        used = set(re.findall(r"backupclient\(request\)\.(\w+)|client\.(\w+)\(", source))
        self.assertLessEqual({name for pair in used for name in pair if name}, public)
