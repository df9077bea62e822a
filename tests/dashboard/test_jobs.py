# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Jobs panel: live progress (rows of running jobs poll and re-render in place), cancel, the step log."""
from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers

INDEX_URL = reverse("horizon:project:backup_jobs:index")


class JobsTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_running_rows_poll_and_show_percent_rate_and_eta(self):
        running = backup_helpers.job()
        done = backup_helpers.job(id="job-2", state="succeeded", progress={}, finished_at="2026-11-24T12:05:00Z")
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([running, done])

        response = self.client.get(INDEX_URL)

        self.assertContains(response, 'data-percent="42"')
        self.assertContains(response, "85.0\xa0MB/s")
        self.assertContains(response, "1:10 left")
        self.assertContains(response, 'data-percent="100"')  # an ended job is full
        rows = {row.datum.id: row for row in response.context["table"].get_rows()}
        # Horizon's script polls the ajax rows whose status is still unknown (class "warning")
        self.assertEqual((rows["job-1"].status, rows["job-1"].status_class), (None, "warning"))
        self.assertIn("ajax-update", rows["job-1"].classes)
        self.assertEqual((rows["job-2"].status, rows["job-2"].status_class), (True, "status_up"))
        self.assertContains(response, "jobs__cancel__job-1")
        self.assertNotContains(response, "jobs__cancel__job-2")
        # one page: Horizon's plain footer, no page menu of a lone "1"
        self.assertContains(response, "Displaying 2 items", count=2)
        self.assertNotContains(response, "page=")

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_a_row_update_renders_the_fresh_progress(self):
        self.mock_job_get.return_value = backup_helpers.job(progress={"percent": 97.0, "rate": 1 << 20, "eta": 1})
        response = self.client.get(INDEX_URL, {"action": "row_update", "table": "jobs", "obj_id": "job-1"},
                                   HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(response, 'data-percent="97"')
        self.assertContains(response, "<tr", count=1)
        self.mock_job_get.assert_called_once_with(helpers.IsHttpRequest(), "job-1")

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu", "job_cancel"]})
    def test_cancel_a_running_job(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.job()])
        self.mock_job_cancel.return_value = backup_helpers.job(cancel_requested=True)
        response = self.client.post(INDEX_URL, {"action": "jobs__cancel__job-1"})
        self.assertRedirectsNoFollow(response, INDEX_URL)
        self.mock_job_cancel.assert_called_once_with(helpers.IsHttpRequest(), "job-1")

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_states_typed_in_the_filter_become_the_api_values(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([])
        self.client.post(INDEX_URL, {"jobs__filter__q": "Failed", "jobs__filter__q_field": "state"})
        self.client.get(INDEX_URL)
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"state": "failed", "exclude_type": "file_browse"}, page_number=1,
            all_projects=False)

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_file_listings_are_hidden_by_default_and_shown_when_asked(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.job()])
        response = self.client.get(INDEX_URL)
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"exclude_type": "file_browse"}, page_number=1, all_projects=False)
        self.assertContains(response, "Show File Listings")
        self.assertContains(response, f'href="{INDEX_URL}?file_listings=show"')

        listing = backup_helpers.job(id="job-b", type="file_browse", state="succeeded", progress={})
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([listing])
        response = self.client.get(INDEX_URL, {"file_listings": "show", "page": "2"})
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={}, page_number=2, all_projects=False)
        self.assertContains(response, "Hide File Listings")
        self.assertContains(response, "Browse files")  # the listing's row, by its type
        # Hiding them again keeps the other parameters but starts at the first page.
        self.assertContains(response, f'href="{INDEX_URL}"')

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_filtering_by_the_file_listing_type_shows_them(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([])
        self.client.post(INDEX_URL, {"jobs__filter__q": "Browse files", "jobs__filter__q_field": "type"})
        self.client.get(INDEX_URL)
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"type": "file_browse"}, page_number=1, all_projects=False)

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_a_link_from_an_instance_keeps_its_filter_and_hides_file_listings(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([])
        response = self.client.get(INDEX_URL, {"instance_id": "srv-1"})
        self.mock_job_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"instance_id": "srv-1", "exclude_type": "file_browse"},
            page_number=1, all_projects=False)
        self.assertContains(response, f'href="{INDEX_URL}?instance_id=srv-1&amp;file_listings=show"')

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_detail_shows_the_step_log_and_the_error(self):
        self.mock_job_get.return_value = backup_helpers.job(
            state="failed", error="Snapshot of volume v stuck in creating for 600 s; check Cinder's volume service.",
            result={"restore_point_id": "rp-9"},
            log=[{"at": "2026-11-24T12:00:00Z", "step": "snapshot", "message": "Snapshotting volume v"}])
        response = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["job-1"]))
        self.assertContains(response, "check Cinder&#x27;s volume service")
        self.assertContains(response, "Snapshotting volume v")
        self.assertContains(response, reverse("horizon:project:restore_points:detail", args=["rp-9"]))

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_another_project_job_is_not_found(self):
        self.mock_job_get.side_effect = backup_exceptions.BackupNotFound("Job x could not be found.", 404)
        response = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["x"]))
        self.assertEqual(response.status_code, 404)

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_a_service_outage_is_a_message_not_an_error_page(self):
        self.mock_job_list_paged_with_page_menu.side_effect = backup_exceptions.BackupServiceUnavailable(
            "The backup service at http://backup:8779 cannot be reached (ConnectFailure); try again in a moment.", 503)
        response = self.client.get(INDEX_URL)
        self.assertEqual(response.status_code, 200)
        self.assertMessageCount(response, error=1)


