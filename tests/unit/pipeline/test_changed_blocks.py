# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How a volume's backup is planned with Ceph changed blocks (``changed_blocks.plan_disk``): the diff is asked
against the base the previous restore point recorded, and every reason to read all blocks instead is said. The cloud
and the diff worker are stand-ins here; tests/ceph and tests/genuine run the same against real Cinder and Ceph."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from storage_backup.cloud import BASE_TAG, ResourceNotFound
from storage_backup.contract import DiffRequest, DiffResult
from storage_backup.pipeline import changed_blocks
from storage_backup.pipeline.changed_blocks import DiffUnavailable, plan_disk

VOLUME = "11111111-2222-3333-4444-555555555555"
BASE = {"snapshot_id": "base-snap", "group_snapshot_id": None, "name_id": VOLUME, "size_gib": 2,
        "volume_type": "ceph", "pool": "volumes", "image": f"volume-{VOLUME}", "instance_id": "i-1"}


class BlockStorage:
    def __init__(self, volume, snapshots):
        self.volume, self.snapshots = volume, snapshots

    def get_volume(self, volume_id):
        return self.volume

    def get_snapshot(self, snapshot_id):
        if snapshot_id not in self.snapshots:
            raise ResourceNotFound(f"snapshot {snapshot_id}")
        return self.snapshots[snapshot_id]


def context(volume=None, snapshots=None):
    volume = volume or SimpleNamespace(id=VOLUME, migration_id=None, size=2, volume_type="ceph")
    if snapshots is None:
        snapshots = {"base-snap": SimpleNamespace(id="base-snap", volume_id=VOLUME, status="available",
                                                  metadata={BASE_TAG: VOLUME})}
    return SimpleNamespace(cloud=SimpleNamespace(block_storage=BlockStorage(volume, snapshots)))


def disk(base=BASE):
    entry = SimpleNamespace(key=VOLUME, metadata={changed_blocks.RECORD_KEY: base} if base else {})
    return SimpleNamespace(key=VOLUME, volume_id=VOLUME, snapshot_id="new-snap", label="volume data",
                           previous=SimpleNamespace(id="rp-1", volumes=[entry]))


class Diff:
    def __init__(self, result=None, error=None):
        self.result, self.error, self.asked = result, error, []

    def __call__(self, request: DiffRequest, timeout: float) -> DiffResult:
        self.asked.append(request)
        if self.error:
            raise self.error
        return self.result or DiffResult(found=True, pool="volumes", image=request.image, size=2 << 30,
                                         base_size=2 << 30, extents=[[0, 4 << 20, 1], [8 << 20, 4 << 20, 0]],
                                         changed_bytes=8 << 20)


def test_the_diff_against_the_recorded_base_names_the_extents_and_keeps_the_new_snapshot():
    diff = Diff()
    plan = plan_disk(context(), disk(), "i-1", True, 5, ask=diff)
    assert diff.asked == [DiffRequest(image=f"volume-{VOLUME}", snapshot="snapshot-new-snap",
                                      base_snapshot="snapshot-base-snap", whole_object=False)]
    assert plan.extents == [(0, 4 << 20), (8 << 20, 4 << 20)]  # a discarded range is read too: it reads as zeros
    assert plan.keep_base and plan.record["snapshot_id"] == "new-snap" and plan.record["name_id"] == VOLUME
    assert plan.reason.startswith("changed blocks from Ceph: 2 extent(s), 8388608 bytes")


def test_a_migrated_volume_is_diffed_on_its_name_id_image_but_not_against_the_old_base():
    volume = SimpleNamespace(id=VOLUME, migration_id="99999999-0000-0000-0000-000000000000", size=2,
                             volume_type="ceph")
    diff = Diff()
    plan = plan_disk(context(volume), disk(), "i-1", True, 5, ask=diff)
    assert diff.asked[0].image == "volume-99999999-0000-0000-0000-000000000000"
    assert diff.asked[0].base_snapshot is None
    assert plan.extents is None and plan.keep_base
    assert "migrated" in plan.reason and plan.reason.startswith("checksum:")


@pytest.mark.parametrize(("volume", "snapshots", "says"), [
    (SimpleNamespace(id=VOLUME, migration_id=None, size=3, volume_type="ceph"), None, "resized from 2 to 3 GiB"),
    (SimpleNamespace(id=VOLUME, migration_id=None, size=2, volume_type="fast"), None, "retyped from ceph to fast"),
    (None, {}, "base snapshot base-snap is gone"),
    (None, {"base-snap": SimpleNamespace(id="base-snap", volume_id=VOLUME, status="error", metadata={})},
     "not usable"),
])
def test_every_reason_not_to_use_the_base_is_said(volume, snapshots, says):
    plan = plan_disk(context(volume, snapshots), disk(), "i-1", True, 5, ask=Diff())
    assert plan.extents is None and says in plan.reason and plan.reason.startswith("checksum:")


def test_no_base_recorded_no_diff_worker_and_not_in_ceph():
    plan = plan_disk(context(), disk(base=None), "i-1", True, 5, ask=Diff())
    assert plan.extents is None and "recorded no Ceph base snapshot" in plan.reason and plan.keep_base
    plan = plan_disk(context(), disk(), "i-1", True, 5, ask=Diff(error=DiffUnavailable("no answer within 5 s")))
    assert plan.extents is None and not plan.keep_base and plan.reason == "checksum: no answer within 5 s"
    plan = plan_disk(context(), disk(), "i-1", True, 5,
                     ask=Diff(DiffResult(found=False, reason="no RBD image volume-x in pool(s) volumes")))
    assert plan.extents is None and not plan.keep_base and "no RBD image" in plan.reason


def test_a_full_backup_asks_only_whether_the_volume_is_in_ceph_and_keeps_its_snapshot():
    diff = Diff()
    plan = plan_disk(context(), disk(), "i-1", False, 5, ask=diff)
    assert diff.asked[0].base_snapshot is None
    assert plan.extents is None and plan.keep_base and plan.reason.startswith("full: a full backup was asked for")


def test_the_mode_setting_is_checked():
    assert not changed_blocks.enabled({})
    assert changed_blocks.enabled({"STORAGE_BACKUP_CHANGED_BLOCKS": "ceph"})
    with pytest.raises(ValueError, match="use ceph"):
        changed_blocks.enabled({"STORAGE_BACKUP_CHANGED_BLOCKS": "rbd"})
    assert changed_blocks.sample_size({}) == 32
    assert changed_blocks.sample_size({"STORAGE_BACKUP_CHANGED_BLOCKS_SAMPLE": "-5"}) == 0
    with pytest.raises(ValueError, match="give a number of blocks"):
        changed_blocks.sample_size({"STORAGE_BACKUP_CHANGED_BLOCKS_SAMPLE": "lots"})
