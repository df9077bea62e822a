# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The embedded cloud survives a restart: records, block data, tokens, and transitions pending at the stop.

The sandbox runs as its own process (``SandboxProcess``), is stopped with SIGTERM and started again on the same
state dir and port, so the same keystoneauth session (and its token) keeps working across the restart.
"""
from __future__ import annotations

import io
import os
import time

from storage_backup_sandbox.launch import SandboxProcess

from tests.conftest import SandboxHandle
from tests.functional.sandbox.volume_helpers import blocks, new_snapshot, new_volume, read_at, wait_for, write_at


def clients(session):
    from cinderclient import client as cinder_client
    from glanceclient import client as glance_client

    return cinder_client.Client("3.71", session=session), glance_client.Client("2", session=session)


def test_state_data_tokens_and_pending_transitions_survive_a_restart(tmp_path):
    state_dir = str(tmp_path / "cloud")
    first = SandboxProcess(state_dir, transition_delay=0.1).start()
    try:
        handle = SandboxHandle(first)
        session = handle.session("demo-member")
        cinder, glance = clients(session)
        token = session.get_token()
        kept = new_volume(cinder, 1, name="kept", metadata={"survives": "yes"})
        write_at(blocks(handle).volume_path(kept.id), 4096, b"data before the restart")
        snapshot = new_snapshot(cinder, kept.id, name="kept-snapshot")
        image = glance.images.create(name="kept-image", disk_format="raw", container_format="bare")
        glance.images.upload(image.id, io.BytesIO(b"image bytes" * 1000))
    finally:
        first.stop()

    # a second life with slow transitions: a volume is still "creating" when the process stops
    second = SandboxProcess(state_dir, port=first.port, transition_delay=4.0).start()
    try:
        pending = cinder.volumes.create(1, name="pending-at-stop")
        pending_snapshot = cinder.volume_snapshots.create(kept.id, name="pending-snapshot")
        assert cinder.volumes.get(pending.id).status == "creating"
    finally:
        second.stop()
    assert not os.path.exists(blocks(handle).volume_path(pending.id))

    third = SandboxProcess(state_dir, port=first.port, transition_delay=0.1).start()
    try:
        assert session.get_token() == token  # the same token, accepted by the new process
        assert cinder.volumes.get(kept.id).metadata == {"survives": "yes"}
        assert read_at(blocks(handle).volume_path(kept.id), 4096, 23) == b"data before the restart"
        assert cinder.volume_snapshots.get(snapshot.id).status == "available"
        assert os.path.exists(blocks(handle).snapshot_path(snapshot.id))
        restored = glance.images.get(image.id)
        assert restored.status == "active" and b"".join(glance.images.data(image.id)) == b"image bytes" * 1000
        started = time.time()
        finished = wait_for(lambda: cinder.volumes.get(pending.id), "available", timeout=15)
        assert finished.name == "pending-at-stop" and time.time() - started < 15
        assert os.path.getsize(blocks(handle).volume_path(pending.id)) == 1024 ** 3
        wait_for(lambda: cinder.volume_snapshots.get(pending_snapshot.id), "available", timeout=15)
        from_pending = new_volume(cinder, None, snapshot_id=pending_snapshot.id)
        assert read_at(blocks(handle).volume_path(from_pending.id), 4096, 23) == b"data before the restart"
    finally:
        third.stop()
