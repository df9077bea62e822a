# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``proxy.ping`` (docs/TASKS.md): lets the control plane (and the demo) see which proxies are up, in which AZ, and
whether they can see their devices. The backup and restore tasks are in ``backup_tasks`` and ``restore_tasks``."""
from __future__ import annotations

import os

from storage_backup.celery_app import app
from storage_backup.contract import PING, PingResult
from storage_backup.proxy.identity import ProxyIdentity, hostname, version


@app.task(name=PING, soft_time_limit=10, time_limit=20)
def ping() -> dict:
    """The ``PingResult`` of the worker that ran it."""
    identity = ProxyIdentity.from_environment()
    return PingResult(
        az=identity.availability_zone, hostname=hostname(), worker=ping.request.hostname or "",
        proxy_server_id=identity.proxy_server_id, software_version=version(), device_root=identity.device_root,
        device_root_ok=os.path.isdir(identity.device_root), repository_root=identity.repository_root,
        cloud=identity.cloud).to_message()
