# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in proxy worker for the control plane's tests: the proxy tasks of docs/TASKS.md without the cloud.

It speaks the contract through ``storage_backup.contract`` exactly as the real proxy does (task names, typed request
and result, PROGRESS meta, coded failures, cancel key, liveness key, log list, ``proxy.ping``), so the control plane
is tested against a real Celery worker process over a real Redis; only the data movement is missing. What each
backup does is set by the test in Redis: ``fake-proxy:mode:<instance_id>`` = JSON
``{"mode": "succeed" | "fail" | "transient" | "slow", "seconds": 2}``. Every payload received is appended to the
Redis list ``fake-proxy:payloads`` (as received, its secrets sealed) so tests can check what the control plane
sent; secrets are opened with the key in ``STORAGE_BACKUP_PROXY_KEY_FILE``, which the fixture enrols. (The data
tasks need no cloud: the tests run the real data worker for them.)

Start: ``celery -A tests.support.fake_proxy worker -Q proxy.<az>`` with STORAGE_BACKUP_BROKER_URL set.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
import uuid

import redis
from celery import Celery
from storage_backup import contract
from storage_backup.contract import FailureCode, TaskFailed, TaskFailure, alive_key, cancel_key, log_key
from storage_backup.proxy import worker_key

BROKER = os.environ["STORAGE_BACKUP_BROKER_URL"]
AZ = os.environ.get("STORAGE_BACKUP_PROXY_AZ", "nova")
app = Celery("fake_proxy", broker=BROKER, backend=BROKER)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"], task_track_started=True,
                worker_prefetch_multiplier=1, result_extended=False, broker_connection_retry_on_startup=True)
store = redis.Redis.from_url(BROKER)


def _failed(code: FailureCode, message: str) -> TaskFailed:
    return TaskFailed(TaskFailure.of(code, message))


def _cancelled(job_id: str) -> bool:
    store.set(alive_key(job_id), "1", ex=30)  # still running: the control plane must not think the worker died
    return bool(store.exists(cancel_key(job_id)))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def _read(request_type: type[contract.Message], message: dict, task_name: str, task=None):
    store.rpush("fake-proxy:payloads", json.dumps(message))  # as received: its secrets sealed
    if task is not None:  # which worker took it, as the real proxy says (docs/TASKS.md)
        store.set(contract.runner_key(task.request.id), task.request.hostname or "", ex=3600)
    try:
        # Opened with this worker's enrolled key, as the real proxy does (docs/TASKS.md "Sealed secrets").
        opened = contract.open_sealed(message, request_type, worker_key.load_keys())
        return request_type.from_message(opened, f"{task_name} request")
    except contract.NotARecipient as error:
        raise _failed(FailureCode.NOT_ENROLLED, str(error)) from None
    except contract.ContractError as error:
        raise _failed(FailureCode.UNSUPPORTED_VERSION if error.newer else FailureCode.INVALID_REQUEST,
                      str(error)) from None


@app.task(name=contract.BACKUP_INSTANCE, bind=True)
def backup_instance(self, message: dict) -> dict:
    request = _read(contract.BackupRequest, message, contract.BACKUP_INSTANCE, self)
    behaviour = json.loads(store.get(f"fake-proxy:mode:{request.instance_id}") or b'{"mode": "succeed"}')
    mode, seconds = behaviour.get("mode", "succeed"), float(behaviour.get("seconds", 0.5))
    attempts = store.incr(f"fake-proxy:attempts:{request.job_id}")
    log = [contract.LogEntry(at=_now(), step="snapshot", message=f"fake snapshot in {AZ}")]
    store.rpush(log_key(request.job_id), json.dumps(log[0].to_message()))  # the log as it grows
    total = 10 * 1024 * 1024
    steps = 10
    for index in range(steps):
        if _cancelled(request.job_id):
            store.rpush("fake-proxy:cleaned", request.job_id)  # cleanup runs before the task ends
            raise _failed(FailureCode.CANCELLED, f"Job {request.job_id} cancelled; temporary resources removed")
        done = total * index // steps
        self.update_state(state="PROGRESS", meta=contract.Progress(
            percent=100.0 * index / steps, bytes_read=done, bytes_stored=done // 2, bytes_total=total,
            rate=total / max(seconds, 0.01), eta=seconds * (steps - index) / steps,
            step="read" if index else "snapshot").to_message())
        time.sleep(seconds / steps)
    if mode == "fail":
        raise _failed(FailureCode.RESOURCE_FAILED,
                      "Volume 3f2a is in state error_restoring; ask the cloud operator to reset it")
    if mode == "transient" and attempts == 1:
        raise _failed(FailureCode.CLOUD_UNAVAILABLE, "Cinder answered 503")
    log.append(contract.LogEntry(at=_now(), step="write", message="fake restore point written"))
    return contract.BackupResult(
        restore_point_id=str(uuid.uuid4()), created_at=_now(), consistency="per-volume", bytes_read=total,
        bytes_stored=total // 2, duration=seconds, log=log,
        volumes=[contract.BackedUpVolume(volume_id=f"vol-{request.instance_id[:8]}", size=1, bytes_read=total,
                                         bytes_stored=total // 2, strategy=request.strategy)]).to_message()


@app.task(name=contract.RESTORE_INSTANCE)
def restore_instance(message: dict) -> dict:
    request = _read(contract.RestoreInstanceRequest, message, contract.RESTORE_INSTANCE)
    return contract.RestoreInstanceResult(
        server_id=str(uuid.uuid4()), restore_point_id=request.restore_point_id,
        log=[contract.LogEntry(at=_now(), step="restore", message="fake restore")]).to_message()


@app.task(name=contract.RESTORE_VOLUME)
def restore_volume(message: dict) -> dict:
    request = _read(contract.RestoreVolumeRequest, message, contract.RESTORE_VOLUME)
    return contract.RestoreVolumeResult(volume_id=str(uuid.uuid4()), restore_point_id=request.restore_point_id,
                                        source_volume_id=request.volume_id,
                                        attached_to=request.attach_to).to_message()


@app.task(name=contract.PING)
def ping() -> dict:
    return contract.PingResult(az=AZ, hostname=f"fake-proxy-{AZ}-{socket.gethostname()}", software_version="test",
                               device_root_ok=True).to_message()
