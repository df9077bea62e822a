# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Celery settings every process of the service shares (proxy and data workers, control worker, beat) so that
it rides out a Redis restart."""
from __future__ import annotations

# Riding out a Redis restart (docs/TASKS.md "Redis restarts"): the consumer reconnects for as long as it takes, a
# result or progress write waits for Redis instead of failing the task, and a running task is never cancelled
# because the broker connection dropped (its message was acknowledged when it started; it simply goes on).
RECONNECTING = {
    "broker_connection_retry_on_startup": True,
    "broker_connection_retry": True,
    "broker_connection_max_retries": None,
    "worker_cancel_long_running_tasks_on_connection_loss": False,
    "result_backend_always_retry": True,
    "result_backend_max_retries": 30,
    "redis_retry_on_timeout": True,
    "redis_socket_keepalive": True,
    "redis_backend_health_check_interval": 10,
    # Idle when the connection drops: a clean process instead of an in-place reconnect (storage_backup.worker_consumer).
    "worker_consumer": "storage_backup.worker_consumer:Consumer",
}
