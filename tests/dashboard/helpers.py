# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Horizon's test cases with the backup service in the user's catalog, and api objects as the service answers."""
from __future__ import annotations

import copy
import datetime as dt

from openstack_dashboard.test import helpers

from storage_backup_dashboard.api import backup

BACKUP_SERVICE = {
    "type": "data-protection", "name": "storage-backup", "endpoints_links": [],
    "endpoints": [{"region": "RegionOne", "interface": interface, "url": "http://backup.example.com:8779/v1"}
                  for interface in ("admin", "internal", "public")],
}
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class BackupCatalogMixin:
    def _setup_test_data(self):
        super()._setup_test_data()
        self.service_catalog.append(copy.deepcopy(BACKUP_SERVICE))


class TestCase(BackupCatalogMixin, helpers.TestCase):
    """A project member with the backup service in the catalog."""


class AdminTestCase(BackupCatalogMixin, helpers.BaseAdminViewTests):
    """A cloud administrator with the backup service in the catalog."""


class APITestCase(BackupCatalogMixin, helpers.APIMockTestCase):
    """For the api layer's own functions, called with ``self.request`` (its user is the test's, as in Horizon's
    own api tests)."""


def policy(**fields) -> backup.Policy:
    data = {"id": "pol-1", "project_id": "1", "shared": False, "name": "nightly", "description": "", "enabled": True,
            "schedule": "0 2 * * *", "timezone": "UTC", "window_start": None, "window_end": None,
            "strategy": "auto", "full_every": 7, "destination_id": "dest-1", "keep_last": 7, "keep_daily": 7,
            "keep_weekly": 4, "keep_monthly": 0, "keep_yearly": 0, "min_age_days": 0, "retention_lock_days": 0,
            "priority": 0, "pre_command": None, "post_command": None, "auto_assign_tag": "",
            "auto_assign_metadata_key": "", "auto_assign_metadata_value": "", "last_scheduled_at": None,
            "next_run_at": "2026-11-25T02:00:00Z", "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z"}
    data.update(fields)
    item = backup.Policy(data)
    item.destination_name = "shared-fs"
    return item


def restore_point(**fields) -> backup.RestorePoint:
    data = {"id": "rp-1", "project_id": "1", "instance_id": "srv-1", "instance_name": "web-1",
            "availability_zone": "nova", "policy_id": "pol-1", "destination_id": "dest-1", "job_id": "job-0",
            "created_at": "2026-11-24T02:00:00Z", "strategy": "full", "consistency": "group",
            "bytes_total": 3 << 30, "bytes_read": 200 << 20, "bytes_stored": 50 << 20,
            "volumes": [{"volume_id": "vol-root", "size": 2 << 30, "bytes_read": 150 << 20, "bytes_stored": 40 << 20,
                         "strategy": "full"},
                        {"volume_id": "vol-data", "size": 1 << 30, "bytes_read": 50 << 20, "bytes_stored": 10 << 20,
                         "strategy": "full"}],
            "retention_lock_until": None, "locked": False}
    data.update(fields)
    return backup.RestorePoint(data)


INSTANCE_DOCUMENT = {
    "name": "web-1", "availability_zone": "nova", "boot_source": "volume",
    "flavor": {"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512},
    "nics": [{"port_id": "port-1", "network_id": "net-1", "network_name": "demo-net",
              "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.10.3"}]}],
    "block_device_mapping": [
        {"volume_id": "vol-root", "name": "web-1-root", "size": 2, "volume_type": "__DEFAULT__", "boot_index": 0,
         "device": "/dev/vda"},
        {"volume_id": "vol-data", "name": "web-1-data", "size": 1, "volume_type": "__DEFAULT__", "boot_index": None,
         "device": "/dev/vdb"}],
    "image": None, "security_groups": [{"id": "sg-1", "name": "default"}], "key_pair": None,
}


def job(**fields) -> backup.Job:
    data = {"id": "job-1", "type": "backup", "state": "running", "project_id": "1", "instance_id": "srv-1",
            "instance_name": "web-1", "policy_id": "pol-1", "restore_point_id": "", "strategy": "full",
            "availability_zone": "nova", "proxy": "proxy-nova@host",
            "progress": {"percent": 42.0, "bytes_read": 1 << 30, "bytes_stored": 1 << 28, "bytes_total": 3 << 30,
                         "rate": 85 << 20, "eta": 70.0, "step": "read"},
            "log": [{"at": "2026-11-24T12:00:00Z", "step": "queued", "message": "Requested full backup of web-1"}],
            "error": "", "waiting_reason": "", "attempts": 1, "cancel_requested": False, "scheduled": False,
            "result": None, "created_at": "2026-11-24T12:00:00Z", "started_at": "2026-11-24T12:00:01Z",
            "finished_at": None}
    data.update(fields)
    return backup.Job(data)


def page(items, count=None, page_size=20) -> tuple[list, int, int, int]:
    """What an api ``*_list_paged_with_page_menu`` function answers: ``(items, page_size, count, pages)``."""
    count = len(items) if count is None else count
    return list(items), page_size, count, -(-count // page_size)
