# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Restore Points panel: per instance and overall, locked ones not deletable, the restore wizard and the
single-volume restore."""
import datetime as dt
import json
from types import SimpleNamespace
from unittest import mock

from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from tests.dashboard import helpers as backup_helpers

INDEX_URL = reverse("horizon:project:restore_points:index")


def _target_choices(test):
    networks = [SimpleNamespace(id="net-1", name="demo-net"), SimpleNamespace(id="net-2", name="other-net")]
    types = [SimpleNamespace(name=name) for name in ("__DEFAULT__", "fast")]
    return api.backup.Choices(zones=["az2", "nova"], flavors=test.flavors.list(), networks=networks,
                              volume_types=types)


class RestorePointIndexTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu"]})
    def test_locked_restore_points_offer_no_delete(self):
        until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
        points = [backup_helpers.restore_point(id="rp-locked", retention_lock_until=until, locked=True),
                  backup_helpers.restore_point(id="rp-free")]
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(points)

        response = self.client.get(INDEX_URL)

        self.assertContains(response, "restore_points__delete__rp-free")
        self.assertNotContains(response, "restore_points__delete__rp-locked")
        self.assertContains(response, "Locked (WORM)")
        self.assertContains(response, reverse("horizon:project:restore_points:restore", args=["rp-locked"]))

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu"]})
    def test_one_instance_restore_points_by_link_and_typed_filters(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.restore_point()], count=60)
        response = self.client.get(INDEX_URL + "?instance_id=srv-1")
        self.assertContains(response, "Restore points of instance web-1.")
        self.assertContains(response, 'href="?instance_id=srv-1&amp;page=2"')  # the next page keeps the instance
        self.assertContains(response, "60 restore points in all.")
        self.mock_restore_point_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"instance_id": "srv-1"}, page_number=1, all_projects=False)
        self.client.post(INDEX_URL, {"restore_points__filter__q": "yes",
                                     "restore_points__filter__q_field": "locked"})
        self.client.get(INDEX_URL)
        self.mock_restore_point_list_paged_with_page_menu.assert_called_with(
            helpers.IsHttpRequest(), search_opts={"locked": "true"}, page_number=1, all_projects=False)

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu", "restore_point_delete"]})
    def test_a_refused_delete_says_why(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.restore_point()])
        self.mock_restore_point_delete.side_effect = backup_exceptions.BackupRequestRefused(
            "Restore point rp-1 is being restored; wait for that job to end.", 409, "conflict")
        response = self.client.post(INDEX_URL, {"action": "restore_points__delete__rp-1"}, follow=True)
        self.assertContains(response, "is being restored; wait for that job to end.")

    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_another_project_restore_point_is_not_found(self):
        self.mock_restore_point_get.side_effect = backup_exceptions.BackupNotFound("not found", 404)
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["x"]))
        self.assertEqual(response.status_code, 404)
        response = self.client.get(reverse("horizon:project:restore_points:restore", args=["x"]))
        self.assertEqual(response.status_code, 404)

    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_detail_names_the_volumes_as_backed_up(self):
        point = backup_helpers.restore_point()
        point.instance_document = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-1"]))
        self.assertContains(response, "web-1-root")
        self.assertContains(response, "/dev/vdb")
        self.assertContains(response, "demo-net")


    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_detail_warns_of_disks_the_restore_point_does_not_hold(self):
        point = backup_helpers.restore_point(unprotected_disks=[{"kind": "ephemeral", "size_mb": 2048},
                                                                {"kind": "swap", "size_mb": 512}])
        point.instance_document = {**backup_helpers.INSTANCE_DOCUMENT, "floating_ips": [
            {"id": "fip-1", "floating_ip_address": "172.24.4.9", "fixed_ip_address": "10.0.10.3"}],
            "server_groups": [{"id": "sg-1", "name": "web-tier", "policy": "anti-affinity"}]}
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-1"]))
        self.assertContains(response, "alert alert-warning unprotected-disks")
        self.assertContains(response, "2 GiB ephemeral disk")
        self.assertContains(response, "512 MiB swap")
        self.assertContains(response, "172.24.4.9")
        self.assertContains(response, "web-tier (anti-affinity)")

    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_detail_of_a_fully_protected_instance_has_no_warning(self):
        point = backup_helpers.restore_point(unprotected_disks=[])
        point.instance_document = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-1"]))
        self.assertNotContains(response, "unprotected-disks")

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu"]})
    def test_the_list_badges_restore_points_that_leave_disks_out(self):
        points = [backup_helpers.restore_point(id="rp-eph", unprotected_disks=[{"kind": "swap", "size_mb": 1024}]),
                  backup_helpers.restore_point(id="rp-all", unprotected_disks=[])]
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(points)
        response = self.client.get(INDEX_URL)
        self.assertContains(response, "label label-warning unprotected-disks", count=1)
        self.assertContains(response, "Not backed up: 1 GiB swap")


VAULT_COPIES = [
    {"kind": "primary", "destination_id": "dest-1", "destination_name": "ceph-primary", "state": "stored",
     "at": "2026-11-24T02:00:00Z", "chunks_copied": None, "bytes_copied": None, "error": ""},
    {"kind": "vault", "destination_id": "vault-1", "destination_name": "offsite-vault", "state": "copied",
     "at": "2026-11-24T03:10:00Z", "chunks_copied": 12, "bytes_copied": 5 << 20, "error": ""}]


class RestorePointCopiesTests(backup_helpers.TestCase):
    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_the_detail_shows_the_primary_and_the_vault_copy_with_state_and_time(self):
        point = backup_helpers.restore_point(copies=VAULT_COPIES)
        point.instance_document = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-1"]))
        self.assertContains(response, "restore_point_copies")
        self.assertContains(response, "offsite-vault")
        self.assertContains(response, "Vault (air-gapped)")
        self.assertContains(response, "2026-11-24 03:10:00")


class RestoreWizardTests(backup_helpers.TestCase):
    URL = reverse("horizon:project:restore_points:restore", args=["rp-1"])

    def _mock(self):
        self.mock_restore_point_get.return_value = backup_helpers.restore_point()
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices",
                                        "restore_create"]})
    def test_the_wizard_maps_nics_and_disks_and_lands_on_the_job(self):
        self._mock()
        self.mock_restore_create.return_value = backup_helpers.job(id="job-restore", type="restore")

        response = self.client.get(self.URL)
        self.assertContains(response, "Network of NIC 1 (was demo-net, 10.0.10.3)")
        self.assertContains(response, "Volume type of web-1-data (was __DEFAULT__)")
        self.assertContains(response, "boot volume, always restored")
        self.assertEqual(response.context["workflow"].get_entry_point(), "source")
        response = self.client.post(self.URL, {
            "restore_point_id": "rp-1", "mode": "volumes", "volumes": ["vol-data"], "name": "web-1-copy",
            "availability_zone": "az2", "flavor_id": self.flavors.first().id, "network_0": "net-2",
            "volume_type_vol-root": "", "volume_type_vol-data": "fast"})

        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:project:backup_jobs:detail", args=["job-restore"]))
        self.mock_restore_create.assert_called_once_with(
            helpers.IsHttpRequest(), "rp-1", name="web-1-copy", availability_zone="az2",
            flavor_id=self.flavors.first().id, network_mapping={"net-1": "net-2"},
            volume_types={"vol-data": "fast"}, volumes=["vol-data"], volume_names={})

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices",
                                        "restore_create"]})
    def test_a_point_copied_into_a_vault_restores_from_there_when_asked(self):
        self._mock()
        self.mock_restore_point_get.return_value = backup_helpers.restore_point(copies=VAULT_COPIES)
        self.mock_restore_create.return_value = backup_helpers.job(id="job-restore", type="restore")
        response = self.client.get(self.URL)
        self.assertContains(response, "The air-gapped vault copy")
        response = self.client.post(self.URL, {
            "restore_point_id": "rp-1", "source": "vault", "mode": "instance", "name": "web-1-copy",
            "availability_zone": "az2", "flavor_id": self.flavors.first().id, "network_0": "net-1",
            "volume_type_vol-root": "", "volume_type_vol-data": ""})
        self.assertNoFormErrors(response)
        self.assertEqual(self.mock_restore_create.call_args.kwargs["source"], "vault")

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices"]})
    def test_without_a_vault_copy_the_wizard_offers_no_vault(self):
        self._mock()
        response = self.client.get(self.URL)
        self.assertNotContains(response, "The air-gapped vault copy")

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices"]})
    def test_choosing_volumes_without_any_says_so(self):
        self._mock()
        response = self.client.post(self.URL, {
            "restore_point_id": "rp-1", "mode": "volumes", "name": "x", "availability_zone": "az2",
            "flavor_id": self.flavors.first().id, "network_0": "net-1"})
        self.assertContains(response, "Choose at least one volume, or restore the whole instance.")

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_target_choices", "restore_create"]})
    def test_a_single_volume_restores_as_a_new_volume(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)
        self.mock_restore_create.return_value = backup_helpers.job(id="job-vol", type="restore_volume")
        url = reverse("horizon:project:restore_points:restore_volume", args=["rp-1"])
        with mock.patch("openstack_dashboard.api.nova.server_list", return_value=(self.servers.list(), False)):
            response = self.client.post(url, {"restore_point_id": "rp-1", "volume_id": "vol-data",
                                              "name": "data-copy", "availability_zone": "nova", "volume_type": "fast",
                                              "attach_to": self.servers.first().id})
        self.assertNoFormErrors(response)
        self.assertRedirectsNoFollow(response, reverse("horizon:project:backup_jobs:detail", args=["job-vol"]))
        self.mock_restore_create.assert_called_once_with(
            helpers.IsHttpRequest(), "rp-1", volume_id="vol-data", volume_name="data-copy", availability_zone="nova",
            volume_type="fast", attach_to=self.servers.first().id)


THREE_DISKS = {**backup_helpers.INSTANCE_DOCUMENT, "block_device_mapping": [
    *backup_helpers.INSTANCE_DOCUMENT["block_device_mapping"],
    {"volume_id": "vol-logs", "name": "web-1-logs", "size": 1, "volume_type": "__DEFAULT__", "boot_index": None,
     "device": "/dev/vdc"}]}


class RestoreVolumeNameTests(backup_helpers.TestCase):
    """The name of each restored volume: shown pre-filled with the default, sent only when the person changed it."""

    URL = reverse("horizon:project:restore_points:restore", args=["rp-1"])
    VOLUME_URL = reverse("horizon:project:restore_points:restore_volume", args=["rp-1"])

    def _mock(self, document=None):
        self.mock_restore_point_get.return_value = backup_helpers.restore_point()
        self.mock_restore_point_instance.return_value = document or backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)

    def _post(self, **fields):
        return self.client.post(self.URL, {
            "restore_point_id": "rp-1", "mode": "instance", "name": "web-1-copy", "availability_zone": "az2",
            "flavor_id": self.flavors.first().id, "network_0": "net-1", **fields})

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices"]})
    def test_the_wizard_shows_each_volume_default_name(self):
        self._mock()
        response = self.client.get(self.URL)
        self.assertContains(response, "Name of the restored web-1-data")
        self.assertContains(response, "Name of the restored web-1-root")
        html = response.content.decode()
        self.assertRegex(html, r'name="volume_name_vol-data"[^>]*value="web-1-data \(restored '
                               r'\d{4}-\d\d-\d\d \d\d:\d\d UTC\)"|value="web-1-data \(restored '
                               r'\d{4}-\d\d-\d\d \d\d:\d\d UTC\)"[^>]*name="volume_name_vol-data"')
        self.assertContains(response, 'data-review="volume_names"')  # the Review step lists them too

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices",
                                        "restore_create"]})
    def test_only_names_changed_are_sent_stripped(self):
        self._mock()
        self.mock_restore_create.return_value = backup_helpers.job(id="job-restore", type="restore")
        # the root's default as the page showed it a few minutes ago: still the default, not sent
        response = self._post(**{"volume_name_vol-root": "web-1-root (restored 2026-12-01 09:58 UTC)",
                                 "volume_name_vol-data": "  db data  "})
        self.assertNoFormErrors(response)
        self.assertEqual(self.mock_restore_create.call_args.kwargs["volume_names"], {"vol-data": "db data"})

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices",
                                        "restore_create"]})
    def test_names_of_volumes_not_restored_are_not_sent(self):
        self._mock(THREE_DISKS)
        self.mock_restore_create.return_value = backup_helpers.job(id="job-restore", type="restore")
        response = self._post(mode="volumes", volumes=["vol-data"], **{
            "volume_name_vol-root": "boot", "volume_name_vol-data": "data", "volume_name_vol-logs": "logs"})
        self.assertNoFormErrors(response)
        # the boot volume is always restored, so its name goes; the logs volume is not restored
        self.assertEqual(self.mock_restore_create.call_args.kwargs["volume_names"],
                         {"vol-root": "boot", "vol-data": "data"})

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices"]})
    def test_a_name_with_control_characters_or_too_long_is_refused_at_the_field(self):
        self._mock()
        response = self._post(**{"volume_name_vol-data": "web\t1"})
        self.assertContains(response, "Use printable characters only (no line breaks or tabs).")
        response = self._post(**{"volume_name_vol-data": "x" * 256})
        self.assertContains(response, "Ensure this value has at most 255 characters")

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_target_choices"]})
    def test_restore_a_volume_prefills_the_chosen_volume_default_name(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)
        with mock.patch("openstack_dashboard.api.nova.server_list", return_value=(self.servers.list(), False)):
            response = self.client.get(self.VOLUME_URL, {"volume_id": "vol-data"})
        form = response.context["form"]
        self.assertRegex(form.fields["name"].initial, r"\Aweb-1-data \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\Z")
        defaults = json.loads(form.fields["volume_id"].widget.attrs["data-default-names"])
        self.assertEqual(set(defaults), {"vol-root", "vol-data"})
        self.assertTrue(defaults["vol-root"].startswith("web-1-root (restored "))
        self.assertContains(response, "data-default-names=")

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_target_choices", "restore_create"]})
    def test_restore_a_volume_left_with_its_default_name_sends_none(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)
        self.mock_restore_create.return_value = backup_helpers.job(id="job-vol", type="restore_volume")
        with mock.patch("openstack_dashboard.api.nova.server_list", return_value=(self.servers.list(), False)):
            response = self.client.post(self.VOLUME_URL, {
                "restore_point_id": "rp-1", "volume_id": "vol-data",
                "name": "web-1-data (restored 2026-12-01 09:58 UTC)"})
        self.assertNoFormErrors(response)
        self.assertIsNone(self.mock_restore_create.call_args.kwargs["volume_name"])

    @helpers.create_mocks({api.backup: ["restore_point_instance", "restore_target_choices", "restore_create"]})
    def test_restore_a_volume_shows_the_service_refusal_at_the_name(self):
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)
        self.mock_restore_create.side_effect = backup_exceptions.BackupRequestRefused(
            "the name of the new volume is taken by a rule of the operator", status=400, code="invalid",
            field="volume_name")
        with mock.patch("openstack_dashboard.api.nova.server_list", return_value=(self.servers.list(), False)):
            response = self.client.post(self.VOLUME_URL, {"restore_point_id": "rp-1", "volume_id": "vol-data",
                                                          "name": "db"})
        self.assertFormErrors(response, 1)
        self.assertEqual(response.context["form"].errors["name"],
                         ["the name of the new volume is taken by a rule of the operator"])
        self.assertEqual(self.mock_restore_create.call_args.kwargs["volume_name"], "db")


def test_the_default_name_is_the_one_the_proxy_writes():
    """The plugin spells the proxy's default itself (it does not import the service): both agree."""
    from storage_backup.pipeline.restore_disks import restored_name

    from storage_backup_dashboard.dashboards.project.restore_points import workflows
    when = dt.datetime(2026, 12, 2, 14, 3, 59, tzinfo=dt.UTC)
    assert workflows.default_volume_name("web-1-root", when) == restored_name("web-1-root", when)
    assert workflows.chosen_volume_name("web-1-root", restored_name("web-1-root")) is None
    assert workflows.chosen_volume_name("web-1-root", " ") is None
    assert workflows.chosen_volume_name("web-1-root", "web-1-root (restored yesterday)") == \
        "web-1-root (restored yesterday)"
    assert workflows.chosen_volume_name("web-1-root", restored_name("web-2-root")) == restored_name("web-2-root")


