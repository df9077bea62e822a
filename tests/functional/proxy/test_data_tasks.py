# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The data tasks of docs/TASKS.md on a real data worker (queue ``data``) over a real Redis, on real repositories
below the worker's repository root; and the contract enforced at the workers: a malformed message, or one of a
newer contract, fails with its code before anything is done, on a data worker and on a proxy worker alike."""
from __future__ import annotations

import datetime as dt
import gc
import os
import uuid

import pytest
from celery import Celery
from storage_backup import contract
from storage_backup.contract import TaskFailure
from storage_backup.repository import Repository
from storage_backup_sandbox.launch import DataWorkerProcess, RedisProcess, WorkerProcess

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    """Redis, a data worker whose repository root is a directory of this module, and a proxy worker of AZ nova."""
    base = tmp_path_factory.mktemp("data-plane")
    root = base / "root"
    root.mkdir()
    with RedisProcess(str(base / "redis")).start() as redis, \
            DataWorkerProcess(redis.url, str(base / "logs"), repository_root=str(root), concurrency=1).start() \
            as data_worker, \
            WorkerProcess("nova", redis.url, str(base / "logs"), proxy_server_id="no-such-proxy",
                          device_root=str(base / "devices"), concurrency=1).start():
        client = Celery("test-data-plane", broker=redis.url, backend=redis.url)
        client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                           result_accept_content=["json"])
        yield {"client": client, "root": str(root), "worker": data_worker}
        gc.collect()
        client.close()


def run(plane, task: str, message, queue: str = contract.DATA_QUEUE) -> tuple[dict | None, TaskFailure | None]:
    """Send ``task`` as the control plane does; ``(result, None)`` or ``(None, failure)``."""
    reply = plane["client"].send_task(task, args=[message], queue=queue, task_id=str(uuid.uuid4()))
    try:
        return reply.get(timeout=60, propagate=True), None
    except Exception as error:  # the task's TaskFailed, rebuilt by Celery from the result backend
        return None, TaskFailure.from_exception(error)
    finally:
        reply.forget()


def destination(path: str) -> dict:
    return contract.Destination(id=f"dest-{os.path.basename(path)}", path=path).to_message()


def write_points(real_path: str, count: int, instance_id: str = "i-1") -> list[str]:
    """Restore points of one small volume each (different data), as a backup would write them."""
    repository = Repository.init(real_path)
    disk = real_path + ".img"
    ids = []
    for index in range(count):
        with open(disk, "wb") as handle:
            handle.write(os.urandom(MIB) + str(index).encode() * 1000)
        with repository.start_restore_point(labels={"project_id": "p-1", "instance_id": instance_id},
                                            instance_metadata={"name": "web-1"}, consistency="crash") as writer:
            writer.backup_volume("vol-a", disk, strategy="full")
            ids.append(writer.commit())
    return ids


@pytest.fixture
def repository(plane):
    """A repository of three restore points at ``/<name>`` for the API, ``<root>/<name>`` on the data worker."""
    name = f"repo-{uuid.uuid4().hex[:8]}"
    real = os.path.join(plane["root"], name)
    return {"path": f"/{name}", "real": real, "ids": write_points(real, 3)}


def test_the_data_worker_answers_its_ping(plane):
    reply = plane["client"].send_task(contract.DATA_PING, queue=contract.DATA_QUEUE)
    answer = contract.DataPingResult.from_message(reply.get(timeout=30))
    assert answer.worker == plane["worker"].node_name and answer.repository_root == plane["root"]
    assert answer.repository_root_ok is True and answer.version == 1


def test_list_verify_lock_delete_and_prune(plane, repository):
    where = destination(repository["path"])
    listed, failure = run(plane, contract.LIST_RESTORE_POINTS, {"job_id": str(uuid.uuid4()), "destination": where})
    assert failure is None, failure
    documents = contract.RebuildResult.from_message(listed).restore_points
    assert [document.id for document in documents] == repository["ids"]
    assert documents[0].labels["instance_id"] == "i-1" and documents[0].volumes[0].key == "vol-a"

    verified, failure = run(plane, contract.VERIFY_RESTORE_POINT, {
        "job_id": str(uuid.uuid4()), "project_id": "p-1", "restore_point_id": repository["ids"][0],
        "destination": where})
    assert failure is None, failure
    assert contract.VerifyResult.from_message(verified).chunks_verified > 0

    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    locked, failure = run(plane, contract.SET_RETENTION_LOCK, {
        "job_id": str(uuid.uuid4()), "destination": where, "restore_point_id": repository["ids"][0],
        "retention_lock_until": until})
    assert failure is None and contract.LockResult.from_message(locked).locked is True, failure
    assert Repository.open(repository["real"]).get_restore_point(repository["ids"][0]).locked()

    missing = str(uuid.uuid4())
    deleted, failure = run(plane, contract.DELETE_RESTORE_POINTS, {
        "job_id": str(uuid.uuid4()), "destination": where, "restore_point_ids": [*repository["ids"], missing]})
    assert failure is None, failure
    deleted = contract.DeleteResult.from_message(deleted)
    assert deleted.deleted == repository["ids"][1:] and deleted.already_gone == [missing]
    assert [(item.restore_point_id, item.code) for item in deleted.not_deleted] == \
        [(repository["ids"][0], "retention_locked")]
    assert Repository.open(repository["real"]).restore_point_ids() == repository["ids"][:1]

    pruned, failure = run(plane, contract.PRUNE_DESTINATION, {"job_id": str(uuid.uuid4()), "destination": where})
    assert failure is None, failure
    assert contract.PruneResult.from_message(pruned).bytes_freed >= 2 * MIB


def test_a_missing_share_is_named_and_not_retried(plane):
    for task, extra in ((contract.LIST_RESTORE_POINTS, {}), (contract.PRUNE_DESTINATION, {}),
                        (contract.DELETE_RESTORE_POINTS, {"restore_point_ids": ["x"]})):
        _, failure = run(plane, task, {"job_id": str(uuid.uuid4()), "destination": destination("/not-mounted"),
                                       **extra})
        assert failure.code == "repository_unavailable" and failure.retryable is False, (task, failure)
        assert os.path.join(plane["root"], "not-mounted") in failure.message and "mounted" in failure.message


def test_an_empty_share_is_not_an_empty_catalog(plane):
    empty = os.path.join(plane["root"], "empty")
    os.makedirs(empty, exist_ok=True)
    _, failure = run(plane, contract.LIST_RESTORE_POINTS, {"job_id": str(uuid.uuid4()),
                                                           "destination": destination("/empty")})
    assert failure.code == "repository_unavailable" and "no repository" in failure.message


@pytest.mark.parametrize(("message", "code", "names"), [
    ({"job_id": "j", "destination": {"id": "d", "path": "/x"}}, "invalid_request", "'restore_point_ids' is missing"),
    ({"job_id": "j", "destination": {"id": "d", "path": "/x"}, "restore_point_ids": "all"}, "invalid_request",
     "restore_point_ids: must be a list"),
    ({"job_id": "j", "destination": {"id": "d", "path": "/x", "type": "tape"}, "restore_point_ids": []},
     "invalid_request", "destination.type"),
    ({"version": 99, "job_id": "j", "destination": {"id": "d", "path": "/x"}, "restore_point_ids": []},
     "unsupported_version", "version 99"),
    (["not", "an", "object"], "invalid_request", "must be a JSON object"),
])
def test_a_message_that_breaks_the_contract_fails_with_its_code(plane, message, code, names):
    _, failure = run(plane, contract.DELETE_RESTORE_POINTS, message)
    assert failure is not None and failure.code == code and not failure.retryable, failure
    assert names in failure.message and "data.delete_restore_points request" in failure.message


def test_a_proxy_refuses_a_malformed_backup_before_touching_the_cloud(plane):
    _, failure = run(plane, contract.BACKUP_INSTANCE, {"job_id": "j", "project_id": "p", "instance_id": "i"},
                     queue="proxy.nova")
    assert failure.code == "invalid_request" and "'destination' is missing" in failure.message
    newer = contract.BackupRequest.VERSION + 1
    _, failure = run(plane, contract.BACKUP_INSTANCE, {"version": newer, "job_id": "j"}, queue="proxy.nova")
    assert failure.code == "unsupported_version" and "upgrade this side" in failure.message


def _plant_unreadable_document(real_path: str) -> str:
    """A restore-point document nobody can read (random bytes after a valid envelope header)."""
    bad_id = "0" * 31 + "f"
    with open(os.path.join(real_path, "restore-points", bad_id), "wb") as handle:
        handle.write(b"SBKO\x01\x00\x01\x00" + os.urandom(200))
    return bad_id


def test_one_unreadable_document_is_reported_and_the_others_still_served(plane, repository):
    """Issue 10 item 2: listing (catalog rebuild), deletion (retention) and prune go on past a document that cannot
    be read, and name it; a lock year written unpadded by an older release is read."""
    where = destination(repository["path"])
    store = Repository.open(repository["real"])._store
    legacy = store.get_restore_point(repository["ids"][1])
    legacy.lock_until = "1-01-01T00:00:00.000000Z"  # what '%Y' wrote for year 1
    store.put_restore_point(legacy)
    bad_id = _plant_unreadable_document(repository["real"])
    listed, failure = run(plane, contract.LIST_RESTORE_POINTS, {"job_id": str(uuid.uuid4()), "destination": where})
    assert failure is None, failure
    listed = contract.RebuildResult.from_message(listed)
    assert [document.id for document in listed.restore_points] == repository["ids"]
    assert listed.restore_points[1].lock_until == "0001-01-01T00:00:00.000000Z"
    assert any(bad_id in entry.message and entry.level == "warning" for entry in listed.log)
    deleted, failure = run(plane, contract.DELETE_RESTORE_POINTS, {
        "job_id": str(uuid.uuid4()), "destination": where, "restore_point_ids": [bad_id, *repository["ids"][:2]]})
    assert failure is None, failure
    deleted = contract.DeleteResult.from_message(deleted)
    assert deleted.deleted == repository["ids"][:2]
    assert [(item.restore_point_id, item.code) for item in deleted.not_deleted] == [(bad_id, "data_damaged")]
    pruned, failure = run(plane, contract.PRUNE_DESTINATION, {"job_id": str(uuid.uuid4()), "destination": where})
    assert failure is None, failure
    assert any(bad_id in entry.message for entry in contract.PruneResult.from_message(pruned).log)


def test_a_verify_that_meets_a_damaged_chunk_records_it(plane, repository):
    """Issue 10 item 7: the data plane's verify records the damaged chunk in the repository, so the next backup
    stores it again."""
    where = destination(repository["path"])
    repo = Repository.open(repository["real"])
    chunk_id = next(record.chunk_id for record in repo.volume_records(repository["ids"][0], "vol-a")
                    if record.chunk_id is not None)
    pack_id, offset, length = repo._store.index.get(chunk_id)
    with open(os.path.join(repository["real"], "data", pack_id[:2], pack_id), "r+b") as handle:
        handle.seek(offset + length // 2)
        byte = handle.read(1)
        handle.seek(offset + length // 2)
        handle.write(bytes([byte[0] ^ 0x01]))
    _result, failure = run(plane, contract.VERIFY_RESTORE_POINT, {
        "job_id": str(uuid.uuid4()), "project_id": "p-1", "restore_point_id": repository["ids"][0],
        "destination": where})
    assert failure is not None and failure.code == "data_damaged" and chunk_id.hex() in failure.message
    assert os.path.exists(os.path.join(repository["real"], "damaged", chunk_id.hex()))
    assert chunk_id.hex() in Repository.open(repository["real"]).damaged_chunks()
