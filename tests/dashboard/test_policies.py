# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Policies panel: paged list, the create / edit workflow (what it sends, how it says what is wrong), delete."""
import datetime as dt

from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers

INDEX_URL = reverse("horizon:project:backup_policies:index")
CREATE_URL = reverse("horizon:project:backup_policies:create")


def _form(**overrides) -> dict:
    data = {"name": "nightly", "description": "", "enabled": "on", "schedule": "0 2 * * *", "timezone": "Europe/Warsaw",
            "window_start": "", "window_end": "", "strategy": "auto", "full_every": "7", "keep_last": "7",
            "keep_daily": "7", "keep_weekly": "4", "keep_monthly": "0", "keep_yearly": "0", "min_age_days": "0",
            "retention_lock_days": "30", "priority": "0", "destination_id": "dest-1", "pre_command": "",
            "pre_user": "", "pre_private_key": "", "pre_port": "22", "pre_timeout": "60", "pre_on_failure": "abort",
            "pre_host_key_policy": "reject", "pre_known_hosts": "", "post_command": "", "post_user": "",
            "post_private_key": "", "post_port": "22", "post_timeout": "60", "post_on_failure": "abort",
            "post_host_key_policy": "reject", "post_known_hosts": "", "auto_assign_tag": "backup",
            "auto_assign_metadata_key": "", "auto_assign_metadata_value": ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class PolicyIndexTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["policy_list_paged_with_page_menu"]})
    def test_lists_a_page_with_horizon_page_menu(self):
        policies = [backup_helpers.policy(id=f"pol-{n}", name=f"policy-{n}") for n in range(20)]
        self.mock_policy_list_paged_with_page_menu.return_value = backup_helpers.page(policies, count=45)

        response = self.client.get(INDEX_URL)

        self.assertEqual(len(response.context["table"].data), 20)
        # 45 policies, 20 a page: pages 1 (this one), 2 and 3, next and last
        self.assertEqual((response.context["view"].current_page(), response.context["view"].number_of_pages()),
                         (1, 3))
        self.assertContains(response, 'href="?page=2"')
        self.assertContains(response, 'href="?page=3"')
        self.assertNotContains(response, 'href="?page=1"')  # no "First" or "Prev" on the first page
        self.assertContains(response, "<code>0 2 * * *</code>", html=False)
        self.assertContains(response, "last 7, 7 daily, 4 weekly")
        self.assertContains(response, "Wed 2026-11-25 02:00 (UTC)")  # the next run, in the policy's zone, named
        self.mock_policy_list_paged_with_page_menu.assert_called_once_with(
            helpers.IsHttpRequest(), search_opts={}, page_number=1, all_projects=False)

    @helpers.create_mocks({api.backup: ["policy_list_paged_with_page_menu"]})
    def test_a_schedule_that_cannot_run_is_marked_not_hidden(self):
        broken = backup_helpers.policy(id="pol-x", name="broken", schedule="0 0 30 2 *", next_run_at=None,
                                       schedule_error="'0 0 30 2 *' names a date that never comes; it would "
                                                      "never run")
        self.mock_policy_list_paged_with_page_menu.return_value = backup_helpers.page(
            [broken, backup_helpers.policy()])

        response = self.client.get(INDEX_URL)

        self.assertContains(response, "storage-backup-schedule-error", count=1)
        self.assertContains(response, "Cannot run: &#x27;0 0 30 2 *&#x27; names a date that never comes")

    @helpers.create_mocks({api.backup: ["policy_list_paged_with_page_menu"]})
    def test_the_filter_goes_to_the_service(self):
        self.mock_policy_list_paged_with_page_menu.return_value = backup_helpers.page([])
        response = self.client.post(INDEX_URL, {"policies__filter__q": "night",
                                                "policies__filter__q_field": "name"})
        self.assertRedirectsNoFollow(response, INDEX_URL)  # a new filter starts on the first page

        self.client.get(INDEX_URL + "?page=3")

        self.mock_policy_list_paged_with_page_menu.assert_called_once_with(
            helpers.IsHttpRequest(), search_opts={"name": "night"}, page_number=3, all_projects=False)
        self.client.get(INDEX_URL + "?page=three")  # not a number: the first page, not an error page
        self.mock_policy_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"name": "night"}, page_number=1, all_projects=False)

    @helpers.create_mocks({api.backup: ["policy_list_paged_with_page_menu", "policy_delete"]})
    def test_delete_of_a_policy_in_use_says_why(self):
        self.mock_policy_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.policy()])
        self.mock_policy_delete.side_effect = backup_exceptions.BackupRequestRefused(
            "Policy pol-1 still protects 2 instance(s); unassign them or move them to another policy first.", 409,
            "conflict")

        response = self.client.post(INDEX_URL, {"action": "policies__delete__pol-1"}, follow=True)

        self.assertContains(response, "still protects 2 instance(s); unassign them or move them to another policy")
        self.assertNotContains(response, "Deleted Policy")

    @helpers.create_mocks({api.backup: ["policy_list_paged_with_page_menu"]})
    def test_shared_policies_are_not_offered_for_change_to_members(self):
        self.mock_policy_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.policy(shared=True)])
        response = self.client.get(INDEX_URL)
        self.assertNotContains(response, reverse("horizon:project:backup_policies:update", args=["pol-1"]))
        self.assertNotContains(response, "policies__delete__pol-1")


