# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Revert in Place: the row action, and its own dialog that names what is overwritten and wants the name typed
back before it asks the service (which checks the same confirmation)."""
import re

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
                                                               instance=True, confirm="web-1", stop_server=False)

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_point_revert"]})
    def test_a_refusal_of_the_service_is_shown_in_the_dialog(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_revert.side_effect = backup_exceptions.BackupRequestRefused(
            "Volume web-1-data is 2 GiB now and was 1 GiB", status=409, code="conflict")
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "vol-data",
                                          "confirm": "web-1-data"})
        self.assertContains(response, "Volume web-1-data is 2 GiB now and was 1 GiB")
        self.mock_restore_point_revert.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", volume_id="vol-data",
                                                               instance=False, confirm="web-1-data", stop_server=False)

    @helpers.create_mocks({api.backup: ["restore_point_instance"]})
    def test_a_data_volume_offers_to_stop_the_instance_checked_by_default(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        response = self.client.get(URL)
        field = response.context["form"].fields["stop_server"]
        self.assertIs(field.initial, True)
        self.assertContains(response, "Stop the instance while the volume is reverted")
        self.assertContains(response, "a guest that has it mounted can corrupt its file system")
        # Horizon's switchable fields: the box shows for the data volume's choice only, not for the whole instance
        self.assertContains(response, 'data-switch-on="target"')
        self.assertContains(response, 'data-target-vol-data="Stop the instance while the volume is reverted"')
        self.assertNotContains(response, "data-target-instance=")
        self.assertNotContains(response, "data-target-vol-root=")
        [box] = re.findall(r'<input[^>]*name="stop_server"[^>]*>', response.content.decode())
        self.assertIn("checked", box)

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_point_revert"]})
    def test_the_stop_reaches_the_service_for_a_volume_and_never_for_the_instance(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_revert.return_value = backup_helpers.job(id="job-rev", type="revert")
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "vol-data", "confirm": "web-1-data",
                                          "stop_server": "on"})
        self.assertNoFormErrors(response)
        self.mock_restore_point_revert.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", volume_id="vol-data",
                                                               instance=False, confirm="web-1-data", stop_server=True)
        self.mock_restore_point_revert.reset_mock()
        # the box stays checked (hidden) when the whole instance is chosen: it is stopped anyway, nothing is sent
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "instance", "confirm": "web-1",
                                          "stop_server": "on"})
        self.assertNoFormErrors(response)
        self.mock_restore_point_revert.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", volume_id=None,
                                                               instance=True, confirm="web-1", stop_server=False)

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_point_revert"]})
    def test_a_refusal_of_the_stop_is_shown_at_the_box(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_revert.side_effect = backup_exceptions.BackupRequestRefused(
            "stop_server is for one data volume", status=400, code="invalid", field="stop_server")
        response = self.client.post(URL, {"restore_point_id": "rp-1", "target": "vol-data", "confirm": "web-1-data",
                                          "stop_server": "on"})
        self.assertFormErrors(response, 1)
        self.assertEqual(response.context["form"].errors["stop_server"], ["stop_server is for one data volume"])
