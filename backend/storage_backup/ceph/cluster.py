# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The diff worker's Ceph connection: who it is (a read-only cephx user), where the volumes are, how long to wait."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class CephSettings:
    """From ``STORAGE_BACKUP_CEPH_CONF`` (ceph.conf: the monitors), ``STORAGE_BACKUP_CEPH_CLIENT`` (the cephx user
    without ``client.``, e.g. ``storage-backup-diff``: give it ``mon 'profile rbd' osd 'profile rbd-read-only'``),
    ``STORAGE_BACKUP_CEPH_KEYRING`` (its keyring), ``STORAGE_BACKUP_CEPH_POOLS`` (comma-separated: the pools of
    Cinder's RBD backends, looked through in that order) and ``STORAGE_BACKUP_CEPH_TIMEOUT`` (seconds for any Ceph
    call, connecting included, so an unreachable cluster is an answer within it rather than a hung worker)."""

    conf: str
    client: str
    keyring: str
    pools: tuple[str, ...]
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> CephSettings:
        env = os.environ if environ is None else environ
        pools = tuple(p.strip() for p in env.get("STORAGE_BACKUP_CEPH_POOLS", "").split(",") if p.strip())
        if not pools:
            raise ValueError("STORAGE_BACKUP_CEPH_POOLS is not set: name the pool(s) of Cinder's RBD backends, "
                             "e.g. volumes")
        return cls(conf=env.get("STORAGE_BACKUP_CEPH_CONF") or "/etc/ceph/ceph.conf",
                   client=env.get("STORAGE_BACKUP_CEPH_CLIENT") or "storage-backup-diff",
                   keyring=env.get("STORAGE_BACKUP_CEPH_KEYRING", ""), pools=pools,
                   timeout=float(env.get("STORAGE_BACKUP_CEPH_TIMEOUT") or DEFAULT_TIMEOUT))


_lock = threading.Lock()
_cluster = None


def connect(settings: CephSettings):
    """The process's ``rados.Rados``, connected once and kept (``forget`` drops it after a failure)."""
    global _cluster
    import rados  # Debian's python3-rados: only the diff worker needs it

    with _lock:
        if _cluster is None:
            timeout = str(int(max(1, settings.timeout)))
            conf = {"client_mount_timeout": timeout, "rados_mon_op_timeout": timeout,
                    "rados_osd_op_timeout": timeout}
            if settings.keyring:
                conf["keyring"] = settings.keyring
            cluster = rados.Rados(conffile=settings.conf, rados_id=settings.client, conf=conf)
            cluster.connect(timeout=int(max(1, settings.timeout)))
            _cluster = cluster
        return _cluster


def forget() -> None:
    """Drop the connection (after an error), so the next question connects afresh."""
    global _cluster
    with _lock:
        cluster, _cluster = _cluster, None
    if cluster is not None:
        try:
            cluster.shutdown()
        except Exception:  # already broken: nothing more to release
            pass
