# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the Protected Instances panel: Horizon's test helpers, only the plugin's api layer mocked."""
from unittest import mock

import horizon
from django.test.utils import override_settings
from django.urls import reverse
from openstack_auth import policy
from openstack_dashboard.api import nova as horizon_nova
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.api.backup import AttachedVolume, ProtectedInstance
from storage_backup_dashboard.dashboards.project.protected_instances import tables as instance_tables
from tests.dashboard import helpers as backup_helpers

INDEX_URL = reverse("horizon:project:protected_instances:index")
INDEX_TEMPLATE = "horizon/common/_data_table_view.html"


def _protected_instances(servers) -> list[ProtectedInstance]:
    instances = []
    for number, server in enumerate(servers):
        volumes = [AttachedVolume(f"vol-{number}-{index}", f"data-{number}-{index}", 1) for index in range(number)]
        instances.append(ProtectedInstance(server, volumes))
    return instances


class ProtectedInstancesViewTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_index_lists_the_project_instances_as_not_protected(self):
        instances = _protected_instances(self.servers.list())
        self.mock_protected_instance_list.return_value = (instances, False, False)

        response = self.client.get(INDEX_URL)

        self.assertTemplateUsed(response, INDEX_TEMPLATE)
        self.assertNoMessages()
        table = response.context["table"]
        self.assertEqual([row.id for row in table.data], [server.id for server in self.servers.list()])
        self.assertContains(response, "Not protected", count=len(instances))
        protected = instances[0]
        protected.apply_status({"protected": True, "policy_name": "nightly", "next_run_at": "2026-11-25T02:00:00Z"})
        self.assertEqual(instance_tables._next_run(protected), "2026-11-25 02:00 UTC")  # names its time zone
        for instance in instances:
            self.assertContains(response, reverse("horizon:project:instances:detail", args=[instance.id]))
            for volume in instance.volumes:
                self.assertContains(response, reverse("horizon:project:volumes:detail", args=[volume.id]))
                self.assertContains(response, volume.name)
        self.mock_protected_instance_list.assert_called_once_with(
            helpers.IsHttpRequest(), search_opts={"marker": None, "paginate": True}, sort_dir="desc")

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_index_passes_the_pagination_markers(self):
        instances = _protected_instances(self.servers.list()[:2])
        self.mock_protected_instance_list.return_value = (instances, True, True)

        response = self.client.get(INDEX_URL + "?marker=" + instances[-1].id)

        self.assertContains(response, "marker=" + instances[-1].id)  # the "Next" link carries the last row's id
        self.assertContains(response, "prev_marker=" + instances[0].id)
        self.mock_protected_instance_list.assert_called_once_with(
            helpers.IsHttpRequest(), search_opts={"marker": instances[-1].id, "paginate": True}, sort_dir="desc")

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_index_reports_a_failure_and_shows_an_empty_table(self):
        self.mock_protected_instance_list.side_effect = self.exceptions.nova

        response = self.client.get(INDEX_URL)

        self.assertTemplateUsed(response, INDEX_TEMPLATE)
        self.assertEqual(len(response.context["table"].data), 0)
        self.assertMessageCount(response, error=1)
        self.assertContains(response, "No items to display.")


class BackupPanelGroupTests(backup_helpers.TestCase):

    def test_the_backup_group_of_the_project_dashboard_holds_the_panel(self):
        dashboard = horizon.get_dashboard("project")
        group = dashboard.get_panel_group("backup")
        self.assertEqual(str(group.name), "Backup")
        self.assertEqual([panel.slug for panel in group],
                         ["protected_instances", "backup_policies", "restore_points", "backup_jobs",
                          "backup_webhooks"])

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_the_navigation_shows_the_group_and_the_panel(self):
        self.mock_protected_instance_list.return_value = ([], False, False)
        response = self.client.get(INDEX_URL)
        self.assertContains(response, ">Backup<", html=False)
        self.assertContains(response, "Protected Instances")
        for name in ("Policies", "Restore Points", "Jobs"):
            self.assertContains(response, name)


class NoBackupServiceTests(helpers.TestCase):
    """Horizon's own catalog has no data-protection service: the Backup panels stay hidden."""

    def test_no_backup_panel_is_offered(self):
        response = self.client.get(INDEX_URL)
        self.assertEqual(response.status_code, 403)
        for dashboard, slug in (("project", "protected_instances"), ("project", "backup_jobs"),
                                ("admin", "backup_overview")):
            panel = horizon.get_dashboard(dashboard).get_panel(slug)
            self.assertFalse(self.request.user.has_perms(panel.permissions), slug)  # what the sidebar checks