class PolicyWorkflowTests(backup_helpers.TestCase):

    def setUp(self):
        super().setUp()
        self.runs = [dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)]

    def _destinations(self):
        return [api.backup.Destination({"id": "dest-1", "name": "shared-fs", "type": "filesystem", "path": "/srv",
                                        "encrypted": False, "project_id": "", "retention_lock_min_days": 0})]

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview", "policy_create"]})
    def test_create_sends_every_step_and_previews_the_schedule(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        self.mock_policy_create.return_value = backup_helpers.policy()

        response = self.client.get(CREATE_URL)
        self.assertContains(response, "shared-fs (Shared)")
        self.assertContains(response, "storage-backup-schedule-preview")
        response = self.client.post(CREATE_URL, _form(window_start="22:00", window_end="04:00"))

        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, INDEX_URL)
        self.mock_schedule_preview.assert_called_once_with(helpers.IsHttpRequest(), "0 2 * * *", "Europe/Warsaw",
                                                           "22:00", "04:00")
        fields = self.mock_policy_create.call_args.kwargs
        self.assertEqual((fields["name"], fields["schedule"], fields["timezone"], fields["keep_weekly"]),
                         ("nightly", "0 2 * * *", "Europe/Warsaw", 4))
        self.assertEqual((fields["window_start"], fields["retention_lock_days"], fields["auto_assign_tag"]),
                         ("22:00", 30, "backup"))
        self.assertIsNone(fields["pre_command"])
        self.assertNotIn("read_limit_mbps", fields)  # left empty: no cap of the policy's own, nothing sent

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview", "policy_create"]})
    def test_the_read_limit_goes_to_the_service_and_zero_is_refused_at_the_field(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        self.mock_policy_create.return_value = backup_helpers.policy()

        refused = self.client.post(CREATE_URL, _form(read_limit_mbps="0"))
        self.assertContains(refused, "Ensure this value is greater than or equal to 1.")
        self.mock_policy_create.assert_not_called()

        response = self.client.post(CREATE_URL, _form(read_limit_mbps="40"))
        self.assertNoFormErrors(response)
        self.assertEqual(self.mock_policy_create.call_args.kwargs["read_limit_mbps"], 40)

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview", "policy_create"]})
    def test_a_vault_is_offered_as_the_vault_copy_never_as_the_destination(self):
        vault = api.backup.Destination({"id": "vault-1", "name": "offsite-vault", "type": "s3", "encrypted": False,
                                        "project_id": "", "retention_lock_min_days": 0, "vault": True})
        self.mock_destination_list.return_value = [*self._destinations(), vault]
        self.mock_schedule_preview.return_value = self.runs
        self.mock_policy_create.return_value = backup_helpers.policy()
        response = self.client.get(CREATE_URL)
        self.assertContains(response, '<option value="vault-1">offsite-vault</option>', html=True)
        self.assertNotContains(response, "offsite-vault (Shared)")
        response = self.client.post(CREATE_URL, _form(vault_destination_id="vault-1"))
        self.assertNoFormErrors(response)
        self.assertEqual(self.mock_policy_create.call_args.kwargs["vault_destination_id"], "vault-1")

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview"]})
    def test_the_destination_step_shows_names_never_locations(self):
        """An administrator's token gets each destination's path from the service; a project page still shows only
        the name (tenants' answers carry no path at all)."""
        destinations = self._destinations()
        destinations[0].path = "/srv/secret-share"
        self.mock_destination_list.return_value = destinations
        self.mock_schedule_preview.return_value = self.runs
        response = self.client.get(CREATE_URL)
        self.assertContains(response, "shared-fs (Shared)")
        self.assertNotContains(response, "/srv/secret-share")

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview"]})
    def test_the_form_says_what_is_wrong(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        response = self.client.post(CREATE_URL, _form(window_start="22:00", keep_last="0", keep_daily="0",
                                                      keep_weekly="0", pre_command="fsfreeze -f /data",
                                                      auto_assign_metadata_value="yes"))
        self.assertContains(response, "A time window needs both a start and an end.")
        self.assertContains(response, "A policy keeping nothing would delete every restore point")
        self.assertContains(response, "Give the user the command runs as over SSH.")
        self.assertContains(response, "Give the SSH private key of that user.")
        self.assertContains(response, "Give the instance&#x27;s host key")
        self.assertContains(response, "Give the metadata key the value belongs to.")

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview"]})
    def test_a_schedule_the_service_refuses_shows_at_the_field(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.side_effect = backup_exceptions.BackupRequestRefused(
            "'every night' is not a five-field cron expression (minute hour day-of-month month day-of-week)", 400,
            "invalid", "schedule")
        response = self.client.post(CREATE_URL, _form(schedule="every night"))
        self.assertContains(response, "is not a five-field cron expression")
        self.assertEqual(response.context["workflow"].get_entry_point(), "schedule")

    @helpers.create_mocks({api.backup: ["destination_list", "schedule_preview", "policy_create"]})
    def test_a_field_refused_by_the_service_is_shown_in_its_step(self):
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        self.mock_policy_create.side_effect = backup_exceptions.BackupRequestRefused(
            "is required when host_key_policy is 'reject' (give the instance's host key line, as in known_hosts)",
            400, "invalid", "pre_command.known_hosts")
        response = self.client.post(CREATE_URL, _form(pre_command="sync", pre_user="root", pre_private_key="KEY",
                                                      pre_known_hosts="10.0.0.1 ssh-ed25519 AAAA"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "give the instance&#x27;s host key line")
        self.assertEqual(response.context["workflow"].get_entry_point(), "commands")

    @helpers.create_mocks({api.backup: ["policy_get", "destination_list", "schedule_preview", "policy_update"]})
    def test_edit_keeps_the_stored_ssh_key_when_left_empty(self):
        command = {"command": "fsfreeze -f /data", "user": "ubuntu", "private_key": "********", "port": 22,
                   "timeout": 60, "on_failure": "abort", "host_key_policy": "accept-new", "known_hosts": None}
        self.mock_policy_get.return_value = backup_helpers.policy(pre_command=command)
        self.mock_destination_list.return_value = self._destinations()
        self.mock_schedule_preview.return_value = self.runs
        self.mock_policy_update.return_value = backup_helpers.policy()
        url = reverse("horizon:project:backup_policies:update", args=["pol-1"])

        response = self.client.get(url)
        self.assertContains(response, "fsfreeze -f /data")
        self.assertNotContains(response, "********")
        response = self.client.post(url, _form(policy_id="pol-1", pre_command="fsfreeze -f /data", pre_user="ubuntu",
                                               pre_host_key_policy="accept-new"))

        self.assertNoFormErrors(response)
        args, fields = self.mock_policy_update.call_args
        self.assertEqual(args[1], "pol-1")
        self.assertEqual(fields["pre_command"]["private_key"], "********")  # the service keeps the stored key
        self.assertEqual(fields["pre_command"]["host_key_policy"], "accept-new")


class PolicyDetailTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["policy_get", "schedule_preview", "policy_instances"]})
    def test_detail_says_why_a_schedule_cannot_run(self):
        self.mock_policy_get.return_value = backup_helpers.policy(
            schedule="0 0 30 2 *", next_run_at=None,
            schedule_error="'0 0 30 2 *' names a date that never comes; it would never run")
        self.mock_policy_instances.return_value = []

        response = self.client.get(reverse("horizon:project:backup_policies:detail", args=["pol-1"]))

        self.assertContains(response, "Cannot run: &#x27;0 0 30 2 *&#x27; names a date that never comes")
        self.mock_schedule_preview.assert_not_called()  # the service would refuse it: nothing to preview

    @helpers.create_mocks({api.backup: ["policy_get", "schedule_preview", "policy_instances"]})
    def test_detail_shows_the_read_limit(self):
        self.mock_schedule_preview.return_value = []
        self.mock_policy_instances.return_value = []
        url = reverse("horizon:project:backup_policies:detail", args=["pol-1"])
        self.mock_policy_get.return_value = backup_helpers.policy(read_limit_mbps=40)
        self.assertContains(self.client.get(url), "40 MB/s per backup")
        self.mock_policy_get.return_value = backup_helpers.policy(read_limit_mbps=None)
        self.assertContains(self.client.get(url), "Proxy limit only")

    @helpers.create_mocks({api.backup: ["policy_get", "schedule_preview", "policy_instances"]})
    def test_detail_shows_next_runs_in_the_policy_time_zone(self):
        self.mock_policy_get.return_value = backup_helpers.policy(timezone="Europe/Warsaw")
        self.mock_schedule_preview.return_value = [dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC)]
        self.mock_policy_instances.return_value = [{"instance_id": "srv-1", "name": "web-1",
                                                    "availability_zone": "nova", "source": "auto"}]
        response = self.client.get(reverse("horizon:project:backup_policies:detail", args=["pol-1"]))
        self.assertContains(response, "Wed 2026-11-25 02:00 (Europe/Warsaw)")
        self.assertContains(response, "web-1")

    @helpers.create_mocks({api.backup: ["policy_get"]})
    def test_another_project_policy_is_not_found(self):
        self.mock_policy_get.side_effect = backup_exceptions.BackupNotFound("Policy x could not be found.", 404)
        response = self.client.get(reverse("horizon:project:backup_policies:detail", args=["x"]))
        self.assertEqual(response.status_code, 404)

    @helpers.create_mocks({api.backup: ["schedule_preview"]})
    def test_preview_answers_with_runs_or_the_error(self):
        url = reverse("horizon:project:backup_policies:preview")
        self.mock_schedule_preview.return_value = [dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC)]
        answer = self.client.get(url, {"schedule": "0 2 * * *", "timezone": "Europe/Warsaw"}).json()
        self.assertEqual(answer, {"runs": ["Wed 2026-11-25 02:00 (Europe/Warsaw)"], "error": "", "field": None})
        self.mock_schedule_preview.side_effect = backup_exceptions.BackupRequestRefused("not cron", 400, "invalid",
                                                                                        "schedule")
        answer = self.client.get(url, {"schedule": "x"}).json()
        self.assertEqual((answer["error"], answer["field"]), ("not cron", "schedule"))
