# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Proxy heartbeats: ping each availability zone's queue (``proxy.ping``) and record who answers."""
from __future__ import annotations

import logging
import time
import uuid

from storage_backup.catalog.models import Proxy
from storage_backup.services import bus, cloud, proxies
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)


def zones_to_ping() -> list[str]:
    zones = set(proxies.known_zones())
    try:
        zones |= set(cloud.availability_zones())
    except ServiceError as error:  # the cloud being away must not stop heartbeats of the proxies we know
        LOG.warning("could not list availability zones: %s", error)
    return sorted(zones)


def beat(wait: float = 10.0, zones: list[str] | None = None) -> dict[str, list[str]]:
    """One round: a ping per known proxy (at least one) to each AZ; returns the hostnames that answered per AZ."""
    zones = zones if zones is not None else zones_to_ping()
    pending: dict[str, str] = {}
    for zone in zones:
        count = max(1, Proxy.objects.filter(availability_zone=zone).count())
        for _ in range(count):
            task_id = f"ping-{zone}-{uuid.uuid4()}"
            # Expires: a ping nobody takes in time must not be run by a proxy that comes back later.
            bus.send("proxy.ping", None, bus.proxy_queue(zone), task_id, expires=wait)
            pending[task_id] = zone
    answered: dict[str, list[str]] = {zone: [] for zone in zones}
    deadline = time.monotonic() + wait
    while pending and time.monotonic() < deadline:
        for task_id, zone in list(pending.items()):
            status = bus.status(task_id)
            if status.state == "SUCCESS":
                proxy = proxies.record_heartbeat(status.meta or {}, zone)
                answered[zone].append(proxy.hostname)
            elif status.state not in ("FAILURE", "REVOKED"):
                continue
            pending.pop(task_id)
            bus.forget(task_id)
        time.sleep(0.2)
    for task_id in pending:
        bus.forget(task_id)
    return answered
