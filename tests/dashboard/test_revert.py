# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Revert in Place: the row action, and its own dialog that names what is overwritten and wants the name typed
back before it asks the service (which checks the same confirmation)."""
from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers

URL = reverse("horizon:project:restore_points:revert", args=["rp-1"])


class RevertTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu"]})
    def test_every_restore_point_with_volumes_offers_revert(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.restore_point(id="rp-1"), backup_helpers.restore_point(id="rp-empty", volumes=[])])
        response = self.client.get(reverse("horizon:project:restore_points:index"))
        self.assertContains(response, reverse("horizon:project:restore_points:revert", args=["rp-1"]))
        self.assertNotContains(response, reverse("horizon:project:restore_points:revert", args=["rp-empty"]))

    @helpers.create_mocks({api.backup: ["restore_point_instance"]})
    def test_the_dialog_names_what_is_overwritten_and_offers_no_boot_volume_alone(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        response = self.client.get(URL)
        self.assertContains(response, "This overwrites the original instance <strong>web-1</strong> in place")
        self.assertContains(response, "web-1-root, web-1-data")
        choices = [value for value, _label in response.context["form"].fields["target"].choices]
        self.assertEqual(choices, ["instance", "vol-data"])

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_point_revert"]})
    def test_without_the_name_typed_back_nothing_is_asked_of_the_service(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "vol-data", "confirm": "web-1"})
        self.assertFormErrors(response, 1)
        self.assertContains(response, "Type web-1-data to confirm the overwrite.")
        self.mock_restore_point_revert.assert_not_called()

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_point_revert"]})
    def test_a_confirmed_revert_of_the_instance_starts_a_job(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_revert.return_value = backup_helpers.job(id="job-rev", type="revert")
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "instance", "confirm": " web-1 "})
        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:project:backup_jobs:detail", args=["job-rev"]))
        self.mock_restore_point_revert.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", volume_id=None,
                                                               instance=True, confirm="web-1")

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_point_revert"]})
    def test_a_refusal_of_the_service_is_shown_in_the_dialog(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_revert.side_effect = backup_exceptions.BackupRequestRefused(
            "Volume web-1-data is 2 GiB now and was 1 GiB", status=409, code="conflict")
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "vol-data",
                                          "confirm": "web-1-data"})
        self.assertContains(response, "Volume web-1-data is 2 GiB now and was 1 GiB")
        self.mock_restore_point_revert.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", volume_id="vol-data",
                                                               instance=False, confirm="web-1-data")
