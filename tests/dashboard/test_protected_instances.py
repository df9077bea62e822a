"""Unit tests of the Protected Instances panel: Horizon's test helpers, only the plugin's api layer mocked."""
from unittest import mock

import horizon
from django.test.utils import override_settings
from django.urls import reverse
from openstack_auth import policy
from openstack_dashboard.api import nova as horizon_nova
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard.api.backup import AttachedVolume, ProtectedInstance

INDEX_URL = reverse("horizon:project:protected_instances:index")
INDEX_TEMPLATE = "horizon/common/_data_table_view.html"


def _protected_instances(servers) -> list[ProtectedInstance]:
    instances = []
    for number, server in enumerate(servers):
        volumes = [AttachedVolume(f"vol-{number}-{index}", f"data-{number}-{index}", 1) for index in range(number)]
        instances.append(ProtectedInstance(server, volumes))
    return instances


class ProtectedInstancesViewTests(helpers.TestCase):

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


class BackupPanelGroupTests(helpers.TestCase):

    def test_the_backup_group_of_the_project_dashboard_holds_the_panel(self):
        dashboard = horizon.get_dashboard("project")
        group = dashboard.get_panel_group("backup")
        self.assertEqual(str(group.name), "Backup")
        self.assertEqual([panel.slug for panel in group], ["protected_instances"])

    @helpers.create_mocks({api.backup: ["protected_instance_list"]})
    def test_the_navigation_shows_the_group_and_the_panel(self):
        self.mock_protected_instance_list.return_value = ([], False, False)
        response = self.client.get(INDEX_URL)
        self.assertContains(response, ">Backup<", html=False)
        self.assertContains(response, "Protected Instances")


class ProtectedInstancePolicyTests(helpers.TestCase):
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


class ProtectedInstanceListTests(helpers.TestCase):
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
        with mock.patch.object(api.backup.nova, "server_list_paged", return_value=([server], True, False)) as nova, \
                mock.patch.object(api.backup.cinder, "volume_list", return_value=[volume]) as cinder:
            instances, has_more, has_prev = api.backup.protected_instance_list(self.request, {"marker": "m"})

        nova.assert_called_once_with(self.request, search_opts={"marker": "m"}, sort_dir="desc")
        cinder.assert_called_once_with(self.request)
        self.assertEqual((has_more, has_prev), (True, False))
        [instance] = instances
        self.assertEqual(instance.availability_zone, "az2")
        self.assertEqual(instance.protection, "not_protected")
        self.assertEqual(instance.volume_ids, [volume.id, "gone-volume"])
        self.assertEqual([v.name for v in instance.volumes], [volume.name, "gone-volume"])

    def test_does_not_ask_cinder_when_nothing_is_attached(self):
        server = self._server([])
        with mock.patch.object(api.backup.nova, "server_list_paged", return_value=([server], False, False)), \
                mock.patch.object(api.backup.cinder, "volume_list") as cinder:
            [instance], _, _ = api.backup.protected_instance_list(self.request)
        cinder.assert_not_called()
        self.assertEqual(instance.volumes, [])