class RestorePointVerifyAndTitleTests(backup_helpers.TestCase):
    """Issue 14: Verify from the panel; the wizard opened by its URL has a title in its breadcrumb."""

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu", "restore_point_verify"]})
    def test_verify_starts_a_job_and_opens_it(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.restore_point()])
        self.mock_restore_point_verify.return_value = backup_helpers.job(id="job-verify", type="verify")
        response = self.client.get(INDEX_URL)
        self.assertContains(response, 'value="restore_points__verify__rp-1"')
        response = self.client.post(INDEX_URL, {"action": "restore_points__verify__rp-1"})
        self.assertRedirectsNoFollow(response, reverse("horizon:project:backup_jobs:detail", args=["job-verify"]))
        self.mock_restore_point_verify.assert_called_once_with(helpers.IsHttpRequest(), "rp-1")

    @helpers.create_mocks({api.backup: ["restore_point_list_paged_with_page_menu", "restore_point_verify"]})
    def test_a_refused_verify_says_why_and_stays(self):
        self.mock_restore_point_list_paged_with_page_menu.return_value = backup_helpers.page(
            [backup_helpers.restore_point()])
        self.mock_restore_point_verify.side_effect = backup_exceptions.BackupRequestRefused(
            "Restore point rp-1 is being deleted.", 409, "conflict")
        response = self.client.post(INDEX_URL, {"action": "restore_points__verify__rp-1"}, follow=True)
        self.assertContains(response, "Unable to verify the restore point. Restore point rp-1 is being deleted.")

    @helpers.create_mocks({api.backup: ["restore_point_get"]})
    def test_the_detail_page_offers_verify(self):
        point = backup_helpers.restore_point()
        point.instance_document = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_point_get.return_value = point
        response = self.client.get(reverse("horizon:project:restore_points:detail", args=["rp-1"]))
        self.assertContains(response, 'value="restore_points__verify__rp-1"')

    @helpers.create_mocks({api.backup: ["restore_point_get", "restore_point_instance", "restore_target_choices"]})
    def test_the_wizard_by_url_ends_its_breadcrumb_with_its_name(self):
        self.mock_restore_point_get.return_value = backup_helpers.restore_point()
        self.mock_restore_point_instance.return_value = backup_helpers.INSTANCE_DOCUMENT
        self.mock_restore_target_choices.return_value = _target_choices(self)
        response = self.client.get(reverse("horizon:project:restore_points:restore", args=["rp-1"]))
        self.assertEqual(str(response.context["page_title"]), "Restore Instance")
        self.assertContains(response, '<li class="breadcrumb-item-truncate active">Restore Instance</li>')
        self.assertNotContains(response, ">None</li>")
