# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Sealed secrets (``storage_backup.contract.sealing``, docs/TASKS.md "Sealed secrets"): a request's secret fields
leave the message and open only with an enrolled key, inside the message they were sealed for; and the worker's key
file (``storage_backup.proxy.worker_key``)."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from storage_backup import contract
from storage_backup.contract import sealing
from storage_backup.proxy import worker_key

from tests.unit.contract.test_tasks_doc import _doc, tables, unquote

PASSWORD = "correct horse battery staple"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-not-a-real-key\n-----END OPENSSH " \
              "PRIVATE KEY-----\n"


def command(text: str = "fsfreeze -f /data") -> dict:
    return {"command": text, "user": "ubuntu", "private_key": PRIVATE_KEY, "port": 22, "timeout": 30.0}


def backup_request(**changes) -> dict:
    request = contract.BackupRequest(
        job_id="job-1", project_id="p-1", instance_id="i-1",
        destination=contract.Destination(id="d-1", path="/srv/repo", encrypted=True), repository_secret=PASSWORD,
        pre_command=contract.GuestCommand.from_message(command()),
        post_command=contract.GuestCommand.from_message(command("fsfreeze -u /data"))).to_message()
    request.update(changes)
    return request


def wire(message: dict) -> str:
    """The message as Redis would hold it (kombu's JSON body, and that body in base64)."""
    text = json.dumps(message)
    return text + base64.b64encode(text.encode()).decode()


def assert_no_secret(text: str) -> None:
    for secret in (PASSWORD, PRIVATE_KEY, "not-a-real-key"):
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode()[:16] not in text


def test_the_secret_fields_are_declared_once_on_the_types():
    assert sealing.secret_paths(contract.BackupRequest) == [
        ("destination", "credentials"), ("repository_secret",), ("pre_command", "private_key"),
        ("post_command", "private_key")]
    for spec in contract.TASKS.values():
        # A Ceph diff question names an RBD image and two snapshots: nothing secret, so nothing sealed.
        if spec.request is not None and spec.name != contract.CEPH_DIFF:
            assert ("repository_secret",) in sealing.secret_paths(spec.request), spec.name
            assert ("destination", "credentials") in sealing.secret_paths(spec.request), spec.name
            assert spec.request.VERSION == sealing.SEALED_VERSION, spec.name
    assert sealing.secret_paths(contract.DiffRequest) == []


def test_sealed_secrets_leave_the_message_and_open_with_the_enrolled_key():
    key = X25519PrivateKey.generate()
    sealed = contract.seal(backup_request(), contract.BackupRequest, [contract.public_key_text(key)])
    assert_no_secret(wire(sealed))
    assert "repository_secret" not in sealed and "private_key" not in sealed["pre_command"]
    assert sealed["pre_command"]["command"] == "fsfreeze -f /data"  # only the secrets are sealed
    assert sealed["sealed"]["recipients"][0]["key_id"] == contract.key_id(key)
    opened = contract.open_sealed(sealed, contract.BackupRequest, [key])
    request = contract.BackupRequest.from_message(opened)
    assert request.repository_secret == PASSWORD and request.pre_command.private_key == PRIVATE_KEY
    assert request.post_command.private_key == PRIVATE_KEY
    assert opened == backup_request()


def test_every_seal_is_fresh():
    key = X25519PrivateKey.generate()
    first, second = (contract.seal(backup_request(), contract.BackupRequest, [key]) for _ in range(2))
    assert first["sealed"]["ciphertext"] != second["sealed"]["ciphertext"]


def test_a_message_without_secrets_travels_as_it_is():
    message = backup_request(repository_secret=None, pre_command=None, post_command=None)
    assert contract.seal(message, contract.BackupRequest, []) == message
    assert contract.open_sealed(message, contract.BackupRequest, []) == message


def test_secrets_without_an_enrolled_key_are_not_sent():
    with pytest.raises(contract.NoRecipients, match="no key is enrolled"):
        contract.seal(backup_request(), contract.BackupRequest, [])


def test_any_of_several_enrolled_keys_opens_it_and_no_other_does():
    old, new, stranger = (X25519PrivateKey.generate() for _ in range(3))
    sealed = contract.seal(backup_request(), contract.BackupRequest, [old.public_key(), new.public_key()])
    for key in (old, new):
        assert contract.open_sealed(sealed, contract.BackupRequest, [key])["repository_secret"] == PASSWORD
    # a worker holding both during its rotation, the new one first
    assert contract.open_sealed(sealed, contract.BackupRequest, [stranger, new])["repository_secret"] == PASSWORD
    with pytest.raises(contract.NotARecipient) as refused:
        contract.open_sealed(sealed, contract.BackupRequest, [stranger])
    assert contract.key_id(stranger) in str(refused.value) and contract.key_id(old) in str(refused.value)
    assert "enrol" in str(refused.value)
    with pytest.raises(contract.NotARecipient, match="none .no key file."):
        contract.open_sealed(sealed, contract.BackupRequest, [])