class JobPageDefectsTests(backup_helpers.TestCase):
    """Issue 14: what a new user hit on the Jobs pages."""

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu", "job_get"]})
    def test_cancel_asks_to_confirm_and_the_list_refreshes_itself(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.job()])
        self.mock_job_get.return_value = backup_helpers.job()
        response = self.client.get(INDEX_URL)
        # Horizon's script confirms a form's btn-danger buttons, showing the action's help text
        self.assertRegex(response.content.decode(), r'id="jobs__row_job-1__action_cancel" class="[^"]*btn-danger')
        self.assertContains(response, 'class="table table-striped datatable storage-backup-refresh-list"')
        detail = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["job-1"]))
        self.assertRegex(detail.content.decode(), r'id="jobs__row_job-1__action_cancel" class="[^"]*btn-danger')
        self.assertNotContains(detail, "storage-backup-refresh-list")  # the detail page refreshes itself otherwise
        self.assertContains(detail, 'data-job-state="running"')

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_the_step_log_reads_in_time_order(self):
        self.mock_job_get.return_value = backup_helpers.job(log=[
            {"at": "2026-11-24T12:00:00Z", "step": "queued", "message": "first-entry"},
            {"at": "2026-11-24T12:00:09Z", "step": "running", "message": "third-entry"},
            {"at": None, "step": "write", "message": "fourth-entry"},  # stays after the one before it
            {"at": "2026-11-24T12:00:05+00:00", "step": "create", "message": "second-entry"}])
        response = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["job-1"]))
        html = response.content.decode()
        positions = [html.index(f"{word}-entry") for word in ("first", "second", "third", "fourth")]
        self.assertEqual(positions, sorted(positions))

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_a_restore_names_what_it_restored_not_a_restore_point_made(self):
        self.mock_job_get.return_value = backup_helpers.job(
            type="restore", state="succeeded", restore_point_id="rp-1",
            result={"restore_point_id": "rp-1", "server_id": "srv-9", "name": "web-1-restored",
                    "volume_ids": {"vol-root": "new-root", "vol-data": "new-data"}})
        response = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["job-1"]))
        self.assertNotContains(response, "Restore Point Made")
        self.assertContains(response, "web-1-restored</a>")
        self.assertContains(response, reverse("horizon:project:volumes:detail", args=["new-root"]))
        self.assertContains(response, reverse("horizon:project:volumes:detail", args=["new-data"]))

        self.mock_job_get.return_value = backup_helpers.job(
            type="restore_volume", state="succeeded", restore_point_id="rp-1",
            result={"restore_point_id": "rp-1", "volume_id": "new-vol", "name": "web-1-data (restored)"})
        response = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["job-1"]))
        self.assertNotContains(response, "Restore Point Made")
        self.assertContains(response, "Restored Volume")
        self.assertContains(response, "web-1-data (restored)</a>")

        self.mock_job_get.return_value = backup_helpers.job(state="succeeded", result={"restore_point_id": "rp-9"})
        response = self.client.get(reverse("horizon:project:backup_jobs:detail", args=["job-1"]))
        self.assertContains(response, "Restore Point Made")


class JobProgressPhaseTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_the_glance_upload_after_the_last_byte_shows_its_phase_not_a_fake_eta(self):
        self.mock_job_get.return_value = backup_helpers.job(
            type="restore", progress={"percent": 100.0, "rate": 85 << 20, "eta": 0.0, "step": "upload_image",
                                      "message": "Uploading the backed-up root disk to Glance as a new image"})
        response = self.client.get(INDEX_URL, {"action": "row_update", "table": "jobs", "obj_id": "job-1"},
                                   HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(response, "Uploading image to Glance…")
        self.assertNotContains(response, "left")
        self.assertNotContains(response, "MB/s")
        self.assertNotContains(response, "100&nbsp;%")

    @helpers.create_mocks({api.backup: ["job_get"]})
    def test_the_data_phase_names_its_step_in_words(self):
        self.mock_job_get.return_value = backup_helpers.job(progress={"percent": 40.0, "rate": 1 << 20, "eta": 60,
                                                                      "step": "read"})
        response = self.client.get(INDEX_URL, {"action": "row_update", "table": "jobs", "obj_id": "job-1"},
                                   HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(response, "Reading")
        self.assertContains(response, "1:00 left")
        self.assertContains(response, "40&nbsp;%")
