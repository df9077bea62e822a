# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every task of docs/TASKS.md: its name, the queue it goes to, its request and result types."""
from __future__ import annotations

from dataclasses import dataclass

from . import ceph_tasks as ceph
from . import data_tasks as data
from . import proxy_tasks as proxy
from .keys import CEPH_QUEUE, DATA_QUEUE, PROXY_QUEUE_PREFIX
from .message import Message

BACKUP_INSTANCE = "proxy.backup_instance"
RESTORE_INSTANCE = "proxy.restore_instance"
RESTORE_VOLUME = "proxy.restore_volume"
REVERT = "proxy.revert"
PING = "proxy.ping"
VERIFY_RESTORE_POINT = "data.verify_restore_point"
DELETE_RESTORE_POINTS = "data.delete_restore_points"
PRUNE_DESTINATION = "data.prune_destination"
SET_RETENTION_LOCK = "data.set_retention_lock"
MAINTAIN_LOCKS = "data.maintain_locks"
CHECK_LOCKED = "data.check_locked_restore_points"
LIST_RESTORE_POINTS = "data.list_restore_points"
BROWSE_FILES = "data.browse_files"
RESTORE_FILES = "data.restore_files"
DATA_PING = "data.ping"
CEPH_DIFF = "ceph.diff"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    queue: str  # "proxy.<az>" (the availability zone's proxies), "data" or "ceph"
    request: type[Message] | None  # None: the task takes no argument
    result: type[Message]


TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec(BACKUP_INSTANCE, PROXY_QUEUE_PREFIX + "<az>", proxy.BackupRequest, proxy.BackupResult),
    TaskSpec(RESTORE_INSTANCE, PROXY_QUEUE_PREFIX + "<az>", proxy.RestoreInstanceRequest, proxy.RestoreInstanceResult),
    TaskSpec(RESTORE_VOLUME, PROXY_QUEUE_PREFIX + "<az>", proxy.RestoreVolumeRequest, proxy.RestoreVolumeResult),
    TaskSpec(REVERT, PROXY_QUEUE_PREFIX + "<az>", proxy.RevertRequest, proxy.RevertResult),
    TaskSpec(PING, PROXY_QUEUE_PREFIX + "<az>", None, proxy.PingResult),
    TaskSpec(VERIFY_RESTORE_POINT, DATA_QUEUE, data.VerifyRequest, data.VerifyResult),
    TaskSpec(DELETE_RESTORE_POINTS, DATA_QUEUE, data.DeleteRequest, data.DeleteResult),
    TaskSpec(PRUNE_DESTINATION, DATA_QUEUE, data.PruneRequest, data.PruneResult),
    TaskSpec(SET_RETENTION_LOCK, DATA_QUEUE, data.LockRequest, data.LockResult),
    TaskSpec(MAINTAIN_LOCKS, DATA_QUEUE, data.MaintainLocksRequest, data.MaintainLocksResult),
    TaskSpec(CHECK_LOCKED, DATA_QUEUE, data.CheckLockedRequest, data.CheckLockedResult),
    TaskSpec(LIST_RESTORE_POINTS, DATA_QUEUE, data.RebuildRequest, data.RebuildResult),
    TaskSpec(BROWSE_FILES, DATA_QUEUE, data.BrowseFilesRequest, data.BrowseFilesResult),
    TaskSpec(RESTORE_FILES, DATA_QUEUE, data.RestoreFilesRequest, data.RestoreFilesResult),
    TaskSpec(DATA_PING, DATA_QUEUE, None, data.DataPingResult),
    TaskSpec(CEPH_DIFF, CEPH_QUEUE, ceph.DiffRequest, ceph.DiffResult),
)}


def spec_of(task_name: str) -> TaskSpec:
    try:
        return TASKS[task_name]
    except KeyError:
        raise KeyError(f"no task {task_name!r} in docs/TASKS.md (known: {', '.join(sorted(TASKS))})") from None
