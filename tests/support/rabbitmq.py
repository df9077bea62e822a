# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A private RabbitMQ (the Debian ``rabbitmq-server``) on free loopback ports, with its own data directory, node
name and epmd: the machine's RabbitMQ (5672) and epmd (4369) are never asked nor touched. The recipe is the genuine
tier's (``tests/genuine/cloud.py``), as a process the functional tests can start in a few seconds."""
from __future__ import annotations

import os
import shutil
import socket

from storage_backup_sandbox.launch import ManagedProcess, free_port

USER = "storage-backup"
PASSWORD = "notifications-test"


def amqp_ready(port: int) -> bool:
    """RabbitMQ answers an AMQP 0-9-1 protocol header with connection.start (a method frame: type 1)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            return sock.recv(1) == b"\x01"
    except OSError:
        return False


class EpmdProcess(ManagedProcess):
    name = "epmd"

    def __init__(self, work_dir: str, port: int, env: dict):
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        super().__init__([epmd, "-port", str(port), "-address", "127.0.0.1"], os.path.join(work_dir, "epmd.log"),
                         env=env)


class RabbitMQProcess(ManagedProcess):
    name = "rabbitmq"
    ready_timeout = 90.0
    ready_interval = 0.3

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()
        for sub in ("mnesia", "log", "home"):
            os.makedirs(os.path.join(work_dir, sub), exist_ok=True)
        with open(os.path.join(work_dir, "enabled_plugins"), "w") as handle:
            handle.write("[].\n")
        open(os.path.join(work_dir, "rabbitmq-env.conf"), "w").close()
        with open(os.path.join(work_dir, "rabbitmq.conf"), "w") as handle:
            handle.write(f"""listeners.tcp.default = 127.0.0.1:{self.port}
loopback_users = none
default_user = {USER}
default_pass = {PASSWORD}
default_vhost = /
log.file.level = warning
vm_memory_high_watermark.absolute = 256MiB
disk_free_limit.absolute = 50MB
""")
        base_env = {"HOME": os.path.join(work_dir, "home"), "ERL_EPMD_PORT": str(self.epmd_port),
                    "ERL_EPMD_ADDRESS": "127.0.0.1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self.epmd = EpmdProcess(work_dir, self.epmd_port, base_env)
        env = {**base_env,
               "RABBITMQ_NODENAME": f"storagebackup{self.port}@localhost",
               "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
               "RABBITMQ_DIST_PORT": str(self.dist_port),
               "RABBITMQ_MNESIA_BASE": os.path.join(work_dir, "mnesia"),
               "RABBITMQ_LOG_BASE": os.path.join(work_dir, "log"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(work_dir, "enabled_plugins"),
               "RABBITMQ_CONFIG_FILE": os.path.join(work_dir, "rabbitmq.conf"),
               "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(work_dir, "advanced.config"),
               "RABBITMQ_CONF_ENV_FILE": os.path.join(work_dir, "rabbitmq-env.conf"),
               "RABBITMQ_PID_FILE": os.path.join(work_dir, "rabbit.pid")}
        super().__init__(["/usr/lib/rabbitmq/bin/rabbitmq-server"], os.path.join(work_dir, "rabbitmq.log"), env=env,
                         cwd=work_dir)

    @property
    def url(self) -> str:
        return f"rabbit://{USER}:{PASSWORD}@127.0.0.1:{self.port}/"

    def _ready(self) -> bool:
        return amqp_ready(self.port)

    def spawn(self) -> RabbitMQProcess:
        # Its own epmd first, on its own port, so rabbitmq-server never starts (or finds) the machine's.
        self.epmd.start(timeout=15)
        super().spawn()
        return self

    def stop(self, timeout: float = 15) -> None:
        self.terminate()
        self.epmd.terminate()
        super().stop(timeout)
        self.epmd.stop(timeout)