@pytest.mark.parametrize("change", [
    {"destination": {"id": "d-1", "path": "/srv/attacker", "type": "filesystem", "encrypted": True}},
    {"instance_id": "i-of-someone-else"},
    {"job_id": "job-2"},
])
def test_a_sealed_envelope_opens_only_inside_the_message_it_was_sealed_for(change):
    key = X25519PrivateKey.generate()
    sealed = contract.seal(backup_request(), contract.BackupRequest, [key])
    with pytest.raises(contract.SealingError, match="altered after it was sealed"):
        contract.open_sealed({**sealed, **change}, contract.BackupRequest, [key])


def test_a_command_changed_under_a_sealed_private_key_is_refused():
    key = X25519PrivateKey.generate()
    sealed = contract.seal(backup_request(), contract.BackupRequest, [key])
    sealed["pre_command"]["command"] = "cat /etc/shadow"
    with pytest.raises(contract.SealingError):
        contract.open_sealed(sealed, contract.BackupRequest, [key])


def test_an_envelope_moved_to_another_task_does_not_open():
    key = X25519PrivateKey.generate()
    sealed = contract.seal(backup_request(), contract.BackupRequest, [key])
    prune = {"job_id": "job-1", "destination": sealed["destination"], "version": 2, "sealed": sealed["sealed"]}
    with pytest.raises(contract.SealingError):
        contract.open_sealed(prune, contract.PruneRequest, [key])


def test_a_secret_in_clear_is_refused():
    with pytest.raises(contract.SecretInClear, match=r"BackupRequest.pre_command.private_key arrived in clear"):
        contract.open_sealed(backup_request(repository_secret=None), contract.BackupRequest, [])
    with pytest.raises(contract.SecretInClear, match="repository_secret"):
        contract.open_sealed({"job_id": "j", "destination": {"id": "d", "path": "/x"}, "repository_secret": "pw"},
                             contract.PruneRequest, [])


def test_public_keys_are_parsed_strictly():
    key = X25519PrivateKey.generate()
    text = contract.public_key_text(key)
    assert text.startswith("x25519:") and contract.key_id(text.removeprefix("x25519:")) == contract.key_id(key)
    for bad in ("", "x25519:not base64!", "x25519:" + base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            contract.parse_public_key(bad)


def test_the_envelope_is_documented():
    found = tables(_doc())
    assert [unquote(row[0]) for row in found["The sealed envelope"]] == list(sealing.Sealed.fields())
    assert [unquote(row[0]) for row in found["A recipient of the envelope"]] == \
        list(sealing.SealedRecipient.fields())


def test_the_worker_key_file_is_private_rotates_and_retires(tmp_path):
    path = str(tmp_path / "keys" / "proxy.key")
    assert worker_key.load_keys(path) == []
    first, created = worker_key.create(path)
    assert created and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert contract.key_id(worker_key.create(path)[0]) == contract.key_id(first)
    second = worker_key.rotate(path)
    assert [contract.key_id(key) for key in worker_key.load_keys(path)] == [contract.key_id(second),
                                                                           contract.key_id(first)]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert worker_key.public_keys(path)[0] == contract.public_key_text(second)
    assert worker_key.retire(path) == [contract.key_id(first)]
    assert [contract.key_id(key) for key in worker_key.load_keys(path)] == [contract.key_id(second)]


def test_a_malformed_key_file_names_its_line(tmp_path):
    path = tmp_path / "proxy.key"
    path.write_text("# comment\nnot-a-key\n")
    with pytest.raises(worker_key.WorkerKeyError, match="line 2"):
        worker_key.load_keys(str(path))


def test_a_newer_message_is_left_to_the_contract_to_refuse():
    newer = {**backup_request(), "version": contract.BackupRequest.VERSION + 1, "sealed": {"scheme": "future"}}
    assert contract.open_sealed(newer, contract.BackupRequest, []) == newer
    with pytest.raises(contract.ContractError) as refused:
        contract.BackupRequest.from_message(newer)
    assert refused.value.newer
