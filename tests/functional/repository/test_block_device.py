# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A real block device (a loop device over a file) and an image file are interchangeable on either side of a
backup: the same bytes give the same records, and a restore onto the device clears its old data."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest
from storage_backup.repository import Repository, open_source, open_target

from tests.support.repository_images import BLOCK, MiB, backup, read, write_image


@pytest.fixture
def repo(tmp_path) -> Repository:
    return Repository.init(str(tmp_path / "repo"), block_size=BLOCK, pack_size=1 * MiB)


@contextlib.contextmanager
def loop_device(backing):
    """A real block device over ``backing`` (``losetup``), detached after."""
    if not shutil.which("losetup") or os.geteuid() != 0:
        pytest.skip("a block device needs losetup and root; the image-file kind is tested without")
    attached = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True)
    if attached.returncode:
        pytest.skip(f"no loop device available here: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    try:
        yield device
    finally:
        subprocess.run(["losetup", "--detach", device], check=True)


def _sparse_image(path, size: int) -> bytes:
    """Data, zeros written out, and a hole: every case a source and a target must get right."""
    data = bytearray(write_image(path, size, pattern="rzt"))
    with open(path, "r+b") as handle:
        handle.truncate(size - 2 * MiB)
        handle.truncate(size)  # the last 2 MiB a hole
    data[size - 2 * MiB:] = bytes(2 * MiB)
    return bytes(data)


def test_block_device_and_image_file_are_interchangeable(repo, tmp_path):
    size = 6 * MiB
    image = tmp_path / "disk.img"
    data = _sparse_image(image, size)
    backing = tmp_path / "device-backing.img"
    backing.write_bytes(os.urandom(size))  # old data on the device: the restore must clear the zero ranges
    with loop_device(backing) as device:
        with open_target(device, size) as target:
            assert target.kind == "block-device" and not target.zeroed
        from_file, file_entry = backup(repo, image)
        stats = repo.restore_volume(from_file, "disk", device)
        assert stats["bytes_zero"] >= 3 * MiB
        with open(device, "rb") as handle:
            assert handle.read(size) == data
        with open_source(device) as source:
            assert source.kind == "block-device" and source.size == size and source.reads_wait_on_storage
            with repo.start_restore_point({"name": "device"}) as writer:
                device_entry = writer.backup_volume("disk", source)
                from_device = writer.commit()
    # The same bytes are the same records, whichever kind they were read from.
    assert list(repo.volume_records(from_file, "disk")) == list(repo.volume_records(from_device, "disk"))
    assert file_entry.stats["bytes_read"] < size == device_entry.stats["bytes_read"]  # only the file knows holes
    repo.restore_volume(from_device, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == data
    assert os.stat(tmp_path / "out.img").st_blocks * 512 < size  # written sparse
