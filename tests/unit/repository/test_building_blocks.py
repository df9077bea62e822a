# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the engine's building blocks: the compact index, the filesystem destination, the codec."""
from __future__ import annotations

import os

import pytest
from storage_backup.repository.destinations import FilesystemDestination, open_destination
from storage_backup.repository.errors import CorruptObject, InvalidRequest, ObjectNotFound
from storage_backup.repository.index import ChunkIndex, PackEntry, decode_index, encode_index
from storage_backup.repository.transforms import BlobCodec


def test_chunk_index_add_get_duplicates_and_memory():
    index = ChunkIndex()
    ids = [os.urandom(32) for _ in range(20000)]
    for number, chunk_id in enumerate(ids):
        assert index.add(chunk_id, f"{number % 7:032x}", number, 100 + number, 200)
    assert not index.add(ids[5], "f" * 32, 1, 1, 1)  # first location wins
    assert index.get(ids[5]) == (f"{5 % 7:032x}", 5, 105)
    assert all(chunk_id in index for chunk_id in ids[::97])
    assert os.urandom(32) not in index
    assert len(index) == 20000 and index.stored_bytes == sum(100 + n for n in range(20000))
    assert index.memory_bytes() <= 20000 * 24 * 1.3  # ~24 bytes per chunk


def test_chunk_index_add_pack_is_add_for_each_entry():
    ids = [os.urandom(32) for _ in range(3000)]
    first = [PackEntry(chunk_id, 0, n * 10, 10, 20) for n, chunk_id in enumerate(ids)]
    second = [PackEntry(ids[7], 0, 5, 5, 5), PackEntry(os.urandom(32), 1, 0, 3, 3), PackEntry(ids[7], 0, 1, 1, 1)]
    one_by_one, bulk = ChunkIndex(), ChunkIndex()
    for pack_id, entries in (("a" * 32, first), ("b" * 32, second)):
        for entry in entries:
            one_by_one.add(entry.chunk_id, pack_id, entry.offset, entry.length, entry.raw_length)
        bulk.add_pack(pack_id, entries)
    for entry in first + second:
        assert bulk.get(entry.chunk_id) == one_by_one.get(entry.chunk_id)
    assert bulk.get(ids[7]) == ("a" * 32, 70, 10)  # the first location wins
    assert (len(bulk), bulk.stored_bytes, bulk.raw_bytes) == (len(one_by_one), one_by_one.stored_bytes,
                                                               one_by_one.raw_bytes) == (3001, 30003, 60003)


def test_index_object_round_trip():
    packs = {"a" * 32: [PackEntry(os.urandom(32), 0, 0, 10, 20), PackEntry(os.urandom(32), 1, 10, 5, 5)],
             "b" * 32: []}
    assert dict(decode_index(encode_index(packs), "test")) == packs
    with pytest.raises(CorruptObject):
        list(decode_index(encode_index(packs)[:-3], "test"))


def test_filesystem_destination(tmp_path):
    destination = open_destination(str(tmp_path / "d"))
    assert isinstance(destination, FilesystemDestination)
    destination.put("a/b/c", b"hello")
    destination.put("a/b/c", b"world")  # atomic replace
    assert destination.get("a/b/c") == b"world" and destination.get_range("a/b/c", 1, 3) == b"orl"
    with pytest.raises(FileExistsError):
        destination.put("a/b/c", b"again", exclusive=True)
    writer = destination.open_writer("a/big", capacity=1 << 20)
    writer.write_at(4, b"5678")
    writer.write_at(0, b"1234")
    assert not destination.exists("a/big")  # nothing visible before commit
    assert [info.name for info in destination.list("a/")] == ["a/b/c"]
    writer.commit()
    assert destination.get("a/big") == b"12345678" and destination.size("a/big") == 8
    streamed = destination.open_writer("a/stream")
    streamed.write(b"x" * 10)
    streamed.abort()
    assert not destination.exists("a/stream")
    with pytest.raises(ObjectNotFound):
        destination.get("missing")
    with pytest.raises(CorruptObject):
        destination.get_range("a/b/c", 3, 10)
    destination.delete("a/b/c")
    destination.delete("a/b/c")  # idempotent
    assert sorted(info.name for info in destination.list()) == ["a/big"]
    with pytest.raises(InvalidRequest):
        open_destination("s3://bucket/repo")


def test_codec_compresses_when_it_pays_and_authenticates(tmp_path):
    plain = BlobCodec(None)
    text = b"abc " * 10000
    assert len(plain.encode(text, b"ctx")) < len(text) // 10
    noise = os.urandom(10000)
    assert len(plain.encode(noise, b"ctx")) == len(noise) + 1  # stored as is
    secret = BlobCodec(os.urandom(32))
    blob = secret.encode(text, b"id-1")
    assert secret.decode(blob, b"id-1", len(text)) == text
    with pytest.raises(CorruptObject):
        secret.decode(blob, b"id-2", len(text))  # moved to another name
    with pytest.raises(CorruptObject):
        secret.decode(plain.encode(text, b"id-1"), b"id-1", len(text))  # plaintext injected
