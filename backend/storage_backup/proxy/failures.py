# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What kind of failure an exception of the worker is (docs/TASKS.md "Failures"): the one place that knows the
pipeline's, the cloud layer's and the repository engine's exceptions, so the control plane needs none of them."""
from __future__ import annotations

import errno

from storage_backup.contract import ContractError, FailureCode, NotARecipient, TaskFailed, TaskFailure

Code = FailureCode


def _kinds() -> list[tuple[tuple[type[BaseException], ...], FailureCode]]:
    """``(exception classes, code)``, most specific first."""
    from storage_backup import cloud, repository
    from storage_backup.filebrowse import errors as filebrowse
    from storage_backup.guest_commands import GuestCommandFailed
    from storage_backup.pipeline import errors as pipeline

    kinds = [
        ((pipeline.JobCancelled, repository.BackupCancelled), Code.CANCELLED),
        ((pipeline.JobTimeLimitExceeded,), Code.TIME_LIMIT),
        ((pipeline.InvalidJobRequest, repository.InvalidRequest), Code.INVALID_REQUEST),
        ((pipeline.WrongProxy,), Code.WRONG_PROXY),
        ((pipeline.DeviceNotFound,), Code.DEVICE_NOT_FOUND),
        ((pipeline.RestoreFailed,), Code.RESTORE_FAILED),
        ((pipeline.RepositoryUnavailable, repository.RepositoryNotFound, repository.WrongPassword,
          repository.UnsupportedFormat, repository.DestinationUnavailable), Code.REPOSITORY_UNAVAILABLE),
        ((GuestCommandFailed,), Code.GUEST_COMMAND_FAILED),
        ((cloud.ServiceUnavailable,), Code.CLOUD_UNAVAILABLE),
        ((cloud.OverQuota,), Code.OVER_QUOTA),
        ((cloud.ResourceFailed,), Code.RESOURCE_FAILED),
        ((cloud.ResourceTimeout,), Code.RESOURCE_TIMEOUT),
        ((cloud.CloudError,), Code.CLOUD_REFUSED),
        ((repository.RepositoryLocked,), Code.REPOSITORY_BUSY),
        ((repository.ChunkError, repository.CorruptObject), Code.DATA_DAMAGED),
        ((repository.RestorePointNotFound, repository.VolumeNotFound, filebrowse.PathNotFound,
          filebrowse.NotADirectory), Code.NOT_FOUND),
        ((filebrowse.FileBrowseError,), Code.INVALID_REQUEST),  # no filesystem read here, a damaged one, too large
        ((repository.RetentionLocked,), Code.RETENTION_LOCKED),
        ((ConnectionError, TimeoutError), Code.CLOUD_UNAVAILABLE),
    ]
    try:  # the network failing under keystoneauth or requests: the cloud is away for a moment
        import requests
        from keystoneauth1 import exceptions as ks

        kinds.append(((ks.ConnectFailure, ks.ConnectTimeout, ks.RetriableConnectionFailure,
                       requests.exceptions.ConnectionError, requests.exceptions.Timeout), Code.CLOUD_UNAVAILABLE))
    except ImportError:  # a data worker may run without the cloud's client libraries
        pass
    return kinds


def _openstacksdk(error: BaseException) -> FailureCode | None:
    """openstacksdk's own exceptions, should one reach the task unwrapped."""
    try:
        from openstack import exceptions as sdk
    except ImportError:
        return None
    if isinstance(error, sdk.ResourceTimeout):
        return Code.RESOURCE_TIMEOUT
    if isinstance(error, sdk.ResourceFailure):
        return Code.RESOURCE_FAILED
    if isinstance(error, sdk.HttpException):
        status = error.status_code or 0
        if status >= 500:
            return Code.CLOUD_UNAVAILABLE
        return Code.OVER_QUOTA if status == 413 else Code.CLOUD_REFUSED
    return None


def failure_of(error: BaseException) -> TaskFailure:
    """The failure a task ends with when ``error`` escapes it."""
    if isinstance(error, TaskFailed):
        return error.failure
    message = str(error) or type(error).__name__
    if isinstance(error, NotARecipient):
        return TaskFailure.of(Code.NOT_ENROLLED, message)
    if isinstance(error, ContractError):
        return TaskFailure.of(Code.UNSUPPORTED_VERSION if error.newer else Code.INVALID_REQUEST, message)
    for classes, code in _kinds():
        if isinstance(error, classes):
            return TaskFailure.of(code, message)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        # The writer removed what it had half-written; another attempt would only fill the disk again.
        return TaskFailure.of(Code.REPOSITORY_UNAVAILABLE, f"The destination is full ({message}): free space on it, "
                              "or prune old restore points, then back up again; nothing was half-written.",
                              retryable=False)
    code = _openstacksdk(error)
    if code is not None:
        return TaskFailure.of(code, message)
    # Unforeseen: the class name is all an operator has to go on, so it goes into the message.
    return TaskFailure.of(Code.FAILED, f"{type(error).__name__}: {message}")