class ProtectedInstancePolicyTests(backup_helpers.TestCase):
    """The plugin's own policy file decides who may list (Horizon's test settings switch checks off by default)."""

    RULE = (("storage_backup", "storage_backup:protected_instance:list"),)

    def setUp(self):
        super().setUp()
        policy.reset()
        self.addCleanup(policy.reset)

    def _allowed_with(self, *roles: str) -> bool:
        self.setActiveUser(id=self.user.id, token=self.token, username=self.user.name,
                           tenant_id=self.tenant.id, service_catalog=self.service_catalog,
                           authorized_tenants=self.tenants.list(),
                           roles=[{"id": str(number), "name": role} for number, role in enumerate(roles)])
        request = self.factory.get("/")
        request.user = self.request.user
        with override_settings(POLICY_CHECK_FUNCTION="openstack_auth.policy.check"):
            return policy.check(self.RULE, request)

    def test_readers_members_and_admins_may_list(self):
        for role in ("reader", "member", "admin"):
            with self.subTest(role=role):
                self.assertTrue(self._allowed_with(role))

    def test_other_roles_may_not(self):
        self.assertFalse(self._allowed_with("load-balancer_observer"))


class ProtectedInstanceListTests(backup_helpers.APITestCase):
    """The api function itself, over Horizon's nova and cinder wrappers (mocked: a unit test of one function)."""

    def _server(self, volumes_attached: list[dict]):
        """A server as Horizon's ``server_list_paged`` returns it: novaclient's object in Horizon's wrapper, which
        passes only a fixed list of attributes through (the attached volumes are not among them)."""
        resource = self.servers.first()
        setattr(resource, "OS-EXT-AZ:availability_zone", "az2")
        setattr(resource, "os-extended-volumes:volumes_attached", volumes_attached)
        return horizon_nova.Server(resource, self.request)

    def test_wraps_servers_with_their_volumes_and_zone(self):
        volume = self.cinder_volumes.first()
        server = self._server([{"id": volume.id}, {"id": "gone-volume"}])
        status = {"instance_id": server.id, "protected": True, "policy_id": "pol-1", "policy_name": "nightly",
                  "source": "manual", "next_run_at": "2026-11-25T02:00:00Z",
                  "last_restore_point": {"id": "rp-1", "created_at": "2026-11-24T02:00:00Z", "strategy": "full"},
                  "last_job": None, "last_backup_result": None, "active_job": None}
        with mock.patch.object(api.backup.nova, "server_list_paged", return_value=([server], True, False)) as nova, \
                mock.patch.object(api.backup.cinder, "volume_list", return_value=[volume]) as cinder, \
                mock.patch.object(api.backup.BackupClient, "instance_status", return_value=[status]) as service:
            instances, has_more, has_prev = api.backup.protected_instance_list(self.request, {"marker": "m"})

        nova.assert_called_once_with(self.request, search_opts={"marker": "m"}, sort_dir="desc")
        cinder.assert_called_once_with(self.request)
        self.assertEqual((has_more, has_prev), (True, False))
        [instance] = instances
        self.assertEqual(instance.availability_zone, "az2")
        self.assertEqual(instance.protection, "protected")
        self.assertEqual((instance.policy_name, instance.last_restore_point.id), ("nightly", "rp-1"))
        service.assert_called_once_with([server.id])  # the page's IDs only
        self.assertEqual(instance.volume_ids, [volume.id, "gone-volume"])
        self.assertEqual([v.name for v in instance.volumes], [volume.name, "gone-volume"])

    def test_does_not_ask_cinder_when_nothing_is_attached(self):
        server = self._server([])
        with mock.patch.object(api.backup.nova, "server_list_paged", return_value=([server], False, False)), \
                mock.patch.object(api.backup.cinder, "volume_list") as cinder, \
                mock.patch.object(api.backup.BackupClient, "instance_status", return_value=[]):
            [instance], _, _ = api.backup.protected_instance_list(self.request)
        cinder.assert_not_called()
        self.assertEqual(instance.volumes, [])


def _protected(server, **status) -> ProtectedInstance:
    instance = ProtectedInstance(server, [])
    instance.apply_status({"instance_id": server.id, "protected": True, "policy_id": "pol-1", "policy_name": "nightly",
                           "source": "manual", **status})
    return instance


class ProtectionActionTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_an_instance_whose_flavor_disks_are_not_backed_up_is_badged(self):
        point = {"id": "rp-1", "created_at": "2026-11-24T02:00:00Z", "strategy": "full"}
        eph = _protected(self.servers.first(), last_restore_point=point,
                         unprotected_disks=[{"kind": "ephemeral", "size_mb": 1024}, {"kind": "swap", "size_mb": 512}])
        plain = _protected(self.servers.list()[1], last_restore_point=point, unprotected_disks=[])
        self.mock_protected_instance_list.return_value = ([eph, plain], False, False)

        response = self.client.get(INDEX_URL)

        self.assertContains(response, "label label-warning unprotected-disks", count=1)
        self.assertContains(response, "Not backed up: 1 GiB ephemeral disk, 512 MiB swap")
        self.assertContains(response, "not in the restore point")  # why, in the badge's title

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_a_protected_row_links_its_policy_and_offers_backup_now(self):
        server = self.servers.first()
        running = _protected(self.servers.list()[1], active_job={"id": "job-9", "type": "backup", "state": "running"},
                             last_job={"id": "job-9", "type": "backup", "state": "running", "percent": 40})
        self.mock_protected_instance_list.return_value = ([_protected(server), running], False, False)

        response = self.client.get(INDEX_URL)

        self.assertContains(response, reverse("horizon:project:backup_policies:detail", args=["pol-1"]))
        self.assertContains(response, reverse("horizon:project:protected_instances:backup", args=[server.id]))
        # one backup per instance at a time: no Backup Now while a job runs
        self.assertNotContains(response, reverse("horizon:project:protected_instances:backup", args=[running.id]))
        self.assertContains(response, "Running 40 %")

    @helpers.create_mocks({api.backup: ["protected_instance_get", "backup_create"]})
    def test_backup_now_starts_a_job_and_lands_on_its_progress(self):
        server = self.servers.first()
        self.mock_protected_instance_get.return_value = _protected(server)
        self.mock_backup_create.return_value = backup_helpers.job(id="job-7")
        url = reverse("horizon:project:protected_instances:backup", args=[server.id])

        response = self.client.post(url, {"instance_id": server.id, "instance_name": server.name,
                                          "strategy": "full"})

        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:project:backup_jobs:detail", args=["job-7"]))
        self.mock_backup_create.assert_called_once_with(helpers.IsHttpRequest(), server.id, "full")

    @helpers.create_mocks({api.backup: ["protected_instance_get", "backup_create"]})
    def test_backup_now_refused_says_why_in_the_dialog(self):
        server = self.servers.first()
        self.mock_protected_instance_get.return_value = _protected(server)
        self.mock_backup_create.side_effect = backup_exceptions.BackupRequestRefused(
            "Instance x already has a backup job j (running); one backup per instance runs at a time.", 409,
            "conflict")
        url = reverse("horizon:project:protected_instances:backup", args=[server.id])

        response = self.client.post(url, {"instance_id": server.id, "instance_name": server.name, "strategy": ""})

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "one backup per instance runs at a time")
        self.mock_backup_create.assert_called_once_with(helpers.IsHttpRequest(), server.id, None)

    @helpers.create_mocks({api.backup: ["protected_instance_get", "policy_list", "protect"]})
    def test_assign_policy_to_selected_instances(self):
        servers = self.servers.list()[:2]
        self.mock_protected_instance_get.side_effect = lambda request, instance_id: _protected(
            next(s for s in servers if s.id == instance_id))
        self.mock_policy_list.return_value = [backup_helpers.policy(), backup_helpers.policy(id="pol-2", name="weekly",
                                                                                            shared=True)]
        url = reverse("horizon:project:protected_instances:assign_many")

        response = self.client.get(url + "?" + "&".join(f"instance_id={s.id}" for s in servers))
        self.assertContains(response, "weekly (shared)")
        response = self.client.post(url, {"instance_ids": ",".join(s.id for s in servers), "policy_id": "pol-2"})

        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, INDEX_URL)
        self.assertEqual([c.args[1:] for c in self.mock_protect.call_args_list],
                         [(servers[0].id, "pol-2"), (servers[1].id, "pol-2")])

    @helpers.create_mocks({api.backup: ["protected_instance_get", "policy_list", "protect"]})
    def test_assign_policy_shows_the_service_field_error(self):
        server = self.servers.first()
        self.mock_protected_instance_get.return_value = _protected(server)
        self.mock_policy_list.return_value = [backup_helpers.policy()]
        self.mock_protect.side_effect = backup_exceptions.BackupRequestRefused(
            "Project demo may protect 2 instances and already protects 2; remove one or ask an administrator to "
            "raise the quota.", 413, "quota_exceeded")
        url = reverse("horizon:project:protected_instances:assign", args=[server.id])

        response = self.client.post(url, {"instance_ids": server.id, "policy_id": "pol-1"})

        self.assertContains(response, "ask an administrator to raise the quota")

    @helpers.create_mocks({api.backup: ["protected_instance_list", "unprotect"]})
    def test_remove_protection_of_selected_instances(self):
        servers = self.servers.list()[:2]
        self.mock_protected_instance_list.return_value = ([_protected(s) for s in servers], False, False)

        response = self.client.post(INDEX_URL, {"action": "protected_instances__remove_protection",
                                                "object_ids": [s.id for s in servers]})

        self.assertRedirectsNoFollow(response, INDEX_URL)
        self.assertEqual(sorted(c.args[1] for c in self.mock_unprotect.call_args_list), sorted(s.id for s in servers))
