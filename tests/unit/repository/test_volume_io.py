# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Sources and targets: any ``BlockSource`` / ``BlockTarget`` goes through the engine, and a kind the factory does
not know is refused (a real block device against an image file: tests/functional/repository/test_block_device.py)."""
from __future__ import annotations

import os

import pytest
from storage_backup.repository import (
    SOURCE_KINDS,
    TARGET_KINDS,
    BlockSource,
    BlockTarget,
    InvalidRequest,
    open_source,
    open_target,
)

from tests.support.repository_images import BLOCK, MiB, write_image


def test_the_factory_names_the_kinds_it_knows_and_refuses_others(tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, MiB)
    assert sorted(SOURCE_KINDS) == sorted(TARGET_KINDS) == ["block-device", "image-file"]
    with pytest.raises(InvalidRequest, match="unknown volume source kind 'rbd': this storage-backup knows "
                                             "block-device, image-file"):
        open_source(str(image), kind="rbd")
    with pytest.raises(InvalidRequest, match="unknown volume target kind 'rbd'"):
        open_target(str(tmp_path / "out.img"), MiB, kind="rbd")
    assert not (tmp_path / "out.img").exists()  # refused before anything was created
    with pytest.raises(InvalidRequest, match="is not a block device"):
        open_source(str(image), kind="block-device")
    with pytest.raises(InvalidRequest, match="does not exist"):
        open_source(str(tmp_path / "missing.img"))
    with pytest.raises(InvalidRequest, match="is a directory"):
        open_source(str(tmp_path))
    with open_source(str(image)) as source:
        assert source.kind == "image-file" and source.size == MiB and not source.reads_wait_on_storage
        assert open_source(source) is source  # an open source is used as it is


class MemorySource(BlockSource):
    """A source of another kind: bytes in memory, whose zero ranges it knows (as an RBD image would)."""

    kind = "memory"

    def __init__(self, data: bytes, holes: list[tuple[int, int]]) -> None:
        self.name, self.size, self.data, self.holes, self.reads = "memory", len(data), data, holes, 0

    def read_into(self, view: memoryview, offset: int) -> None:
        self.reads += len(view)
        view[:] = self.data[offset:offset + len(view)]

    def is_hole(self, offset: int, length: int) -> bool:
        return any(start <= offset and offset + length <= end for start, end in self.holes)

    def all_data(self, offset: int, length: int) -> bool:
        return not any(start < offset + length and offset < end for start, end in self.holes)

    def close(self) -> None:
        self.closed = True


class MemoryTarget(BlockTarget):
    kind = "memory"

    def __init__(self, size: int) -> None:
        self.name, self.size, self.zeroed, self.data, self.finished = "memory", size, False, bytearray(b"x" * size), 0

    def write(self, data, offset: int) -> None:
        self.data[offset:offset + len(data)] = data

    def zero(self, offset: int, length: int) -> None:
        self.data[offset:offset + length] = bytes(length)

    def finish(self) -> None:
        self.finished += 1

    def close(self) -> None:
        self.closed = True


def test_any_block_source_and_target_go_through_the_engine(repo):
    data = bytearray(os.urandom(5 * MiB))
    data[MiB:3 * MiB] = bytes(2 * MiB)
    source = MemorySource(bytes(data), holes=[(MiB, 3 * MiB)])
    with repo.start_restore_point({"name": "memory"}) as writer:
        entry = writer.backup_volume("disk", source, strategy="full")
        restore_point = writer.commit()
    assert source.reads == 3 * MiB and entry.stats["bytes_zero"] == 2 * MiB  # the holes were never read
    assert not hasattr(source, "closed")  # the caller's source stays open
    target = MemoryTarget(5 * MiB)
    stats = repo.restore_volume(restore_point, "disk", target)
    assert bytes(target.data) == bytes(data) and target.finished == 1 and not hasattr(target, "closed")
    assert stats["bytes_written"] == 3 * MiB and stats["bytes_zero"] == 2 * MiB
    with pytest.raises(InvalidRequest, match="too small"):
        repo.restore_volume(restore_point, "disk", MemoryTarget(5 * MiB - BLOCK))


def test_zeroing_a_target_that_holds_data_writes_only_where_it_does_not_read_as_zeros(tmp_path):
    """An in-place revert: the target is not blank, so a zero range is cleared, but its empty space is not written
    (which on RBD would allocate every object and copy it into the revert's safety snapshot)."""
    path = tmp_path / "volume.img"
    with open(path, "wb") as handle:
        handle.truncate(64 * MiB)
        handle.seek(40 * MiB)
        handle.write(b"\x5a" * MiB)
    with open_target(str(path), 64 * MiB, zeroed=False) as target:
        target.zero(0, 64 * MiB)
        target.finish()
    with open(path, "rb") as handle:
        assert handle.read() == bytes(64 * MiB)
    # Zeros go in 4 MiB pieces (an RBD object): only the piece that held data was written, the rest stay holes.
    assert os.stat(path).st_blocks * 512 <= 4 * MiB
