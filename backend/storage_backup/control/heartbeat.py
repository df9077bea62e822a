# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Heartbeats: ping each availability zone's queue (``proxy.ping``) and the data queue (``data.ping``), and record
who answers (proxies in the catalog, data workers in Redis)."""
from __future__ import annotations

import logging
import time
import uuid

from storage_backup.catalog.models import Proxy
from storage_backup.contract import DATA_PING, DATA_QUEUE, PING, ContractError, DataPingResult, PingResult
from storage_backup.services import bus, data_plane, inventory, proxies
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)


def zones_to_ping() -> list[str]:
    zones = set(proxies.known_zones())
    try:
        zones |= set(inventory.availability_zones())
    except ServiceError as error:  # the cloud being away must not stop heartbeats of the proxies we know
        LOG.warning("could not list availability zones: %s", error)
    return sorted(zones)


def beat(wait: float = 10.0, zones: list[str] | None = None, data: bool = False) -> dict[str, list[str]]:
    """One round: a ping per known proxy (at least one) to each AZ, and with ``data`` a ping per known data worker
    (at least one) to the data queue; returns the workers that answered per AZ (and under ``data``)."""
    zones = zones if zones is not None else zones_to_ping()
    pending: dict[str, str] = {}
    for zone in zones:
        count = max(1, Proxy.objects.filter(availability_zone=zone).count())
        for _ in range(count):
            pending[_ping(PING, bus.proxy_queue(zone), wait)] = zone
    if data:
        for _ in range(max(1, data_plane.known_worker_count())):
            pending[_ping(DATA_PING, DATA_QUEUE, wait)] = DATA_QUEUE
    answered: dict[str, list[str]] = {zone: [] for zone in pending.values()}
    deadline = time.monotonic() + wait
    while pending and time.monotonic() < deadline:
        for task_id, zone in list(pending.items()):
            status = bus.status(task_id)
            if status.state == "SUCCESS":
                name = _record(zone, status.meta or {})
                if name:
                    answered[zone].append(name)
            elif status.state not in ("FAILURE", "REVOKED"):
                continue
            pending.pop(task_id)
            bus.forget(task_id)
        time.sleep(0.2)
    for task_id in pending:
        bus.forget(task_id)
    return answered


def _ping(task_name: str, queue: str, wait: float) -> str:
    task_id = f"ping-{queue}-{uuid.uuid4()}"
    # Expires: a ping nobody takes in time must not be run by a worker that comes back later.
    bus.send(task_name, None, queue, task_id, expires=wait)
    return task_id


def _record(zone: str, meta: dict) -> str:
    try:
        if zone == DATA_QUEUE:
            return data_plane.record_heartbeat(DataPingResult.from_message(meta, DATA_PING + " result"))
        answer = PingResult.from_message(meta, PING + " result")
    except ContractError as error:
        LOG.warning("an answer to the heartbeat of %s does not follow docs/TASKS.md: %s", zone, error)
        return ""
    # ``services.proxies`` records the answer as it did before the contract was typed (``version``: the software's).
    return proxies.record_heartbeat({**answer.to_message(), "version": answer.software_version}, zone).hostname
