# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Who a worker is: a proxy's availability zone, its server in the cloud and where its attached volumes appear; where
any worker finds the destinations' repositories."""
from __future__ import annotations

import importlib.metadata
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class ProxyIdentity:
    availability_zone: str
    proxy_server_id: str
    device_root: str
    cloud: str
    clouds_yaml: str
    repository_root: str = "/"

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> ProxyIdentity:
        """From ``STORAGE_BACKUP_PROXY_AZ``, ``STORAGE_BACKUP_PROXY_SERVER_ID``, ``STORAGE_BACKUP_DEVICE_ROOT``,
        ``STORAGE_BACKUP_REPOSITORY_ROOT`` and the OpenStack credentials (``OS_CLIENT_CONFIG_FILE`` + ``OS_CLOUD``)
        the worker was started with (a data worker has no zone, no proxy server and no credentials)."""
        env = os.environ if environ is None else environ
        return cls(
            availability_zone=env.get("STORAGE_BACKUP_PROXY_AZ", ""),
            proxy_server_id=env.get("STORAGE_BACKUP_PROXY_SERVER_ID", ""),
            # The proxy's "/": a real proxy VM sees attached volumes under /dev/disk/by-id; in the embedded cloud
            # each server's device view is <state>/servers/<server id>/dev/disk/by-id.
            device_root=env.get("STORAGE_BACKUP_DEVICE_ROOT") or "/",
            cloud=env.get("OS_CLOUD", ""),
            clouds_yaml=env.get("OS_CLIENT_CONFIG_FILE", ""),
            # Where this worker mounts the destinations: a destination's path is read below it (docs/TASKS.md).
            repository_root=env.get("STORAGE_BACKUP_REPOSITORY_ROOT") or "/",
        )

    def by_id_path(self, volume_id: str) -> str:
        """Where this proxy sees a volume attached to it (Nova/libvirt set the virtio serial to the id's start)."""
        return os.path.join(self.device_root, "dev", "disk", "by-id", f"virtio-{volume_id[:20]}")


def version() -> str:
    try:
        return importlib.metadata.version("storage-backup")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def hostname() -> str:
    return socket.gethostname()
