# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The typed messages (``storage_backup.contract``): the JSON on the wire stays what was sent before they existed,
a malformed or newer message is refused naming the field, and a failure travels through Celery's result backend as
it was written."""
from __future__ import annotations

import pytest
from celery import Celery
from celery.exceptions import WorkerLostError
from storage_backup import contract
from storage_backup.contract import ContractError, FailureCode, TaskFailed, TaskFailure

# A backup message as the control plane sent it before the contract was typed (docs/TASKS.md of then).
LEGACY_BACKUP = {
    "job_id": "3f2a", "project_id": "p-1", "instance_id": "i-1", "strategy": "full",
    "destination": {"id": "d-1", "type": "filesystem", "path": "/srv/backup/repo", "encrypted": False},
    "repository_secret": None, "labels": {"policy_id": "pol-1", "job_id": "3f2a", "project_id": "p-1",
                                          "instance_id": "i-1"},
    "retention_lock_until": "2026-12-24T00:00:00Z", "pre_command": None, "post_command": None,
}


def test_a_message_from_before_the_contract_reads_as_version_1_and_writes_back_the_same():
    request = contract.BackupRequest.from_message(LEGACY_BACKUP)
    assert request.version == 1 and request.destination.path == "/srv/backup/repo"
    # Written back in the current version (2: its secrets travel sealed, docs/TASKS.md), with the defaults of the
    # later fields: per-project deduplication, not hardened, no read limit of the policy's own.
    destination = {**LEGACY_BACKUP["destination"], "dedup_scope": "project", "hardened": False}
    assert request.to_message() == {**LEGACY_BACKUP, "version": contract.BackupRequest.VERSION,
                                    "destination": destination, "read_limit_mbps": None}


def test_defaults_and_unknown_keys():
    request = contract.RestoreInstanceRequest.from_message({
        "job_id": "j", "project_id": "p", "restore_point_id": "r", "destination": {"id": "d", "path": "/x"},
        "added_by_a_newer_writer": True})
    assert request.volumes == [] and request.network_mapping == {} and request.name is None
    assert request.destination.type == "filesystem" and "added_by_a_newer_writer" not in request.to_message()


@pytest.mark.parametrize(("message", "error"), [
    ({**LEGACY_BACKUP, "instance_id": None}, "BackupRequest.instance_id: must be a string, not null"),
    ({key: value for key, value in LEGACY_BACKUP.items() if key != "destination"}, "'destination' is missing"),
    ({**LEGACY_BACKUP, "strategy": "differential"}, 'strategy: must be "full" or "incremental"'),
    ({**LEGACY_BACKUP, "labels": {"policy_id": 7}}, "labels.policy_id: must be a string"),
    ({**LEGACY_BACKUP, "destination": {"id": "d", "path": "/x", "encrypted": "yes"}},
     "destination.encrypted: must be true or false"),
    ({**LEGACY_BACKUP, "pre_command": {"command": "sync"}}, "pre_command: 'user' is missing"),
    ({**LEGACY_BACKUP, "version": 0}, "version: must be a whole number from 1"),
    ("a string", "must be a JSON object"),
])
def test_a_malformed_message_is_refused_naming_the_field(message, error):
    with pytest.raises(ContractError) as refused:
        contract.BackupRequest.from_message(message)
    assert error in str(refused.value) and not refused.value.newer


def test_a_newer_message_is_refused_as_newer():
    newer = contract.BackupRequest.VERSION + 1
    with pytest.raises(ContractError, match=f"version {newer} of the task contract, newer than this side's") \
            as refused:
        contract.BackupRequest.from_message({**LEGACY_BACKUP, "version": newer})
    assert refused.value.newer


def test_numbers_and_logs_keep_their_shape():
    result = contract.BackupResult.from_message({
        "restore_point_id": "r", "created_at": "2026-01-01T00:00:00Z", "consistency": "crash", "duration": 3,
        "volumes": [{"volume_id": "v", "size": 1, "strategy": "full"}],
        "log": [{"at": "t", "step": "s", "message": "m"},
                {"at": "t", "step": "s", "message": "w", "level": "warning"}]})
    assert result.duration == 3.0 and isinstance(result.duration, float)
    assert result.to_message()["log"] == [{"at": "t", "step": "s", "message": "m"},
                                          {"at": "t", "step": "s", "message": "w", "level": "warning"}]
    with pytest.raises(ContractError, match="bytes_read: must be an integer"):
        contract.BackupResult.from_message({**result.to_message(), "bytes_read": True})


def test_a_ping_from_before_the_contract_keeps_its_software_version():
    answer = contract.PingResult.from_message({"az": "nova", "hostname": "h", "version": "1.4.0",
                                               "device_root_ok": True})
    assert (answer.version, answer.software_version) == (1, "1.4.0")


def test_a_failure_travels_through_the_result_backend_as_it_was_written():
    """Celery's own serialisation of a task's exception (what the worker stores, what the control plane reads)."""
    backend = Celery("contract-test", backend="cache+memory://").backend
    raised = TaskFailed(TaskFailure.of(FailureCode.REPOSITORY_BUSY, "a prune holds repository /srv/repo"))
    stored = backend.prepare_exception(raised, serializer="json")
    read = backend.exception_to_python(stored)
    assert isinstance(read, TaskFailed) and str(read) == "a prune holds repository /srv/repo"
    assert TaskFailure.from_exception(read) == TaskFailure(code="repository_busy", retryable=True,
                                                           message="a prune holds repository /srv/repo")


def test_what_a_worker_could_not_say():
    assert TaskFailure.from_exception(ValueError("boom")) == TaskFailure(code="failed", retryable=False,
                                                                         message="ValueError: boom")
    unreadable = TaskFailure.from_exception(Exception({"code": "cloud_unavailable", "retryable": "maybe"}))
    assert unreadable.code == "failed" and "cannot be read" in unreadable.message
    from storage_backup.services.bus import failure_of  # the control plane's reading of Celery's own failures

    assert failure_of(WorkerLostError("signal 9")).code == "worker_lost" and failure_of(WorkerLostError()).retryable


def test_every_retryable_code_is_a_code():
    assert contract.RETRYABLE <= set(FailureCode)
    assert {str(code) for code in contract.RETRYABLE} == {"cloud_unavailable", "repository_busy", "worker_lost",
                                                                "not_enrolled"}


def test_a_full_destination_is_said_in_words_and_not_retried():
    import errno

    from storage_backup.proxy.failures import failure_of

    failure = failure_of(OSError(errno.ENOSPC, "No space left on device"))
    assert failure.code == "repository_unavailable" and not failure.retryable
    assert failure.message.startswith("The destination is full (") and "free space" in failure.message
