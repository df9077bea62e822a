# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""docs/TASKS.md in code: what the control plane and the workers share through Redis.

Task names and queues (``tasks``), the typed request and result of every task (``proxy_tasks``, ``data_tasks``,
their parts in ``parts``), how a task fails (``failures``) and the Redis keys (``keys``). Both sides import this
package and nothing of each other: the control plane sends tasks by name, a worker needs no catalog. Plain Python
only (no Django, no Celery, no cloud); ``tests/unit/contract`` checks docs/TASKS.md against it.
"""
from __future__ import annotations

from .data_tasks import (
    DataPingResult,
    DeleteRequest,
    DeleteResult,
    DocumentVolume,
    LockRequest,
    LockResult,
    NotDeleted,
    PruneRequest,
    PruneResult,
    RebuildRequest,
    RebuildResult,
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
    CONTROL_QUEUE,
    DATA_QUEUE,
    LOG_KEY,
    LOG_TTL_SECONDS,
    NO_ATTEMPT,
    PROXY_QUEUE_PREFIX,
    RUNNER_KEY,
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
    BackedUpVolume,
    BackupRequest,
    BackupResult,
    GuestCommand,
    PingResult,
    RestoreInstanceRequest,
    RestoreInstanceResult,
    RestoreVolumeRequest,
    RestoreVolumeResult,
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
    DATA_PING,
    DELETE_RESTORE_POINTS,
    LIST_RESTORE_POINTS,
    PING,
    PRUNE_DESTINATION,
    RESTORE_INSTANCE,
    RESTORE_VOLUME,
    SET_RETENTION_LOCK,
    TASKS,
    VERIFY_RESTORE_POINT,
    TaskSpec,
    spec_of,
)

__all__ = [
    "ALIVE_KEY", "ALIVE_SECONDS", "ATTEMPT_KEY", "ATTEMPT_TTL_SECONDS", "BACKUP_INSTANCE", "CANCEL_KEY",
    "CANCEL_TTL_SECONDS", "CONTROL_QUEUE", "DATA_PING", "DATA_QUEUE", "DELETE_RESTORE_POINTS", "LIST_RESTORE_POINTS",
    "LOG_KEY", "LOG_TTL_SECONDS", "NO_ATTEMPT", "PING", "PROXY_QUEUE_PREFIX", "PRUNE_DESTINATION", "RESTORE_INSTANCE",
    "RESTORE_VOLUME", "RETRYABLE", "RUNNER_KEY", "SET_RETENTION_LOCK", "TASKS", "VERIFY_RESTORE_POINT",
    "BackedUpVolume", "BackupRequest", "BackupResult", "ContractError", "DataPingResult", "DeleteRequest",
    "DeleteResult", "Destination", "DocumentVolume", "FailureCode", "GuestCommand", "LockRequest", "LockResult",
    "LogEntry", "Message", "NoRecipients", "NotARecipient", "NotDeleted", "PingResult", "Progress", "PruneRequest",
    "PruneResult", "RebuildRequest", "RebuildResult", "Record", "RestoreInstanceRequest", "RestoreInstanceResult",
    "RestorePointDocument", "RestoreVolumeRequest", "RestoreVolumeResult", "Sealed", "SealingError", "SecretInClear",
    "TaskFailed", "TaskFailure", "TaskSpec", "VerifiedVolume", "VerifyRequest", "VerifyResult", "alive_key",
    "attempt_key", "cancel_key", "key_id", "log_key", "open_sealed", "parse_public_key", "proxy_queue",
    "public_key_text", "runner_key", "seal", "secret_paths", "spec_of"
]
