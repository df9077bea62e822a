# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How a task fails: a ``TaskFailure`` (code, retryable, message) raised inside ``TaskFailed``.

The worker decides what kind of failure it is (it knows its own exceptions) and whether another attempt may succeed;
the control plane decides from ``code`` and ``retryable`` alone, never from an exception's class name. ``TaskFailed``
has the failure document as its only argument, so Celery stores it as JSON and rebuilds it as it was on the other
side.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .message import ContractError, Message


class FailureCode(StrEnum):
    """The kinds of failure (docs/TASKS.md "Failures"). A reader that meets a code it does not know (a newer worker)
    goes by ``retryable``."""

    CANCELLED = "cancelled"  # the job was cancelled; its temporary resources were removed first
    CLOUD_UNAVAILABLE = "cloud_unavailable"  # an OpenStack API answered 5xx or could not be reached
    REPOSITORY_BUSY = "repository_busy"  # another job holds a conflicting lock on the repository (e.g. a prune)
    WORKER_LOST = "worker_lost"  # the worker process died under the task (set by the control plane)
    INVALID_REQUEST = "invalid_request"  # the message is malformed or asks for something impossible
    UNSUPPORTED_VERSION = "unsupported_version"  # the message is of a newer contract than the reader's
    WRONG_PROXY = "wrong_proxy"  # the task reached the proxy of another availability zone
    NOT_ENROLLED = "not_enrolled"  # the task's secrets are sealed to keys this worker does not hold (docs/TASKS.md)
    RESOURCE_FAILED = "resource_failed"  # a snapshot, volume, image or server went to an error status
    RESOURCE_TIMEOUT = "resource_timeout"  # a resource stayed in a status longer than its timeout
    DEVICE_NOT_FOUND = "device_not_found"  # an attached volume did not appear on the proxy
    OVER_QUOTA = "over_quota"  # the project's quota in the cloud does not allow it
    CLOUD_REFUSED = "cloud_refused"  # an OpenStack API refused the request (400, 403, 404, 409)
    GUEST_COMMAND_FAILED = "guest_command_failed"  # a pre/post-snapshot command failed and the policy says abort
    TIME_LIMIT = "time_limit"  # the task ran into its time limit and was stopped
    RESTORE_FAILED = "restore_failed"  # a restore could not complete; what it made was removed
    REPOSITORY_UNAVAILABLE = "repository_unavailable"  # no repository at the destination, or it cannot be opened
    DATA_DAMAGED = "data_damaged"  # a chunk or object of the repository is missing or corrupt
    NOT_FOUND = "not_found"  # the restore point or volume is not in the repository
    RETENTION_LOCKED = "retention_locked"  # the repository refuses: a retention lock holds
    SUPERSEDED = "superseded"  # a stale message: the job ended, or another attempt of it was sent or runs
    FAILED = "failed"  # anything else; the message says what


# not_enrolled: another worker of the queue, whose key is enrolled, may take the next attempt, which is sealed to the
# keys enrolled by then.
RETRYABLE = frozenset({FailureCode.CLOUD_UNAVAILABLE, FailureCode.REPOSITORY_BUSY, FailureCode.WORKER_LOST,
                       FailureCode.NOT_ENROLLED})


@dataclass(frozen=True)
class TaskFailure(Message):
    # A string, not the enum: a newer worker may send a code this control plane does not know yet.
    code: str
    retryable: bool
    message: str

    @classmethod
    def of(cls, code: FailureCode, message: str, retryable: bool | None = None) -> TaskFailure:
        """A failure of ``code``; retryable as the code usually is unless told."""
        return cls(code=str(code), retryable=code in RETRYABLE if retryable is None else retryable, message=message)

    @classmethod
    def from_exception(cls, error: BaseException | None) -> TaskFailure:
        """The failure a task ended with, as the control plane reads it from the result backend: the document inside
        ``TaskFailed`` (or any exception whose only argument is one), else a plain ``failed`` naming the error."""
        document = error.args[0] if error is not None and len(error.args) == 1 else None
        if isinstance(document, dict) and "code" in document:
            try:
                return cls.from_message(document, "task failure")
            except ContractError as unreadable:
                return cls.of(FailureCode.FAILED, f"The worker's failure cannot be read ({unreadable}): {document}")
        if error is None:
            return cls.of(FailureCode.FAILED, "The task failed without saying why.")
        return cls.of(FailureCode.FAILED, f"{type(error).__name__}: {error}")


class TaskFailed(Exception):
    """Raised by a task to fail with a ``TaskFailure``; ``str()`` is the failure's message."""

    def __init__(self, failure: TaskFailure | dict[str, Any]) -> None:
        super().__init__(failure.to_message() if isinstance(failure, TaskFailure) else failure)

    @property
    def failure(self) -> TaskFailure:
        return TaskFailure.from_exception(self)

    def __str__(self) -> str:
        document = self.args[0] if self.args else None
        return str(document.get("message", document)) if isinstance(document, dict) else str(document)
