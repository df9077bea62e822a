# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Admin -> Backup panels: overview charts, proxies, destinations, every project's jobs and restore points,
published policies, usage and its CSV."""
import csv
import io
import json

from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers

OVERVIEW = {
    "days": 7, "generated_at": "2026-11-24T12:00:00Z",
    "instances": {"total": 10, "protected": 4, "unprotected": 6, "error": ""},
    "jobs": {"per_day": [{"date": f"2026-11-{day}", "succeeded": day - 17, "failed": 1 if day == 22 else 0,
                          "cancelled": 0} for day in range(18, 25)],
             "totals": {"succeeded": 28, "failed": 1, "cancelled": 0}, "success_rate": 0.966, "active": 2},
    "stored": {"per_day": [{"date": f"2026-11-{day}", "bytes_stored": (day - 17) << 30, "restore_points": day}
                           for day in range(18, 25)]},
    "data": {"logical_bytes": 100 << 30, "bytes_read": 20 << 30, "bytes_stored": 5 << 30, "reduction_ratio": 20.0,
             "deduplication_ratio": 3.2, "compression_ratio": 2.1},
    "top_projects": [{"project_id": "1", "bytes_stored": 4 << 30, "restore_points": 30, "protected_instances": 3},
                     {"project_id": "2", "bytes_stored": 1 << 30, "restore_points": 8, "protected_instances": 1}],
    "proxies": {"up": 1, "down": 1},
    "attention": {"failed_jobs_count": 1, "failed_jobs": [
        {"id": "job-f", "type": "backup", "project_id": "1", "instance_name": "db-1",
         "error": "Volume v is in error; ask the cloud operators to check Cinder.",
         "finished_at": "2026-11-22T03:00:00Z"}],
        "waiting_jobs": [], "proxies_down": [{"hostname": "proxy-az2@host", "availability_zone": "az2",
                                              "last_heartbeat": "2026-11-24T10:00:00Z"}],
        "failing_policies_count": 1, "failing_policies": [
            {"id": "pol-1", "name": "nightly", "project_id": "2", "shared": False,
             "error": "'0 0 30 2 *' names a date that never comes; it would never run",
             "since": "2026-11-24T09:00:00Z"}],
        "vanished_restore_points": [{"id": "rp-gone", "project_id": "1", "instance_name": "db-1",
                                     "destination_id": "d-1", "retention_lock_until": "2027-01-01T00:00:00Z",
                                     "missing_since": "2026-11-24T11:00:00Z"}],
        "unresolved_leftovers": [{"resource_type": "snapshot", "resource_id": "snap-9", "status": "available",
                                  "job_id": "job-d", "project_id": "1", "since": "2026-11-24T09:00:00Z",
                                  "reason": "Snapshot snap-9 has dependent volumes (v-3); delete them first."}],
        "lock_maintenance": [
            {"destination_id": "d-s3", "name": "rgw-worm", "project_id": "", "problem": "failed",
             "failed_at": "2026-11-24T11:30:00Z", "last_success": "2026-11-23T23:30:00Z",
             "protected_until": "2026-11-25T23:30:00Z",
             "error": "ClientError: An error occurred (InvalidAccessKeyId) when calling the HeadObject operation"},
            {"destination_id": "d-s3b", "name": "rgw-idle", "project_id": "", "problem": "overdue",
             "failed_at": None, "last_success": None, "protected_until": None,
             "error": "no lock maintenance pass has succeeded since 2026-11-23 00:00 UTC (one is due every 12 h)"},
            {"destination_id": "d-s3c", "name": "rgw-short", "project_id": "", "problem": "margin",
             "failed_at": None, "last_success": None, "protected_until": None,
             "error": "lock_days=1 is shorter than twice the lock maintenance interval (STORAGE_BACKUP_LOCK_MAINTENANCE"
                      "_INTERVAL=86400 s, 24 h, so at least 2 days): one failed pass could leave locked objects "
                      "deletable before anyone mends it. Lower STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL to 12 h or "
                      "less, or raise lock_days in the destination's location to 2 or more"}]},
}


class AdminOverviewTests(backup_helpers.AdminTestCase):

    @helpers.create_mocks({api.backup: ["overview", "project_names"]})
    def test_charts_get_horizon_chart_data(self):
        self.mock_overview.return_value = json.loads(json.dumps(OVERVIEW))
        self.mock_project_names.return_value = {"1": "demo", "2": "alt"}

        response = self.client.get(reverse("horizon:admin:backup_overview:index"))

        self.assertContains(response, 'data-used="Protected=4|Unprotected=6"')
        self.assertContains(response, 'data-used="Succeeded=28|Failed=1"')  # zero parts left out
        self.assertContains(response, 'data-used="demo=4294967296|alt=1073741824"')
        jobs_chart = json.loads(response.context["jobs_chart"])
        self.assertEqual([serie["name"] for serie in jobs_chart["series"]], ["Succeeded", "Failed"])
        self.assertEqual(jobs_chart["series"][0]["data"][0], {"x": "2026-11-18T00:00:00", "y": 1})
        stored = json.loads(response.context["stored_chart"])
        self.assertEqual((stored["series"][0]["name"], stored["series"][0]["data"][-1]["y"]), ("Stored GiB", 7.0))
        self.assertContains(response, "3.20\u00d7")
        # the line charts: numbers on the y axis, the days under the chart (not Rickshaw's hours), units named
        self.assertTrue(jobs_chart["settings"]["axes_y_label"])
        self.assertFalse(jobs_chart["settings"]["axes_x"])
        self.assertEqual(response.context["jobs_days"][0], "Nov. 18")
        self.assertEqual(response.context["jobs_days"][-1], "Nov. 24")
        self.assertContains(response, "Stored GiB at the end of each day")
        self.assertContains(response, "Day (UTC)", count=2)
        self.assertContains(response, "Proxy proxy-az2@host of zone az2 is down")
        self.assertContains(response, "ask the cloud operators to check Cinder")
        self.assertContains(response, "Policy nightly of project alt is not scheduled")
        self.assertContains(response, "names a date that never comes")
        self.assertContains(response, "storage-backup-vanished", count=1)
        self.assertContains(response, "Restore point rp-gone of demo / db-1 is locked until")
        # What the sweeper could not remove, with its reason and the project's name
        self.assertContains(response, "The sweeper cannot remove snapshot snap-9 (available) of project demo: "
                                      "Snapshot snap-9 has dependent volumes")
        # Lock maintenance: a failed pass and an overdue one, each saying when the protection starts ending
        self.assertContains(response, "storage-backup-lock-maintenance", count=3)
        # ... and one whose lock_days the interval outgrew, saying which setting to change
        self.assertContains(response, "The Object Lock retention of destination rgw-short is too short for its lock "
                                      "maintenance interval: lock_days=1 is shorter than twice")
        self.assertContains(response, "Lower STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL to 12 h or less")
        self.assertContains(response, "Lock maintenance of destination rgw-worm failed")
        self.assertContains(response, "InvalidAccessKeyId")
        self.assertContains(response, "Lock maintenance of destination rgw-idle is overdue: no lock maintenance pass")
        self.assertContains(response, "at an unknown date (no pass has succeeded)")
        self.mock_overview.assert_called_once_with(helpers.IsHttpRequest(), 7)

    @helpers.create_mocks({api.backup: ["overview", "project_names"]})
    def test_silent_and_lagging_vaults_say_what_to_check(self):
        overview = json.loads(json.dumps(OVERVIEW))
        common = {"asked_at": None, "reported_at": None, "window": "", "window_open": None, "next_window": None,
                  "waiting": 0, "given_up": 0, "oldest_waiting": None, "message": "..."}
        overview["attention"]["vaults"] = [
            {**common, "vault_id": "v-1", "name": "bunker", "problem": "silent",
             "last_seen": "2026-11-24T09:00:00Z"},
            {**common, "vault_id": "v-2", "name": "cellar", "problem": "silent", "last_seen": None},
            {**common, "vault_id": "v-3", "name": "tape", "problem": "lagging", "last_seen": "2026-11-24T11:59:00Z",
             "waiting": 4, "given_up": 1, "oldest_waiting": "2026-11-22T10:00:00Z", "window": "01:00-05:00 UTC",
             "window_open": False, "next_window": "2026-11-25T01:00:00Z"}]
        self.mock_overview.return_value = overview
        self.mock_project_names.return_value = {"1": "demo", "2": "alt"}

        response = self.client.get(reverse("horizon:admin:backup_overview:index"))

        self.assertContains(response, "storage-backup-vault-silent", count=2)
        self.assertContains(response, "The vault worker of vault bunker has not asked for work since 2026-11-24 09:00")
        self.assertContains(response, "The vault worker of vault cellar has never asked for work")
        self.assertContains(response, "with vault_id = v-2, that its Keystone credential (role backup_vault)")
        self.assertContains(response, "4 restore points wait for their copy into vault tape, the oldest since "
                                      "2026-11-22 10:00.")
        self.assertContains(response, "1 of them failed every attempt and are not tried again.")
        self.assertContains(response, "Its copy window (01:00-05:00 UTC) opens next 2026-11-25 01:00 UTC.")

    @helpers.create_mocks({api.backup: ["overview", "project_names"]})
    def test_an_older_service_without_vault_entries_still_renders(self):
        self.mock_overview.return_value = json.loads(json.dumps(OVERVIEW))  # no attention.vaults
        self.mock_project_names.return_value = {}
        response = self.client.get(reverse("horizon:admin:backup_overview:index"))
        self.assertNotContains(response, "storage-backup-vault-")

    @helpers.create_mocks({api.backup: ["overview", "project_names"]})
    def test_thirty_days(self):
        self.mock_overview.return_value = json.loads(json.dumps(OVERVIEW))
        self.mock_project_names.return_value = {}
        self.client.get(reverse("horizon:admin:backup_overview:index") + "?days=30")
        self.mock_overview.assert_called_once_with(helpers.IsHttpRequest(), 30)


class AdminListsTests(backup_helpers.AdminTestCase):

    @helpers.create_mocks({api.backup: ["proxy_list"]})
    def test_proxies_flag_the_down_ones(self):
        up = api.backup.Proxy({"hostname": "proxy-nova@h", "availability_zone": "nova", "server_id": "s1",
                               "version": "1.0", "device_root_ok": True, "max_jobs": 2,
                               "last_heartbeat": "2026-11-24T12:00:00Z", "status": "up"})
        down = api.backup.Proxy({"hostname": "proxy-az2@h", "availability_zone": "az2", "server_id": "s2",
                                 "version": "1.0", "device_root_ok": True, "max_jobs": 2,
                                 "last_heartbeat": "2026-11-24T10:00:00Z", "status": "down"})
        down.queue_depth = 3
        self.mock_proxy_list.return_value = [up, down]
        response = self.client.get(reverse("horizon:admin:backup_proxies:index"))
        self.assertContains(response, "storage-backup-proxy-down", count=1)
        self.assertContains(response, "proxy-az2@h")

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu", "project_names"]})
    def test_all_jobs_filter_by_project_name(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.job()])
        self.mock_project_names.return_value = {"p-demo": "demo"}
        url = reverse("horizon:admin:backup_jobs:index")
        self.client.post(url, {"all_jobs__filter__q": "demo", "all_jobs__filter__q_field": "project"})
        response = self.client.get(url)
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"project_id": "p-demo", "exclude_type": "file_browse"}, page_number=1,
            all_projects=True)
        self.assertContains(response, reverse("horizon:admin:backup_jobs:detail", args=["job-1"]))

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu", "project_names"]})
    def test_all_jobs_hide_file_listings_until_shown(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.job()])
        self.mock_project_names.return_value = {}
        url = reverse("horizon:admin:backup_jobs:index")
        response = self.client.get(url)
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"exclude_type": "file_browse"}, page_number=1, all_projects=True)
        self.assertContains(response, f'href="{url}?file_listings=show"')
        self.assertContains(response, "Show File Listings")
        response = self.client.get(url, {"file_listings": "show"})
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={}, page_number=1, all_projects=True)
        self.assertContains(response, "Hide File Listings")

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu", "project_names", "destination_list"]})
    def test_a_system_job_says_what_it_does_where_and_for_all_projects(self):
        retention = backup_helpers.job(id="job-r", type="prune", project_id="", instance_id="", instance_name="",
                                       destination_id="dest-1", state="succeeded", progress={})
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([retention])
        self.mock_project_names.return_value = {}
        self.mock_destination_list.return_value = [api.backup.Destination({"id": "dest-1", "name": "shared-fs"})]
        response = self.client.get(reverse("horizon:admin:backup_jobs:index"))
        html = response.content.decode()
        self.assertRegex(html, r'<td class="[^"]*">\s*\(all projects\)\s*</td>')
        self.assertIn("Prune of shared-fs</a>", html)
        self.assertNotIn(">job-r</a>", html)
        self.mock_destination_list.assert_called_once_with(helpers.IsHttpRequest(), all_projects=True)

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu", "project_names"]})
    def test_all_restore_points_name_their_project(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.restore_point(project_id="p-demo")])
        self.mock_project_names.return_value = {"p-demo": "demo"}
        response = self.client.get(reverse("horizon:admin:restore_points:index"))
        self.assertRegex(response.content.decode(), r'<td class="[^"]*">\s*demo\s*</td>')
        self.mock_restore_point_list_paged_with_page_menu.assert_called_once_with(
            helpers.IsHttpRequest(), search_opts={}, page_number=1, all_projects=True)

    @helpers.create_mocks({api.backup: ["destination_list_with_usage"]})
    def test_destinations_show_capacity_and_immutability(self):
        destination = api.backup.Destination({"id": "d1", "name": "worm", "type": "filesystem", "path": "/srv/worm",
                                              "encrypted": True, "project_id": "", "retention_lock_min_days": 30})
        destination.usage = {"restore_points": 12, "bytes_stored": 5 << 30, "reachable": True,
                             "filesystem_bytes": 100 << 30, "filesystem_free": 20 << 30}
        self.mock_destination_list_with_usage.return_value = [destination]
        response = self.client.get(reverse("horizon:admin:backup_destinations:index"))
        self.assertContains(response, "Locked at least 30 days")
        self.assertContains(response, "80.0\xa0GB of 100.0\xa0GB")

    @helpers.create_mocks({api.backup: ["destination_list_with_usage", "destination_delete"]})
    def test_delete_an_unused_destination_and_a_refusal_says_why(self):
        empty = api.backup.Destination({"id": "d-empty", "name": "old", "type": "filesystem", "path": "/srv/old",
                                        "encrypted": False, "project_id": "", "retention_lock_min_days": 0})
        empty.usage = {"restore_points": 0, "bytes_stored": 0, "reachable": True}
        full = api.backup.Destination({"id": "d-full", "name": "busy", "type": "filesystem", "path": "/srv/busy",
                                       "encrypted": False, "project_id": "", "retention_lock_min_days": 0})
        full.usage = {"restore_points": 3, "bytes_stored": 1 << 30, "reachable": True}
        self.mock_destination_list_with_usage.return_value = [empty, full]
        url = reverse("horizon:admin:backup_destinations:index")
        response = self.client.get(url)
        self.assertContains(response, 'value="destinations__delete__d-empty"')
        self.assertNotContains(response, 'value="destinations__delete__d-full"')  # it holds restore points
        response = self.client.post(url, {"action": "destinations__delete__d-empty"})
        self.assertRedirectsNoFollow(response, url)
        self.mock_destination_delete.assert_called_once_with(helpers.IsHttpRequest(), "d-empty")
        self.mock_destination_delete.side_effect = backup_exceptions.BackupRequestRefused(
            "Destination old is used by policy nightly; move those policies to another destination (or delete "
            "them) first.", 409, "conflict")
        response = self.client.post(url, {"action": "destinations__delete__d-empty"}, follow=True)
        self.assertContains(response, "Unable to delete the destination. Destination old is used by policy nightly")

    @helpers.create_mocks({api.backup: ["destination_list_with_usage"]})
    def test_s3_destinations_show_their_object_lock(self):
        destination = api.backup.Destination({
            "id": "d3", "name": "vault", "type": "s3", "project_id": "", "retention_lock_min_days": 0,
            "path": "s3://vault/x?endpoint=http://127.0.0.1:7480&path_style=1&lock=COMPLIANCE&lock_days=30"})
        destination.usage = {"restore_points": 1, "bytes_stored": 1 << 30, "reachable": False,
                             "filesystem_bytes": None, "filesystem_free": None}
        self.mock_destination_list_with_usage.return_value = [destination]
        response = self.client.get(reverse("horizon:admin:backup_destinations:index"))
        self.assertContains(response, "S3 Object Lock COMPLIANCE, 30 days per object")
        self.assertContains(response, "Object storage")
        self.assertNotContains(response, "Not reachable from the control plane")

    @helpers.create_mocks({api.backup: ["project_names", "destination_create"]})
    def test_create_destination_validates_before_asking_the_service(self):
        self.mock_project_names.return_value = {"p-demo": "demo"}
        url = reverse("horizon:admin:backup_destinations:create")
        response = self.client.post(url, {"name": "x", "type": "filesystem", "path": "relative/path",
                                          "encrypted": "on", "retention_lock_min_days": "0"})
        self.assertContains(response, "Give an absolute path, starting with /.")
        self.assertContains(response, "An encrypted destination needs a passphrase.")
        self.mock_destination_create.assert_not_called()
        self.mock_destination_create.return_value = api.backup.Destination({"id": "d2", "name": "x"})
        response = self.client.post(url, {"name": "x", "type": "filesystem", "path": "/srv/x", "project_id": "p-demo",
                                          "retention_lock_min_days": "14"})
        self.assertNoFormErrors(response)
        self.mock_destination_create.assert_called_once_with(
            helpers.IsHttpRequest(), name="x", type="filesystem", path="/srv/x", encrypted=False,
            project_id="p-demo", retention_lock_min_days=14)

    @helpers.create_mocks({api.backup: ["project_names", "destination_create"]})
    def test_create_s3_destination_composes_the_location_and_never_shows_the_secret(self):
        self.mock_project_names.return_value = {}
        url = reverse("horizon:admin:backup_destinations:create")
        form = self.client.get(url).content.decode()
        for label in ("Endpoint URL", "Bucket", "Prefix", "Region", "Path-Style Addressing", "Object Lock",
                      "Lock Days", "Access Key", "Secret Key"):
            self.assertIn(label, form)
        bad = {"name": "s3", "type": "s3", "s3_endpoint": "ftp://AK:SK@rgw.example", "s3_lock_mode": "COMPLIANCE",
               "s3_access_key": "AK", "s3_secret_key": "not-to-be-rendered", "retention_lock_min_days": "0"}
        response = self.client.post(url, bad)
        self.assertContains(response, "Give an http:// or https:// URL.")
        self.assertContains(response, "Give the bucket&#x27;s name.")
        self.assertContains(response, "Object Lock needs a number of days.")
        self.assertNotContains(response, "not-to-be-rendered")  # a password field is never rendered back
        self.mock_destination_create.assert_not_called()
        self.mock_destination_create.return_value = api.backup.Destination({"id": "d3", "name": "s3"})
        response = self.client.post(url, {
            "name": "s3", "type": "s3", "s3_endpoint": "http://127.0.0.1:7480", "s3_bucket": "backups",
            "s3_prefix": "/tenant-a/", "s3_region": "default", "s3_path_style": "on", "s3_lock_mode": "COMPLIANCE",
            "s3_lock_days": "0.5", "s3_access_key": "AK", "s3_secret_key": "SK", "retention_lock_min_days": "0"})
        self.assertNoFormErrors(response)
        self.mock_destination_create.assert_called_once_with(
            helpers.IsHttpRequest(), name="s3", type="s3", encrypted=False, retention_lock_min_days=0,
            path="s3://backups/tenant-a?endpoint=http://127.0.0.1:7480&region=default&path_style=1&lock=COMPLIANCE"
                 "&lock_days=0.5",
            credentials={"access_key": "AK", "secret_key": "SK"})

    @helpers.create_mocks({api.backup: ["project_names", "destination_create"]})
    def test_create_swift_destination_composes_the_location_and_never_shows_the_secret(self):
        self.mock_project_names.return_value = {}
        url = reverse("horizon:admin:backup_destinations:create")
        form = self.client.get(url).content.decode()
        for label in ("Keystone URL", "Container", "Application Credential ID", "Application Credential Secret"):
            self.assertIn(label, form)
        response = self.client.post(url, {"name": "sw", "type": "swift", "swift_auth_url": "keystone:5000",
                                          "swift_container": "b", "swift_credential_secret": "not-to-be-rendered",
                                          "retention_lock_min_days": "0"})
        self.assertContains(response, "Give an http:// or https:// URL.")
        self.assertContains(response, "3 characters at least")
        self.assertContains(response, "needs an application credential")
        self.assertNotContains(response, "not-to-be-rendered")
        self.mock_destination_create.assert_not_called()
        self.mock_destination_create.return_value = api.backup.Destination({"id": "d4", "name": "sw"})
        response = self.client.post(url, {
            "name": "sw", "type": "swift", "swift_auth_url": "http://127.0.0.1:5000/v3", "swift_container": "backups",
            "swift_prefix": "/tenant-a/", "swift_region": "RegionOne", "swift_credential_id": "ac-1",
            "swift_credential_secret": "SECRET", "retention_lock_min_days": "0"})
        self.assertNoFormErrors(response)
        self.mock_destination_create.assert_called_once_with(
            helpers.IsHttpRequest(), name="sw", type="swift", encrypted=False, retention_lock_min_days=0,
            path="swift://backups/tenant-a?auth_url=http://127.0.0.1:5000/v3&region=RegionOne",
            credentials={"application_credential_id": "ac-1", "application_credential_secret": "SECRET"})

    @helpers.create_mocks({api.backup: ["destination_get", "destination_update"]})
    def test_edit_s3_destination_rotates_its_keys(self):
        self.mock_destination_get.return_value = api.backup.Destination(
            {"id": "d3", "name": "s3", "type": "s3", "path": "s3://backups?endpoint=http://127.0.0.1:7480",
             "retention_lock_min_days": 0, "max_lock_days": 36525})
        self.mock_destination_update.return_value = api.backup.Destination({"id": "d3", "name": "s3"})
        url = reverse("horizon:admin:backup_destinations:update", args=["d3"])
        self.assertContains(self.client.get(url), "New Secret Key")
        response = self.client.post(url, {"destination_id": "d3", "name": "s3", "type": "s3",
                                          "retention_lock_min_days": "0", "s3_access_key": "AK2"})
        self.assertContains(response, "Give both keys to replace the credentials.")
        response = self.client.post(url, {"destination_id": "d3", "name": "s3", "type": "s3",
                                          "retention_lock_min_days": "0", "s3_access_key": "AK2",
                                          "s3_secret_key": "SK2"})
        self.assertNoFormErrors(response)
        self.mock_destination_update.assert_called_once_with(
            helpers.IsHttpRequest(), "d3", name="s3", retention_lock_min_days=0,
            credentials={"access_key": "AK2", "secret_key": "SK2"})
        # A filesystem destination has no keys to rotate.
        self.mock_destination_get.return_value = api.backup.Destination(
            {"id": "d1", "name": "worm", "type": "filesystem", "path": "/srv/worm", "retention_lock_min_days": 7})
        self.assertNotContains(self.client.get(reverse("horizon:admin:backup_destinations:update", args=["d1"])),
                               "New Secret Key")

    @helpers.create_mocks({api.backup: ["destination_get", "destination_update"]})
    def test_edit_swift_destination_rotates_its_application_credential(self):
        self.mock_destination_get.return_value = api.backup.Destination(
            {"id": "d4", "name": "sw", "type": "swift", "path": "swift://backups?auth_url=http://127.0.0.1:5000/v3",
             "retention_lock_min_days": 0, "max_lock_days": 36525})
        self.mock_destination_update.return_value = api.backup.Destination({"id": "d4", "name": "sw"})
        url = reverse("horizon:admin:backup_destinations:update", args=["d4"])
        form = self.client.get(url).content.decode()
        self.assertIn("New Application Credential ID", form)
        self.assertIn("New Application Credential Secret", form)
        self.assertNotIn("New Secret Key", form)  # S3's keys are not a Swift destination's
        self.assertNotIn('name="swift_credential_id" value=', form)  # nothing stored is shown back
        base = {"destination_id": "d4", "name": "sw", "type": "swift", "retention_lock_min_days": "0"}
        for given, missing in (({"swift_credential_id": "ac-2"}, "swift_credential_secret"),
                               ({"swift_credential_secret": "not-to-be-rendered"}, "swift_credential_id")):
            response = self.client.post(url, {**base, **given})
            self.assertFormErrors(response, 1)
            self.assertIn(missing, response.context["form"].errors)
            self.assertContains(response, "Give both the application credential&#x27;s ID and its secret")
            self.assertNotContains(response, "not-to-be-rendered")
        self.mock_destination_update.assert_not_called()
        # The service refuses what the form cannot check (its SwiftCredentials rules): shown under the secret,
        # the secret not rendered back.
        self.mock_destination_update.side_effect = backup_exceptions.BackupRequestRefused(
            "a Swift application credential needs its id (or its name and username) with its secret", 400,
            "invalid", "credentials")
        response = self.client.post(url, {**base, "swift_credential_id": "ac-2",
                                          "swift_credential_secret": "not-to-be-rendered"})
        self.assertIn("swift_credential_secret", response.context["form"].errors)
        self.assertContains(response, "a Swift application credential needs its id")
        self.assertNotContains(response, "not-to-be-rendered")
        self.mock_destination_update.reset_mock(side_effect=True)
        response = self.client.post(url, {**base, "swift_credential_id": "ac-2", "swift_credential_secret": "NEW"})
        self.assertNoFormErrors(response)
        self.mock_destination_update.assert_called_once_with(
            helpers.IsHttpRequest(), "d4", name="sw", retention_lock_min_days=0,
            credentials={"application_credential_id": "ac-2", "application_credential_secret": "NEW"})
        # Both left empty keep the credentials: nothing about them is sent.
        self.mock_destination_update.reset_mock()
        response = self.client.post(url, {**base, "name": "sw-renamed"})
        self.assertNoFormErrors(response)
        self.mock_destination_update.assert_called_once_with(helpers.IsHttpRequest(), "d4", name="sw-renamed",
                                                             retention_lock_min_days=0)
        # An S3 destination's edit offers no Swift fields.
        self.mock_destination_get.return_value = api.backup.Destination(
            {"id": "d3", "name": "s3", "type": "s3", "path": "s3://backups", "retention_lock_min_days": 0})
        self.assertNotContains(self.client.get(reverse("horizon:admin:backup_destinations:update", args=["d3"])),
                               "New Application Credential")

    @helpers.create_mocks({api.backup: ["destination_get", "destination_update"]})
    def test_edit_destination_immutability(self):
        self.mock_destination_get.return_value = api.backup.Destination(
            {"id": "d1", "name": "worm", "path": "/srv/worm", "retention_lock_min_days": 7})
        self.mock_destination_update.return_value = api.backup.Destination({"id": "d1", "name": "worm"})
        url = reverse("horizon:admin:backup_destinations:update", args=["d1"])
        self.assertContains(self.client.get(url), "/srv/worm")
        response = self.client.post(url, {"destination_id": "d1", "name": "worm", "retention_lock_min_days": "30"})
        self.assertNoFormErrors(response)
        self.mock_destination_update.assert_called_once_with(helpers.IsHttpRequest(), "d1", name="worm",
                                                             retention_lock_min_days=30)

    @helpers.create_mocks({api.backup: ["destination_get", "destination_update"]})
    def test_edit_destination_maximum_lock(self):
        self.mock_destination_get.return_value = api.backup.Destination(
            {"id": "d1", "name": "worm", "path": "/srv/worm", "retention_lock_min_days": 7, "max_lock_days": 36525})
        self.mock_destination_update.return_value = api.backup.Destination({"id": "d1", "name": "worm"})
        url = reverse("horizon:admin:backup_destinations:update", args=["d1"])
        self.assertContains(self.client.get(url), "36525")
        response = self.client.post(url, {"destination_id": "d1", "name": "worm", "retention_lock_min_days": "7",
                                          "max_lock_days": "3650"})
        self.assertNoFormErrors(response)
        self.mock_destination_update.assert_called_once_with(helpers.IsHttpRequest(), "d1", name="worm",
                                                             retention_lock_min_days=7, max_lock_days=3650)

    @helpers.create_mocks({api.backup: ["usage_list_paged_with_page_menu", "usage_list"]})
    def test_usage_a_page_at_a_time_and_its_csv(self):
        rows = [api.backup.Usage({"project_id": "p-demo", "protected_instances": 2, "restore_points": 10,
                                  "stored_bytes": 3 << 30, "quota": {"protected_instances": None,
                                                                     "restore_points": 100, "stored_bytes": None}}),
                api.backup.Usage({"project_id": "p-alt", "protected_instances": 0, "restore_points": 0,
                                  "stored_bytes": 0, "quota": {}})]
        rows[0].project_name, rows[1].project_name = "demo", "=alt"
        self.mock_usage_list_paged_with_page_menu.return_value = backup_helpers.page(rows, count=45)
        response = self.client.get(reverse("horizon:admin:backup_usage:index") + "?page=2")
        self.assertContains(response, reverse("horizon:admin:backup_usage:csv"))
        self.assertContains(response, "Unlimited")
        self.assertContains(response, 'href="?page=1"')  # first and previous
        self.assertContains(response, 'href="?page=3"')  # next and last
        self.mock_usage_list_paged_with_page_menu.assert_called_once_with(helpers.IsHttpRequest(), page_number=2)
        self.mock_usage_list.assert_not_called()  # every project only for the CSV

        self.mock_usage_list.return_value = rows

        response = self.client.get(reverse("horizon:admin:backup_usage:csv"))

        self.assertEqual(response["Content-Type"], "text/csv")
        self.assertIn("attachment", response["Content-Disposition"])
        table = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(table[0], ["Project Name", "Project ID", "Protected Instances", "Restore Points",
                                    "Stored Bytes", "Stored GiB"])
        self.assertEqual(table[1], ["demo", "p-demo", "2", "10", str(3 << 30), "3.000"])
        self.assertEqual(table[2][0], "'=alt")  # no formula injection into a spreadsheet


class AdminQuotaTests(backup_helpers.AdminTestCase):
    """Issue 14: an administrator sees and sets a project's quotas (PUT /v1/quotas/{project_id})."""

    @helpers.create_mocks({api.backup: ["usage_list_paged_with_page_menu", "quota_get", "quota_update",
                                        "project_names"]})
    def test_edit_a_projects_quotas_from_its_row(self):
        row = api.backup.Usage({"project_id": "p-demo", "protected_instances": 2, "restore_points": 10,
                                "stored_bytes": 3 << 30, "quota": {}})
        self.mock_usage_list_paged_with_page_menu.return_value = backup_helpers.page([row])
        self.mock_project_names.return_value = {"p-demo": "demo", "p-alt": "alt"}
        self.mock_quota_get.return_value = {"protected_instances": 5, "restore_points": None,
                                            "stored_bytes": (10 << 30) + 1}
        url = reverse("horizon:admin:backup_usage:quota", args=["p-demo"])
        response = self.client.get(reverse("horizon:admin:backup_usage:index"))
        self.assertContains(response, url)
        self.assertContains(response, reverse("horizon:admin:backup_usage:quotas"))

        response = self.client.get(url)
        self.assertContains(response, 'name="protected_instances"')
        self.assertContains(response, 'value="5"')
        self.assertContains(response, 'value="11"')  # 10 GiB and a byte: shown rounded up, never below the limit
        self.assertContains(response, "<strong>demo</strong>")
        self.mock_quota_get.assert_called_once_with(helpers.IsHttpRequest(), "p-demo")

        response = self.client.post(url, {"project_id": "p-demo", "protected_instances": "3", "restore_points": "",
                                          "stored_gib": "20"})
        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:admin:backup_usage:index"))
        self.mock_quota_update.assert_called_once_with(helpers.IsHttpRequest(), "p-demo", protected_instances=3,
                                                       restore_points=None, stored_bytes=20 << 30)

    @helpers.create_mocks({api.backup: ["quota_update", "project_names"]})
    def test_any_project_and_what_is_wrong_is_said_at_the_field(self):
        self.mock_project_names.return_value = {"p-demo": "demo", "p-alt": "alt"}
        url = reverse("horizon:admin:backup_usage:quotas")
        response = self.client.get(url)
        self.assertContains(response, '<option value="p-alt">alt</option>', html=True)
        response = self.client.post(url, {"project_id": "p-alt", "protected_instances": "-1", "restore_points": "",
                                          "stored_gib": ""})
        self.assertFormErrors(response, 1)
        self.mock_quota_update.assert_not_called()
        self.mock_quota_update.side_effect = backup_exceptions.BackupRequestRefused(
            "restore_points: must be a non-negative integer or null (unlimited)", 400, "invalid", "restore_points")
        response = self.client.post(url, {"project_id": "p-alt", "protected_instances": "", "restore_points": "4",
                                          "stored_gib": ""})
        self.assertContains(response, "must be a non-negative integer or null")
        self.mock_quota_update.assert_called_once_with(helpers.IsHttpRequest(), "p-alt", protected_instances=None,
                                                       restore_points=4, stored_bytes=None)


