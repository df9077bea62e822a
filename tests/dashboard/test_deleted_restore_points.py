# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Vault-only restore points in the Restore Points panel: marked "Vault only" and offering only what the vault can
do; the deleted restore points with a vault copy, their Recover dialog and its refusals; the api calls behind them."""
from unittest import mock

from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers

INDEX_URL = reverse("horizon:project:restore_points:index")
DELETED_URL = reverse("horizon:project:restore_points:deleted")
RECOVER_URL = reverse("horizon:project:restore_points:recover", args=["copy-1"])
VAULT_ONLY_COPIES = [
    {"kind": "primary", "destination_id": "dest-1", "destination_name": "ceph-primary", "state": "deleted",
     "at": "2026-11-25T09:00:00Z", "chunks_copied": None, "bytes_copied": None, "error": ""},
    {"kind": "vault", "destination_id": "vault-1", "destination_name": "offsite-vault", "state": "copied",
     "at": "2026-11-24T03:10:00Z", "chunks_copied": 12, "bytes_copied": 5 << 20, "error": ""}]


def vault_only_point(**fields):
    return backup_helpers.restore_point(id="rp-vault", vault_only=True, copies=VAULT_ONLY_COPIES, **fields)


def vault_copy(**fields) -> api.backup.VaultCopy:
    data = {"id": "copy-1", "restore_point_id": "rp-gone", "project_id": "1", "instance_id": "srv-1",
            "instance_name": "web-1", "created_at": "2026-11-23T02:00:00Z", "strategy": "full",
            "bytes_total": 3 << 30, "vault_id": "vault-1", "vault_name": "offsite-vault",
            "primary_destination_id": "dest-1", "state": "copied", "copied_at": "2026-11-23T03:00:00Z",
            "bytes_copied": 5 << 20, "primary_deleted_at": "2026-11-25T09:00:00Z", "in_catalog": False,
            "recoverable": True, "not_recoverable_reason": ""}
    data.update(fields)
    return api.backup.VaultCopy(data)


class VaultOnlyRestorePointTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu"]})
    def test_the_list_marks_it_vault_only_and_offers_no_verify_or_revert(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [vault_only_point(), backup_helpers.restore_point(id="rp-ordinary")])
        response = self.client.get(INDEX_URL)
        self.assertContains(response, "Vault only")
        self.assertContains(response, "restore_points__verify__rp-ordinary")
        self.assertNotContains(response, "restore_points__verify__rp-vault")
        self.assertContains(response, reverse("horizon:project:restore_points:revert", args=["rp-ordinary"]))
        self.assertNotContains(response, reverse("horizon:project:restore_points:revert", args=["rp-vault"]))
        self.assertContains(response, reverse("horizon:project:restore_points:restore", args=["rp-vault"]))
        self.assertContains(response, "restore_points__delete__rp-vault")
        self.assertContains(response, DELETED_URL)  # the way to the deleted ones

    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_the_detail_says_why_and_offers_no_file_browsing(self):
        point = vault_only_point()
        point.instance_document = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-vault"]))
        self.assertContains(response, "storage-backup-vault-only")
        self.assertContains(response, "It restores from the vault only")
        self.assertContains(response, "Deleted")  # its primary copy
        self.assertNotContains(response, "browse_files")

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices",
                                        "restore_create"]})
    def test_the_wizard_reads_it_from_the_vault_only(self):
        self.mock_restore_point_get.return_value = vault_only_point()
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = api.backup.Choices(
            zones=["nova"], flavors=self.flavors.list(), networks=[mock.Mock(id="net-1", name="demo-net")],
            volume_types=[])
        self.mock_restore_create.return_value = backup_helpers.job(id="job-restore", type="restore")
        url = reverse("horizon:project:restore_points:restore", args=["rp-vault"])
        response = self.client.get(url)
        self.assertContains(response, "The air-gapped vault copy")
        self.assertNotContains(response, "The primary destination")
        response = self.client.post(url, {
            "restore_point_id": "rp-vault", "source": "vault", "mode": "instance", "name": "web-1-copy",
            "availability_zone": "nova", "flavor_id": self.flavors.first().id, "network_0": "net-1",
            "volume_type_vol-root": "", "volume_type_vol-data": ""})
        self.assertNoFormErrors(response)
        self.assertEqual(self.mock_restore_create.call_args.kwargs["source"], "vault")


class DeletedRestorePointsTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["vault_copy_list_paged_with_page_menu"]})
    def test_the_deleted_ones_not_recovered_yet_with_recover_where_it_can(self):
        failed = vault_copy(id="copy-2", restore_point_id="rp-failed", state="failed", recoverable=False,
                            not_recoverable_reason="The vault copy of restore point rp-failed is failed, not "
                                                   "complete: only a complete copy can be recovered.")
        self.mock_vault_copy_list_paged_with_page_menu.return_value = backup_helpers.page([vault_copy(), failed])
        response = self.client.get(DELETED_URL)
        self.assertContains(response, "<h1>Deleted Restore Points</h1>", html=False)
        self.assertContains(response, "offsite-vault")
        self.assertContains(response, "Recoverable")
        self.assertContains(response, RECOVER_URL)
        self.assertNotContains(response, reverse("horizon:project:restore_points:recover", args=["copy-2"]))
        self.assertContains(response, "only a complete copy can be recovered")
        self.mock_vault_copy_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"in_catalog": "false"}, page_number=1, all_projects=False)

    @helpers.create_mocks({api.backup: ["vault_copy_list_paged_with_page_menu"]})
    def test_a_listing_the_service_refuses_says_so(self):
        self.mock_vault_copy_list_paged_with_page_menu.side_effect = backup_exceptions.BackupServiceUnavailable(
            "down", 503)
        response = self.client.get(DELETED_URL)
        self.assertContains(response, "Unable to retrieve the deleted restore points.")

    def test_the_recover_dialog_says_what_a_vault_only_point_is(self):
        response = self.client.get(RECOVER_URL)
        self.assertContains(response, "Vault only")
        self.assertContains(response, "It cannot be verified, browsed file by file, reverted in place or locked.")
        self.assertContains(response, 'value="copy-1"')

    @helpers.create_mocks({api.backup: ["vault_copy_recover"]})
    def test_recover_lands_on_the_recovered_restore_point(self):
        self.mock_vault_copy_recover.return_value = vault_only_point()
        response = self.client.post(RECOVER_URL, {"copy_id": "copy-1"})
        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:project:restore_points:detail", args=["rp-vault"]))
        self.mock_vault_copy_recover.assert_called_once_with(helpers.IsHttpRequest(), "copy-1")

    @helpers.create_mocks({api.backup: ["vault_copy_recover"]})
    def test_a_refused_recovery_says_why_and_stays(self):
        self.mock_vault_copy_recover.side_effect = backup_exceptions.BackupRequestRefused(
            "The primary destination of restore point rp-gone was deleted, and with it the repository secret its "
            "vault copy shares: the copy cannot be opened from here.", 409, "conflict")
        response = self.client.post(RECOVER_URL, {"copy_id": "copy-1"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "the repository secret its vault copy shares")


class VaultCopyApiTests(backup_helpers.APITestCase):

    def test_a_page_of_deleted_restore_points_and_a_recovery(self):
        answer = {"results": [{"id": "copy-1", "restore_point_id": "rp-gone", "instance_name": "web-1",
                               "created_at": "2026-11-23T02:00:00Z", "primary_deleted_at": "2026-11-25T09:00:00Z",
                               "copied_at": None}], "count": 1}
        with mock.patch.object(api.backup.BackupClient, "request", return_value=answer) as request:
            copies, _, count, pages = api.backup.vault_copy_list_paged_with_page_menu(
                self.request, search_opts={"in_catalog": "false"})
        self.assertEqual((count, pages, copies[0].id, copies[0].primary_deleted_at.day), (1, 1, "copy-1", 25))
        self.assertEqual(request.call_args.args[:2], ("GET", "/v1/vault-copies"))
        self.assertEqual(request.call_args.kwargs["params"]["in_catalog"], "false")
        with mock.patch.object(api.backup.BackupClient, "request",
                               return_value={"id": "rp-gone", "vault_only": True}) as request:
            point = api.backup.vault_copy_recover(self.request, "copy-1")
        self.assertEqual(request.call_args.args[:2], ("POST", "/v1/vault-copies/copy-1/recover"))
        self.assertTrue(point.vault_only)
        self.assertEqual(point.status, "vault_only")
