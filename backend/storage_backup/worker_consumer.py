# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Celery consumer of every worker of the service: when the broker connection drops while the worker runs no
task, the process exits (code 75, EX_TEMPFAIL) and its supervisor (systemd's ``Restart=on-failure``, the launcher's
``Supervisor``) starts a clean one, instead of Celery reconnecting in place.

Why: reconnecting in place after a Redis restart left workers here that no longer consumed their queue (a proxy
that never answered ``proxy.ping`` again) or that died of kombu restoring unacknowledged messages over the dead
connection ("Unrecoverable error: AttributeError ... 'hostname'"). A fresh process has no such state, and with no
task running nothing is lost by it. A worker that runs tasks when the connection drops reconnects in place, so its
tasks go on (``worker_cancel_long_running_tasks_on_connection_loss`` is off; the control plane finds any task it
loses after all, docs/TASKS.md "Lost tasks").

Only where a supervisor restarts the worker: ``STORAGE_BACKUP_EXIT_ON_BROKER_LOSS=1``, which the systemd units of
``etc/systemd`` and the demo set; without it the worker keeps Celery's in-place reconnect.
"""
from __future__ import annotations

import logging
import os

from celery.worker import state
from celery.worker.consumer import Consumer as CeleryConsumer

LOG = logging.getLogger(__name__)
EXIT_CODE = 75  # EX_TEMPFAIL: try again (systemd restarts it: Restart=on-failure)
EXIT_ENV = "STORAGE_BACKUP_EXIT_ON_BROKER_LOSS"


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        if os.environ.get(EXIT_ENV, "0") == "1" and not len(state.active_requests):
            LOG.error("Connection to the broker lost (%r) with no task running: exiting so that the supervisor starts "
                      "a clean worker", exc)
            _exit()
        super().on_connection_error_after_connected(exc)


def _exit() -> None:
    """End now, pool processes first (they are idle), without the shutdown that would talk to the lost broker."""
    import billiard.process

    for child in billiard.process.active_children():
        try:
            child.kill()
        except Exception:  # already gone
            pass
    logging.shutdown()
    os._exit(EXIT_CODE)