class AdminPanelsForMembersTests(backup_helpers.TestCase):

    def test_a_project_member_gets_no_admin_backup_panel(self):
        for slug in ("backup_overview", "backup_proxies", "backup_destinations", "backup_jobs", "restore_points",
                     "backup_policies", "backup_usage"):
            response = self.client.get(reverse(f"horizon:admin:{slug}:index"))
            self.assertNotEqual(response.status_code, 200, slug)

    @helpers.create_mocks({api.backup: ["quota_get", "quota_update", "project_names"]})
    def test_a_project_member_reaches_no_quota_form(self):
        for url in (reverse("horizon:admin:backup_usage:quotas"),
                    reverse("horizon:admin:backup_usage:quota", args=[self.tenant.id])):
            self.assertNotEqual(self.client.get(url).status_code, 200, url)
            self.client.post(url, {"project_id": self.tenant.id, "protected_instances": "999"})
        self.mock_quota_update.assert_not_called()
        self.mock_quota_get.assert_not_called()


class AdminPublishPolicyTests(backup_helpers.AdminTestCase):

    @helpers.create_mocks({api.backup: ["project_names", "destination_list", "schedule_preview", "policy_create"]})
    def test_publish_for_every_project_or_one(self):
        from tests.dashboard.test_policies import _form

        self.mock_project_names.return_value = {"p-demo": "demo"}
        self.mock_destination_list.return_value = [api.backup.Destination(
            {"id": "dest-1", "name": "shared-fs", "project_id": "", "retention_lock_min_days": 0})]
        self.mock_schedule_preview.return_value = []
        self.mock_policy_create.return_value = backup_helpers.policy(shared=True)
        url = reverse("horizon:admin:backup_policies:create")

        response = self.client.post(url, _form(schedule="", shared="", project_id=""))
        self.assertContains(response, "Publish the policy for every project, or choose the project it is for.")
        response = self.client.post(url, _form(schedule="", shared="on"))
        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:admin:backup_policies:index"))
        self.assertTrue(self.mock_policy_create.call_args.kwargs["shared"])
        response = self.client.post(url, _form(schedule="", shared="", project_id="p-demo"))
        self.assertEqual(self.mock_policy_create.call_args.kwargs["project_id"], "p-demo")
        self.assertNotIn("shared", self.mock_policy_create.call_args.kwargs)
