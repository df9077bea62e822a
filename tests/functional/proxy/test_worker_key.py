# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A real proxy worker started with no key makes its own on its first start (0600, ``STORAGE_BACKUP_PROXY_KEY_FILE``)
and says what to enrol; the key never leaves the host (docs/TASKS.md "Sealed secrets")."""
from __future__ import annotations

import os
import stat
import sys

from storage_backup import contract
from storage_backup.proxy import worker_key
from storage_backup_sandbox.launch import ManagedProcess, RedisProcess


class BareWorker(ManagedProcess):
    """``celery -A storage_backup.celery_app worker`` as an operator starts it, no launcher making its key first."""

    ready_marker = b" ready."
    ready_interval = 0.2

    def __init__(self, broker_url: str, key_file: str, log_path: str):
        env = dict(os.environ, STORAGE_BACKUP_BROKER_URL=broker_url, STORAGE_BACKUP_PROXY_AZ="nova",
                   STORAGE_BACKUP_PROXY_KEY_FILE=key_file, PYTHONUNBUFFERED="1")
        env.pop("DJANGO_SETTINGS_MODULE", None)
        super().__init__([sys.executable, "-m", "celery", "-A", "storage_backup.celery_app", "worker", "-Q",
                          "proxy.nova", "-n", "proxy-first-start@%h", "--concurrency", "1", "--loglevel", "INFO"],
                         log_path, env=env)


def test_a_worker_makes_its_key_on_its_first_start_and_says_what_to_enrol(tmp_path):
    key_file = str(tmp_path / "state" / "proxy.key")
    log_path = str(tmp_path / "worker.log")
    with RedisProcess(str(tmp_path / "redis")).start() as redis, \
            BareWorker(redis.url, key_file, log_path).start():
        [key] = worker_key.load_keys(key_file)
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        with open(log_path, errors="replace") as handle:
            log = handle.read()
        assert f"worker key {contract.key_id(key)} created in {key_file}" in log
        assert contract.public_key_text(key) in log and "enrol" in log
        # the private key itself is never logged
        private = open(key_file).read().splitlines()[-1]
        assert private not in log
    # A second start keeps the key it has.
    with RedisProcess(str(tmp_path / "redis2")).start() as redis, \
            BareWorker(redis.url, key_file, str(tmp_path / "worker2.log")).start():
        assert [contract.key_id(k) for k in worker_key.load_keys(key_file)] == [contract.key_id(key)]
