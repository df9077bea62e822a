# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Errors of the backup and restore pipelines. A task turns each into the failure code of docs/TASKS.md
(``storage_backup.proxy.failures``); the control plane sees the code and the message, never the class."""
from __future__ import annotations


class PipelineError(Exception):
    """The job cannot go on; the message says what happened and, where possible, what to do."""


class JobCancelled(PipelineError):
    """The job was cancelled (docs/TASKS.md); its temporary resources were cleaned up before it ended."""


class WrongProxy(PipelineError):
    """The task reached the proxy of another availability zone than the one its volumes live in."""


class InvalidJobRequest(PipelineError):
    """The task message lacks something or asks for something impossible (unknown volume, flavor, network...)."""


class DeviceNotFound(PipelineError):
    """An attached volume did not appear under the proxy's /dev/disk/by-id in time."""


class RestoreFailed(PipelineError):
    """A restore could not complete; what it had made was removed."""


class RepositoryUnavailable(PipelineError):
    """The destination's repository is not there on this worker (share not mounted, nothing written yet)."""


class JobTimeLimitExceeded(PipelineError):
    """The task ran into its soft time limit; its temporary resources were removed."""


def add_cleanup_report(error: BaseException, problems: list[str]) -> None:
    """Append what cleanup could not remove to the message of the error the job fails with (never replacing it):
    the control plane only sees the code and message of a failed task."""
    if not problems:
        return
    note = "; cleanup left: " + "; ".join(problems) + " (tagged for the sweeper)"
    if error.args and isinstance(error.args[0], str):
        error.args = (error.args[0] + note, *error.args[1:])
        if hasattr(error, "message") and isinstance(error.message, str):
            error.message = error.message + note
    else:
        error.add_note(note.lstrip("; "))
