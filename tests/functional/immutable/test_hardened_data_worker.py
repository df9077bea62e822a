# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A hardened destination through a real data worker and a real ``storage-backup-immutable`` (issue 10, item 11):
the ``lock`` task makes what the restore point needs immutable, an extension of the lock goes to the helper's
record, a ``delete`` before the date is refused, a ``prune`` keeps what is locked and, after the date, removes it.
A hardened destination on NFS is refused before anything is made immutable."""
from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import pytest
from celery import Celery
from storage_backup import contract
from storage_backup.contract import TaskFailure
from storage_backup.immutable.flags import is_immutable
from storage_backup.repository import Repository
from storage_backup_sandbox.launch import DataWorkerProcess, RedisProcess

from tests.functional.immutable.test_hardened_repository import Helper
from tests.functional.proxy.test_data_tasks import write_points

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(os.geteuid() != 0, reason="the immutable attribute needs root (CAP_LINUX_IMMUTABLE)")]


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    base = tmp_path_factory.mktemp("hardened-plane")
    helper = Helper(base).start()
    try:
        with RedisProcess(str(base / "redis")).start() as redis, \
                DataWorkerProcess(redis.url, str(base / "logs"), concurrency=1,
                                  extra_env={"STORAGE_BACKUP_IMMUTABLE_SOCKET": helper.socket}).start():
            client = Celery("test-hardened", broker=redis.url, backend=redis.url)
            client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                               result_accept_content=["json"])
            yield {"client": client, "helper": helper}
            client.close()
    finally:
        helper.stop()
        from storage_backup.immutable.flags import set_immutable
        for dirpath, _dirs, files in os.walk(helper.root):
            for name in files:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path) and is_immutable(path):
                    set_immutable(path, False)


def run(plane, task: str, message: dict, worker: str = "data") -> tuple[dict | None, TaskFailure | None]:
    reply = plane["client"].send_task(task, args=[message], queue=contract.DATA_QUEUE, task_id=str(uuid.uuid4()))
    try:
        return reply.get(timeout=60, propagate=True), None
    except Exception as error:
        return None, TaskFailure.from_exception(error)
    finally:
        reply.forget()


def _destination(path: str, **fields) -> dict:
    return contract.Destination(id=f"dest-{os.path.basename(path)}", path=path, **fields).to_message()


def _iso(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _files(path: str) -> list[str]:
    return [os.path.join(d, n) for d, _s, names in os.walk(path) for n in names if not d.endswith("locks")]


def test_lock_delete_and_prune_on_a_hardened_destination(plane):
    path = os.path.join(plane["helper"].root, "repo-worker")
    short, long = write_points(path, 2)
    destination = _destination(path, hardened=True)
    for point, until in ((short, _iso(4)), (long, _iso(3600))):
        result, failure = run(plane, contract.SET_RETENTION_LOCK, {
            "job_id": str(uuid.uuid4()), "destination": destination, "restore_point_id": point,
            "retention_lock_until": until})
        assert failure is None and result["locked"], failure
    needed = Repository.open(path).objects_of(long)
    assert all(is_immutable(os.path.join(path, name)) for name in needed)
    # Extending the long lock: the document is immutable, so the helper's record carries the new date.
    later = _iso(7200)
    result, failure = run(plane, contract.SET_RETENTION_LOCK, {
        "job_id": str(uuid.uuid4()), "destination": destination, "restore_point_id": long,
        "retention_lock_until": later})
    assert failure is None and result["locked"] and result["retention_lock_until"] == later, failure
    status = plane["helper"].client().status([os.path.join(path, needed[0])])
    assert next(iter(status.values()))["until"] == later
    # Before the short lock's date: its deletion is refused.
    result, failure = run(plane, contract.DELETE_RESTORE_POINTS, {
        "job_id": str(uuid.uuid4()), "destination": destination, "restore_point_ids": [short]})
    assert failure is None and [item["restore_point_id"] for item in result["not_deleted"]] == [short]
    deadline = time.time() + 30
    while True:  # after it: deleted, and prune frees its data but keeps the long one's
        time.sleep(0.5)
        result, failure = run(plane, contract.DELETE_RESTORE_POINTS, {
            "job_id": str(uuid.uuid4()), "destination": destination, "restore_point_ids": [short]})
        if result is not None and result["deleted"] == [short]:
            break
        assert time.time() < deadline, (result, failure)
    packs_before = len(_files(os.path.join(path, "data")))
    result, failure = run(plane, contract.PRUNE_DESTINATION, {
        "job_id": str(uuid.uuid4()), "destination": destination, "locked_restore_point_ids": [long]})
    assert failure is None and result["packs_deleted"] >= 1 and result["missing_locked"] == [], failure
    assert len(_files(os.path.join(path, "data"))) < packs_before
    assert all(os.path.exists(os.path.join(path, name)) and is_immutable(os.path.join(path, name))
               for name in needed)
    assert Repository.open(path).check(read_data=True).ok


def test_a_hardened_destination_on_nfs_is_refused(plane):
    path = os.path.join(plane["helper"].root, "repo-refused")
    (point,) = write_points(path, 1)
    for destination, words in ((_destination(path, type="nfs", hardened=True), "NFS"),):
        result, failure = run(plane, contract.SET_RETENTION_LOCK, {
            "job_id": str(uuid.uuid4()), "destination": destination, "restore_point_id": point,
            "retention_lock_until": _iso(3600)})
        assert failure is not None and failure.code == "invalid_request" and words in failure.message
    assert not any(is_immutable(name) for name in _files(path))
