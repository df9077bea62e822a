# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Browse Files: a volume's folders with breadcrumbs, a search box and downloads (a file as it is, a folder as tar
or zip), through the api layer only; another project's restore point is a 404."""
from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.dashboards.project.restore_points.files import breadcrumbs
from tests.dashboard import helpers as backup_helpers

BROWSE_URL = reverse("horizon:project:restore_points:browse_files", args=["rp-1", "vol-data"])
DOWNLOAD_URL = reverse("horizon:project:restore_points:download_file", args=["rp-1", "vol-data"])
LISTING = {"restore_point_id": "rp-1", "volume_id": "vol-data", "path": "/etc", "search": "", "filesystem": "ext4",
           "partition": 2, "truncated": False,
           "partitions": [{"number": 1, "start": 1048576, "size": 1048576, "table": "gpt", "type": "21686148-6449-6e6f-"
                           "744e-656564454649", "filesystem": None},
                          {"number": 2, "start": 2097152, "size": 67108864, "table": "gpt", "type": "0fc63daf-8483-"
                           "4772-8e79-3d69d8477de4", "filesystem": "ext4"},
                          {"number": 201, "start": 3145728, "size": 8388608, "table": "lvm", "type": "vg0/home",
                           "filesystem": None}], "job_id": "job-1", "entries": [
               {"name": "ssh", "type": "directory", "size": 0, "mtime": 1796000000, "mode": "0755"},
               {"name": "hostname", "type": "file", "size": 6, "mtime": 1796000000, "mode": "0644"},
               {"name": "localtime", "type": "symlink", "size": 27, "mtime": 1796000000, "mode": "0777",
                "target": "/usr/share/zoneinfo/UTC"}]}


def test_breadcrumbs_lead_from_the_root():
    assert breadcrumbs("/etc//ssh/") == [("/", "/"), ("etc", "/etc"), ("ssh", "/etc/ssh")]
    assert breadcrumbs("/") == [("/", "/")]


class BrowseFilesTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_each_volume_of_the_detail_page_offers_browse_files(self):
        point = backup_helpers.restore_point()
        point.instance_document = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-1"]))
        for volume in point.volumes:
            self.assertContains(response, reverse("horizon:project:restore_points:browse_files",
                                                  args=["rp-1", volume["volume_id"]]))
        self.assertContains(response, "Browse Files")

    @helpers.create_mocks({api.backup: ["file_list"]})
    def test_a_folder_lists_with_breadcrumbs_and_downloads(self):
        self.mock_file_list.return_value = LISTING
        response = self.client.get(BROWSE_URL + "?path=/etc&partition=2")
        self.mock_file_list.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", "vol-data", "/etc", search="",
                                                    partition=2)
        self.assertTemplateUsed(response, "storage_backup/restore_points/browse_files.html")
        self.assertContains(response, "Filesystem ext4 on partition 2.")
        self.assertContains(response, f'<a href="{BROWSE_URL}?path=%2F&amp;partition=2">/</a>', html=False)
        self.assertContains(response, '<li class="active">etc</li>', html=True)
        self.assertContains(response, f"{BROWSE_URL}?path=%2Fetc%2Fssh&amp;partition=2")
        self.assertContains(response, f"{DOWNLOAD_URL}?path=%2Fetc%2Fhostname&amp;format=raw&amp;partition=2")
        self.assertContains(response, f"{DOWNLOAD_URL}?path=%2Fetc%2Fssh&amp;format=zip&amp;partition=2")
        self.assertContains(response, f"{DOWNLOAD_URL}?path=%2Fetc&amp;format=tar&amp;partition=2")
        self.assertContains(response, "&rarr; /usr/share/zoneinfo/UTC")
        self.assertContains(response, 'name="search"')
        self.assertContains(response, f'<a href="{BROWSE_URL}?partition=201">201</a> (vg0/home) 8.0\xa0MB')
        self.assertContains(response, "<strong>2</strong>")

    @helpers.create_mocks({api.backup: ["file_list"]})
    def test_search_shows_full_paths(self):
        self.mock_file_list.return_value = {**LISTING, "path": "/", "search": "host", "entries": [
            {"name": "hostname", "path": "/etc/hostname", "type": "file", "size": 6, "mtime": 0, "mode": "0644"}],
            "truncated": True}
        response = self.client.get(BROWSE_URL + "?search=host")
        self.mock_file_list.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", "vol-data", "/",
                                                    search="host", partition=None)
        self.assertContains(response, "/etc/hostname")
        self.assertContains(response, "Names matching “host” below this folder.")
        self.assertContains(response, "More entries than shown")

    @helpers.create_mocks({api.backup: ["file_list"]})
    def test_another_project_is_not_found_and_a_missing_folder_is_said(self):
        self.mock_file_list.side_effect = backup_exceptions.BackupNotFound("Restore point rp-1 could not be found.",
                                                                           404)
        self.assertEqual(self.client.get(BROWSE_URL).status_code, 404)
        self.mock_file_list.side_effect = backup_exceptions.BackupNotFound("/etc/nothing does not exist in this "
                                                                           "restore point", 404)
        response = self.client.get(BROWSE_URL + "?path=/etc/nothing")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "/etc/nothing does not exist in this restore point")
        self.mock_file_list.side_effect = backup_exceptions.BackupRequestRefused(
            "the volume holds neither a partition table (GPT, MBR) nor a filesystem this product reads", 422)
        response = self.client.get(BROWSE_URL)
        self.assertContains(response, "nor a filesystem this product reads")

    @helpers.create_mocks({api.backup: ["file_download"]})
    def test_a_download_streams_what_the_service_made(self):
        self.mock_file_download.return_value = ("etc.zip", 7, iter([b"PK", b"\x03\x04abc"]))
        response = self.client.get(DOWNLOAD_URL + "?path=/etc&format=zip")
        self.mock_file_download.assert_called_once_with(helpers.IsHttpRequest(), "rp-1", "vol-data", "/etc", "zip",
                                                        None)
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="etc.zip"')
        self.assertEqual(b"".join(response.streaming_content), b"PK\x03\x04abc")

    @helpers.create_mocks({api.backup: ["file_download"]})
    def test_a_failed_download_goes_back_to_the_folder_saying_why(self):
        self.mock_file_download.side_effect = backup_exceptions.BackupRequestRefused(
            "/etc holds more than 4294967296 bytes, the most a download may hold", 409, "job_failed")
        response = self.client.get(DOWNLOAD_URL + "?path=/etc/big&format=tar")
        self.assertRedirects(response, BROWSE_URL + "?path=%2Fetc", fetch_redirect_response=False)
        self.assertEqual(self.client.get(DOWNLOAD_URL + "?path=/x&format=evil").status_code, 302)
        self.mock_file_download.assert_called_with(helpers.IsHttpRequest(), "rp-1", "vol-data", "/x", "auto", None)
