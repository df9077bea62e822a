# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""docs/TASKS.md in code: what the control plane and the workers share through Redis.

Task names and queues (``tasks``), the typed request and result of every task (``proxy_tasks``, ``data_tasks``,
their parts in ``parts``), how a task fails (``failures``) and the Redis keys (``keys``). Both sides import this
package and nothing of each other: the control plane sends tasks by name, a worker needs no catalog. Plain Python
only (no Django, no Celery, no cloud); ``tests/unit/contract`` checks docs/TASKS.md against it.
"""
from __future__ import annotations

from .ceph_tasks import DiffRequest, DiffResult
from .data_tasks import (
    BrowseFilesRequest,
    BrowseFilesResult,
    CheckLockedRequest,
    CheckLockedResult,
    DataPingResult,
    DeleteRequest,
    DeleteResult,
    DocumentVolume,
    FileEntry,
    LockRequest,
    LockResult,
    MaintainLocksRequest,
    MaintainLocksResult,
    NotDeleted,
    PruneRequest,
    PruneResult,
    RebuildRequest,
    RebuildResult,
    RestoreFilesRequest,
    RestoreFilesResult,
    RestorePointDocument,
    VerifiedVolume,
    VerifyRequest,
    VerifyResult,
)
from .failures import RETRYABLE, FailureCode, TaskFailed, TaskFailure
from .keys import (
    ALIVE_KEY,
    ALIVE_SECONDS,
    ATTEMPT_KEY,
    ATTEMPT_TTL_SECONDS,
    CANCEL_KEY,
    CANCEL_TTL_SECONDS,
    CEPH_QUEUE,
    CONTROL_QUEUE,
    DATA_QUEUE,
    LOG_KEY,
    LOG_TTL_SECONDS,
    NO_ATTEMPT,
    PROXY_QUEUE_PREFIX,
    RUNNER_KEY,
    VAULT_QUEUE,
    alive_key,
    attempt_key,
    cancel_key,
    log_key,
    proxy_queue,
    runner_key,
)
from .message import ContractError, Message, Record
from .parts import Destination, LogEntry, Progress
from .proxy_tasks import (
    READ_LIMIT_MBPS_MAX,
    READ_LIMIT_MBPS_MIN,
    BackedUpVolume,
    BackupRequest,
    BackupResult,
    GuestCommand,
    PingResult,
    RestoreInstanceRequest,
    RestoreInstanceResult,
    RestoreVolumeRequest,
    RestoreVolumeResult,
    RevertedVolume,
    RevertRequest,
    RevertResult,
)
from .sealing import (
    NoRecipients,
    NotARecipient,
    Sealed,
    SealingError,
    SecretInClear,
    key_id,
    open_sealed,
    parse_public_key,
    public_key_text,
    seal,
    secret_paths,
)
from .tasks import (
    BACKUP_INSTANCE,
    BROWSE_FILES,
    CEPH_DIFF,
    CHECK_LOCKED,
    DATA_PING,
    DELETE_RESTORE_POINTS,
    LIST_RESTORE_POINTS,
    MAINTAIN_LOCKS,
    PING,
    PRUNE_DESTINATION,
    RESTORE_FILES,
    RESTORE_INSTANCE,
    RESTORE_VOLUME,
    REVERT,
    SET_RETENTION_LOCK,
    TASKS,
    VERIFY_RESTORE_POINT,
    TaskSpec,
    spec_of,
)
from .vault import VaultCopyItem, VaultGrantRequest

__all__ = [
    "ALIVE_KEY", "ALIVE_SECONDS", "ATTEMPT_KEY", "ATTEMPT_TTL_SECONDS", "BACKUP_INSTANCE", "BackedUpVolume",
    "BackupRequest", "BackupResult", "CANCEL_KEY", "CANCEL_TTL_SECONDS", "CEPH_DIFF", "CEPH_QUEUE", "CONTROL_QUEUE",
    "ContractError", "DATA_PING", "DATA_QUEUE", "DELETE_RESTORE_POINTS", "DataPingResult", "DeleteRequest",
    "DeleteResult", "Destination", "DiffRequest", "DiffResult", "DocumentVolume", "FailureCode", "GuestCommand",
    "LIST_RESTORE_POINTS", "LOG_KEY", "LOG_TTL_SECONDS", "LockRequest", "LockResult", "LogEntry",
    "MAINTAIN_LOCKS", "MaintainLocksRequest", "MaintainLocksResult", "Message",
    "NO_ATTEMPT", "NoRecipients", "NotARecipient", "NotDeleted", "PING", "PROXY_QUEUE_PREFIX", "PRUNE_DESTINATION",
    "PingResult", "Progress", "PruneRequest", "PruneResult", "READ_LIMIT_MBPS_MAX", "READ_LIMIT_MBPS_MIN",
    "RESTORE_INSTANCE", "RESTORE_VOLUME", "RETRYABLE",
    "RUNNER_KEY", "RebuildRequest", "RebuildResult", "Record", "RestoreInstanceRequest", "RestoreInstanceResult",
    "RestorePointDocument", "RestoreVolumeRequest", "RestoreVolumeResult", "REVERT", "RevertRequest", "RevertResult",
    "RevertedVolume", "SET_RETENTION_LOCK", "Sealed",
    "SealingError", "SecretInClear", "TASKS", "TaskFailed", "TaskFailure", "TaskSpec", "VAULT_QUEUE",
    "VERIFY_RESTORE_POINT", "VaultCopyItem", "VaultGrantRequest", "VerifiedVolume", "VerifyRequest", "VerifyResult",
    "BROWSE_FILES", "BrowseFilesRequest", "BrowseFilesResult", "FileEntry", "RESTORE_FILES", "RestoreFilesRequest",
    "RestoreFilesResult", "CHECK_LOCKED", "CheckLockedRequest", "CheckLockedResult",
    "alive_key", "attempt_key", "cancel_key", "key_id", "log_key",
    "open_sealed", "parse_public_key", "proxy_queue", "public_key_text", "runner_key", "seal", "secret_paths", "spec_of"
]
