# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A backup that starts while a volume is being attached or detached waits for it (Cinder snapshots only an
``available`` or ``in-use`` volume) instead of failing at once; one that never settles fails naming it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from storage_backup.cloud.errors import ResourceTimeout
from storage_backup.pipeline.backup import InstanceBackup


class Volumes:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.polls = 0

    def get_volume(self, volume_id: str):
        status = self.statuses[min(self.polls, len(self.statuses) - 1)]
        self.polls += 1
        return SimpleNamespace(id=volume_id, status=status)


def backup_of(statuses: list[str], timeout: float = 5) -> tuple[InstanceBackup, Volumes, list[str]]:
    volumes, logged = Volumes(statuses), []
    ctx = SimpleNamespace(cloud=SimpleNamespace(block_storage=volumes), timeouts=SimpleNamespace(attach=timeout),
                          cancel=lambda: None, log=SimpleNamespace(add=lambda step, message: logged.append(message)))
    backup = InstanceBackup.__new__(InstanceBackup)  # only what the wait reads
    backup.ctx = ctx
    backup.disks = [SimpleNamespace(volume_id="v-1", key="v-1", label="volume data (v-1)")]
    return backup, volumes, logged


def test_a_volume_being_attached_is_waited_for():
    backup, volumes, logged = backup_of(["attaching", "attaching", "in-use"])
    backup._wait_for_settled_volumes()
    assert volumes.polls == 3
    assert logged == ["volume data (v-1) is attaching: waiting for it to settle"]


def test_a_settled_volume_costs_one_look():
    backup, volumes, logged = backup_of(["in-use"])
    backup._wait_for_settled_volumes()
    assert volumes.polls == 1 and logged == []


def test_a_volume_that_never_settles_fails_naming_it():
    backup, _volumes, _logged = backup_of(["detaching"], timeout=0.5)
    with pytest.raises(ResourceTimeout, match=r"Volume v-1 \(volume data \(v-1\)\) stuck in 'detaching'"):
        backup._wait_for_settled_volumes()
