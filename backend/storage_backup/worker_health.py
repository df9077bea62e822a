# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Whether a Celery worker of the product is alive: ``storage-backup health --worker TARGET`` (cli.py).

TARGET is a worker's node name (``proxy-nova@host``, as its systemd unit names it with ``-n``) or a queue
(``proxy.nova``, ``data``, ``control``, ``ceph``): a node must answer a Celery ``ping``; a queue needs at least one
node that answers and consumes it. Celery's remote control is answered by the worker's main process, so a worker
whose every pool process runs a long backup still answers, and one that hangs or died does not.

Redis is asked first with the same timeout, so a broker that is down reads as such rather than as a silent worker.
Nothing here needs Django or the catalog: it runs on a proxy VM as well as on a control host.
"""
from __future__ import annotations

from dataclasses import dataclass

import redis
from celery import Celery


@dataclass(frozen=True)
class Health:
    healthy: bool
    reason: str

    def line(self) -> str:
        return f"{'healthy' if self.healthy else 'unhealthy'}: {self.reason}"


def _client(broker_url: str, timeout: float) -> Celery:
    app = Celery("storage-backup-health", broker=broker_url, set_as_current=False)
    app.conf.update(broker_connection_retry=False, broker_connection_retry_on_startup=False,
                    broker_connection_timeout=timeout,
                    broker_transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout,
                                              "max_retries": 1})
    return app


def check(target: str, broker_url: str, timeout: float) -> Health:
    try:
        client = redis.Redis.from_url(broker_url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as error:
        return Health(False, f"the broker does not answer ({type(error).__name__}); the worker cannot get work")
    app = _client(broker_url, timeout)
    try:
        if "@" in target:
            answers = app.control.ping(destination=[target], timeout=timeout) or []
            if any(target in answer for answer in answers):
                return Health(True, f"{target} answers")
            return Health(False, f"{target} did not answer a ping within {timeout:g} s")
        consumers = app.control.inspect(timeout=timeout).active_queues() or {}
        nodes = sorted(node for node, queues in consumers.items()
                       if any(queue.get("name") == target for queue in queues or []))
        if nodes:
            return Health(True, f"queue {target} is consumed by {', '.join(nodes)}")
        seen = ", ".join(sorted(consumers)) or "none"
        return Health(False, f"no worker that answers within {timeout:g} s consumes queue {target} "
                             f"(workers that answered: {seen})")
    finally:
        app.close()
