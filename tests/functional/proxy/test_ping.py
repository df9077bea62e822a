# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Real proxy workers (one Celery process per AZ) on a real Redis answer ``proxy.ping`` from their own queue."""
from __future__ import annotations

import gc
import os

import pytest
from celery import Celery
from storage_backup_sandbox.launch import RedisProcess, WorkerProcess

ZONES = {"nova": "proxy-server-nova", "az2": "proxy-server-az2"}


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A Redis of this module's own: the session's is shared with other tests that run proxy workers too, and a
    queue answered by their worker would prove nothing about routing."""
    with RedisProcess(str(tmp_path_factory.mktemp("ping-redis"))).start() as redis:
        yield redis


@pytest.fixture(scope="module")
def workers(broker, tmp_path_factory):
    base = tmp_path_factory.mktemp("workers")
    started = []
    try:
        for zone, server_id in ZONES.items():
            device_root = base / "servers" / server_id
            if zone == "nova":  # az2's device root is left missing: ping must say so
                (device_root / "dev").mkdir(parents=True)
            worker = WorkerProcess(zone, broker.url, str(base / "logs"), proxy_server_id=server_id,
                                   device_root=str(device_root), concurrency=1)
            started.append(worker.start())
        yield {worker.availability_zone: worker for worker in started}
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture(scope="module")
def control(broker):
    """How the control plane talks to proxies: tasks sent by name, JSON only, results in the same Redis."""
    client = Celery("test-control", broker=broker.url, backend=broker.url)
    client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    yield client
    gc.collect()  # results still subscribed to the broker's channels let go while it runs
    client.close()


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_ping_is_answered_by_the_worker_of_its_zone(workers, control, zone):
    replies = [control.send_task("proxy.ping", queue=f"proxy.{zone}") for _ in range(4)]
    for reply in replies:
        result = reply.get(timeout=30)
        assert result["az"] == zone
        assert result["proxy_server_id"] == ZONES[zone]
        assert result["worker"] == workers[zone].node_name
        assert result["hostname"] == os.uname().nodename
        assert result["software_version"] and result["version"] == 1  # the contract's version, docs/TASKS.md
        assert result["device_root_ok"] is (zone == "nova")


def test_a_zone_without_worker_gets_no_answer(workers, control):
    reply = control.send_task("proxy.ping", queue="proxy.az-without-proxy")
    with pytest.raises(Exception) as raised:
        reply.get(timeout=3)
    assert "timed out" in str(raised.value).lower()
    reply.revoke()
    control.backend.remove_pending_result(reply)  # unsubscribes now, while Redis runs, not in a finaliser later
