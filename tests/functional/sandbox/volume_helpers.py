# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Cinder and Glance tests: official clients, polling, the block files behind volumes."""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from storage_backup_sandbox.blockdev import BlockStore
from storage_backup_sandbox.launch import SandboxProcess

from tests.conftest import SandboxHandle

GIB = 1024 ** 3
TERMINAL_ERRORS = ("error", "error_deleting", "error_extending", "error_restoring")


def cinder(sandbox: SandboxHandle, user: str = "demo-member", version: str = "3.71"):
    from cinderclient import client

    return client.Client(version, session=sandbox.session(user))


def glance(sandbox: SandboxHandle, user: str = "demo-member"):
    from glanceclient import client

    return client.Client("2", session=sandbox.session(user))


def wait_for(get: Callable[[], object], wanted: str, timeout: float = 30, field: str = "status",
             allow_errors: bool = False):
    """Poll ``get()`` until its ``field`` is ``wanted``; fail early on an error status (as clients do)."""
    deadline = time.time() + timeout
    current = None
    while time.time() < deadline:
        current = get()
        value = getattr(current, field) if not isinstance(current, dict) else current[field]
        if value == wanted:
            return current
        if value in TERMINAL_ERRORS and not allow_errors:
            raise AssertionError(f"status became {value} while waiting for {wanted}")
        time.sleep(0.05)
    raise AssertionError(f"still {getattr(current, field, current)} after {timeout} s (wanted {wanted})")


def wait_gone(get: Callable[[], object], timeout: float = 30) -> None:
    from cinderclient import exceptions

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            get()
        except exceptions.NotFound:
            return
        time.sleep(0.05)
    raise AssertionError(f"still there after {timeout} s")


def new_volume(client, size: int = 1, **kwargs):
    volume = client.volumes.create(size, **kwargs)
    return wait_for(lambda: client.volumes.get(volume.id), "available")


def new_snapshot(client, volume_id: str, **kwargs):
    snapshot = client.volume_snapshots.create(volume_id, **kwargs)
    return wait_for(lambda: client.volume_snapshots.get(snapshot.id), "available")


def blocks(sandbox: SandboxHandle) -> BlockStore:
    return BlockStore(sandbox.state_dir)


def write_at(path: str, offset: int, data: bytes) -> None:
    """What a guest (or the backup proxy) does to a volume: write bytes at an offset of its block device."""
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_at(path: str, offset: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def data_extents(path: str) -> list[tuple[int, int]]:
    """(start, end) of the data regions of a sparse file; everything else reads as zeros."""
    extents = []
    with open(path, "rb") as handle:
        size, position = os.fstat(handle.fileno()).st_size, 0
        while position < size:
            try:
                start = os.lseek(handle.fileno(), position, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole remains
                break
            end = os.lseek(handle.fileno(), start, os.SEEK_HOLE)
            extents.append((start, end))
            position = end
    return extents


def files_equal(left: str, right: str, chunk: int = 16 * 1024 * 1024) -> bool:
    """Byte equality of two (sparse) files, reading only where either holds data."""
    if os.path.getsize(left) != os.path.getsize(right):
        return False
    with open(left, "rb") as a, open(right, "rb") as b:
        for start, end in sorted(data_extents(left) + data_extents(right)):
            for offset in range(start, end, chunk):
                length = min(chunk, end - offset)
                a.seek(offset)
                b.seek(offset)
                if a.read(length) != b.read(length):
                    return False
    return True


def arm_fault(sandbox: SandboxHandle, operation: str, mode: str, count: int = 1) -> None:
    response = sandbox.session("admin").post(sandbox.url + "/_sandbox/faults",
                                             json={"operation": operation, "mode": mode, "count": count})
    assert response.status_code == 201, response.text


@contextmanager
def private_sandbox(transition_delay: float = 0.1) -> Iterator[SandboxHandle]:
    """A sandbox of one's own, for tests that change cloud-wide things (quotas, faults)."""
    with tempfile.TemporaryDirectory(prefix="sandbox-") as state_dir:
        with SandboxProcess(state_dir, transition_delay=transition_delay).start() as process:
            yield SandboxHandle(process)
