# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Celery tasks of a proxy worker. Thin wrappers: they take IDs and plain data and return plain JSON.

The backup and restore tasks (docs/TASKS.md) arrive with the repository engine; ``proxy.ping`` lets the control
plane (and the demo) see which proxies are up, in which AZ, and whether they can see their devices.
"""
from __future__ import annotations

import os

from storage_backup.celery_app import app
from storage_backup.proxy.identity import ProxyIdentity, hostname, version


@app.task(name="proxy.ping", soft_time_limit=10, time_limit=20)
def ping() -> dict:
    """``{"az", "proxy_server_id", "hostname", "version", "device_root_ok", ...}`` of the worker that ran it."""
    identity = ProxyIdentity.from_environment()
    return {
        "az": identity.availability_zone,
        "proxy_server_id": identity.proxy_server_id,
        "hostname": hostname(),
        "version": version(),
        "device_root": identity.device_root,
        "device_root_ok": os.path.isdir(identity.device_root),
        "cloud": identity.cloud,
        "worker": ping.request.hostname,
    }
