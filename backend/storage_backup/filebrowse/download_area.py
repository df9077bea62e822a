# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The download area: where a data worker leaves a file restore's download for the REST API to serve.

A directory both see (the same host in the demo and the tests; a shared filesystem where the API and the data
workers run apart), named by ``STORAGE_BACKUP_DOWNLOAD_DIR`` (default ``<STORAGE_BACKUP_DATA_DIR>/downloads``). A
download is written as ``<job id><suffix>.part`` and renamed when complete, so nothing half-written is served; it
is removed ``STORAGE_BACKUP_DOWNLOAD_TTL`` seconds after it was made (by the next file restore and by the API), and
no download may hold more than ``STORAGE_BACKUP_DOWNLOAD_MAX_BYTES`` of file content. The area holds tenants' data
in clear, as a restored volume does: keep it on the data plane's side, mode 0700.
"""
from __future__ import annotations

import os
import re
import time

DEFAULT_TTL = 6 * 3600
DEFAULT_MAX_BYTES = 4 * 1024 ** 3
STORED_NAME = re.compile(r"^[0-9A-Za-z-]{1,64}\.(raw|tar|zip)$")


def _number(environ, name: str, default: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


def download_dir(environ=None) -> str:
    env = os.environ if environ is None else environ
    explicit = env.get("STORAGE_BACKUP_DOWNLOAD_DIR")
    if explicit:
        return os.path.abspath(explicit)
    data_dir = env.get("STORAGE_BACKUP_DATA_DIR") or os.path.join(os.getcwd(), ".storage-backup")
    return os.path.join(os.path.abspath(data_dir), "downloads")


def ttl_seconds(environ=None) -> int:
    return _number(os.environ if environ is None else environ, "STORAGE_BACKUP_DOWNLOAD_TTL", DEFAULT_TTL)


def max_bytes(environ=None) -> int:
    return _number(os.environ if environ is None else environ, "STORAGE_BACKUP_DOWNLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def stored_name(job_id: str, fmt: str) -> str:
    name = f"{job_id}.{fmt}"
    if not STORED_NAME.match(name):
        raise ValueError(f"no download can be called {name!r}")
    return name


def path_of(name: str, environ=None) -> str | None:
    """The complete download called ``name`` (as a result's ``stored_as`` says), or None: never made, or expired
    and removed. A name that is not one this module makes is None too (no path from a message is trusted)."""
    if not STORED_NAME.match(name or ""):
        return None
    path = os.path.join(download_dir(environ), name)
    try:
        made = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    if time.time() - made > ttl_seconds(environ):
        _remove(path)
        return None
    return path


def prepare(environ=None) -> str:
    directory = download_dir(environ)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return directory


def sweep(environ=None, now: float | None = None) -> int:
    """Remove the downloads (and leftover ``.part`` files) older than the TTL; returns how many."""
    directory = download_dir(environ)
    now = time.time() if now is None else now
    ttl = ttl_seconds(environ)
    removed = 0
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return 0
    for name in names:
        path = os.path.join(directory, name)
        try:
            if now - os.stat(path).st_mtime > ttl:
                removed += _remove(path)
        except FileNotFoundError:
            continue
    return removed


def _remove(path: str) -> int:
    try:
        os.unlink(path)
        return 1
    except FileNotFoundError:
        return 0
