# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in proxy worker for the control plane's tests, until the real pipeline tasks land in
backend/storage_backup/proxy.

It speaks docs/TASKS.md exactly (task names, payload, PROGRESS meta, result, cancel key, liveness key, log list,
``proxy.ping``) so the
control plane is tested against a real Celery worker process over a real Redis; only the data movement is
missing. What each backup does is set by the test in Redis: ``fake-proxy:mode:<instance_id>`` = JSON
``{"mode": "succeed" | "fail" | "transient" | "slow", "seconds": 2}``. Every payload received is appended to the
Redis list ``fake-proxy:payloads`` so tests can check what the control plane sent.

Start: ``celery -A tests.control.fake_proxy worker -Q proxy.<az>`` with STORAGE_BACKUP_BROKER_URL set.
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
from storage_backup.contract import alive_key, cancel_key, log_key

BROKER = os.environ["STORAGE_BACKUP_BROKER_URL"]
AZ = os.environ.get("STORAGE_BACKUP_PROXY_AZ", "nova")
app = Celery("fake_proxy", broker=BROKER, backend=BROKER)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"], task_track_started=True,
                worker_prefetch_multiplier=1, result_extended=True, broker_connection_retry_on_startup=True)
store = redis.Redis.from_url(BROKER)


class JobCancelled(Exception):
    pass


class ServiceUnavailable(Exception):
    """What a transient cloud failure looks like to the control plane (by its class name)."""


class BackupFailed(Exception):
    pass


def _cancelled(job_id: str) -> bool:
    store.set(alive_key(job_id), "1", ex=30)  # still running: the control plane must not think the worker died
    return bool(store.exists(cancel_key(job_id)))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


@app.task(name="proxy.backup_instance", bind=True)
def backup_instance(self, request: dict) -> dict:
    store.rpush("fake-proxy:payloads", json.dumps(request))
    behaviour = json.loads(store.get(f"fake-proxy:mode:{request['instance_id']}") or b'{"mode": "succeed"}')
    mode, seconds = behaviour.get("mode", "succeed"), float(behaviour.get("seconds", 0.5))
    attempts = store.incr(f"fake-proxy:attempts:{request['job_id']}")
    log = [{"at": _now(), "step": "snapshot", "message": f"fake snapshot in {AZ}"}]
    store.rpush(log_key(request["job_id"]), json.dumps(log[0]))  # the log as it grows
    total = 10 * 1024 * 1024
    steps = 10
    for index in range(steps):
        if _cancelled(request["job_id"]):
            store.rpush("fake-proxy:cleaned", request["job_id"])  # cleanup runs before the task ends
            raise JobCancelled(f"Job {request['job_id']} cancelled; temporary resources removed")
        done = total * index // steps
        self.update_state(state="PROGRESS", meta={
            "percent": 100.0 * index / steps, "bytes_read": done, "bytes_stored": done // 2, "bytes_total": total,
            "rate": total / max(seconds, 0.01), "eta": seconds * (steps - index) / steps,
            "step": "read" if index else "snapshot"})
        time.sleep(seconds / steps)
    if mode == "fail":
        raise BackupFailed("Volume 3f2a is in state error_restoring; ask the cloud operator to reset it")
    if mode == "transient" and attempts == 1:
        raise ServiceUnavailable("Cinder answered 503")
    log.append({"at": _now(), "step": "write", "message": "fake restore point written"})
    return {"restore_point_id": str(uuid.uuid4()), "created_at": _now(), "consistency": "per-volume",
            "bytes_read": total, "bytes_stored": total // 2, "duration": seconds,
            "volumes": [{"volume_id": f"vol-{request['instance_id'][:8]}", "size": 1, "bytes_read": total,
                         "bytes_stored": total // 2, "strategy": request["strategy"]}],
            "log": log}


@app.task(name="proxy.restore_instance")
def restore_instance(request: dict) -> dict:
    store.rpush("fake-proxy:payloads", json.dumps(request))
    return {"server_id": str(uuid.uuid4()), "volume_ids": {}, "image_reused": False,
            "log": [{"at": _now(), "step": "restore", "message": "fake restore"}]}


@app.task(name="proxy.restore_volume")
def restore_volume(request: dict) -> dict:
    store.rpush("fake-proxy:payloads", json.dumps(request))
    return {"volume_id": str(uuid.uuid4()), "attached_to": request.get("attach_to"), "log": []}


@app.task(name="proxy.ping")
def ping() -> dict:
    return {"az": AZ, "proxy_server_id": "", "hostname": f"fake-proxy-{AZ}-{socket.gethostname()}",
            "version": "test", "device_root_ok": True}
