# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Pack objects: many chunk blobs in one object, with a header at the end that makes each pack self-describing.

Layout::

    blob | blob | ... | header blob | trailer (16 bytes)
    trailer = header blob length (u32) | entry count (u32) | format version (u16) | reserved (u16) | b"SBPK"

The header blob is the list of entries (chunk id, kind, offset, length, raw length), transformed like any blob
(encrypted in an encrypted repository), so ``check`` can verify a pack against the index and the index can be
rebuilt from the packs alone.
"""
from __future__ import annotations

import queue
import struct
import threading
import uuid
from collections.abc import Callable

from .destinations import Destination, ObjectWriter
from .errors import CorruptObject
from .format import FORMAT_VERSION, check_version, pack_name
from .index import ENTRY, PackEntry
from .transforms import BlobCodec

TRAILER = struct.Struct("<IIHH4s")
#: Largest blob: a 16 MiB block (the biggest block size) plus flags, nonce, tag and zstd's worst-case growth.
MAX_BLOB = 16 * 1024 * 1024 + 64 * 1024
PACK_MAGIC = b"SBPK"


def header_context(pack_id: str) -> bytes:
    return b"pack-header " + pack_id.encode()


def decode_pack_header(codec: BlobCodec, pack_id: str, tail: bytes, pack_size: int) -> list[PackEntry]:
    """Entries of a pack from its last bytes (``tail`` must hold the header blob and the trailer)."""
    what = f"pack {pack_name(pack_id)}"
    if len(tail) < TRAILER.size:
        raise CorruptObject(f"{what} is too short to be a pack")
    header_length, count, version, _reserved, magic = TRAILER.unpack_from(tail, len(tail) - TRAILER.size)
    if magic != PACK_MAGIC:
        raise CorruptObject(f"{what} has no pack trailer (truncated or not a pack)")
    check_version(version, what)
    if header_length + TRAILER.size > len(tail) or header_length + TRAILER.size > pack_size:
        raise CorruptObject(f"{what} has a header length beyond its size")
    blob = tail[len(tail) - TRAILER.size - header_length:len(tail) - TRAILER.size]
    raw = codec.decode(blob, header_context(pack_id), max_size=count * ENTRY.size)
    if len(raw) != count * ENTRY.size:
        raise CorruptObject(f"{what} has a header of the wrong size")
    entries = [PackEntry(*ENTRY.unpack_from(raw, i * ENTRY.size)) for i in range(count)]
    data_end = pack_size - TRAILER.size - header_length
    for entry in entries:
        if entry.offset + entry.length > data_end:
            raise CorruptObject(f"{what} lists a chunk beyond its data")
    return entries


class _OpenPack:
    def __init__(self, destination: Destination, capacity: int) -> None:
        self.pack_id = uuid.uuid4().hex
        self.writer: ObjectWriter = destination.open_writer(pack_name(self.pack_id), capacity)
        self.entries: list[PackEntry] = []
        self.size = 0
        self.writing = 0  # threads copying a blob into this pack right now
        self.full = False


class PackWriter:
    """Appends encoded blobs to packs of about ``pack_size`` bytes; thread-safe.

    Each blob gets its place in the open pack under a lock, then is copied in outside it, so several workers
    fill a pack at once. A full pack gets its header and trailer and goes to the committer threads (the write,
    fsync and rename take a while; the workers keep compressing meanwhile). Two committers write two packs at
    once: a fast disk takes twice one synchronous writer's rate that way, and the stored data of a full backup
    runs at 1-2 GB/s. At most one more pack waits for them, so a slow destination slows the backup down instead
    of piling up temporary files. ``on_committed(pack_id, entries)`` is called from a committer thread once a pack
    is durable.
    """

    def __init__(self, destination: Destination, codec: BlobCodec, pack_size: int,
                 on_committed: Callable[[str, list[PackEntry]], None], max_entries: int = 16384,
                 max_blob: int = MAX_BLOB, committers: int = 2) -> None:
        self._destination = destination
        self._codec = codec
        self._pack_size = pack_size
        self._max_entries = max_entries
        # The most a pack can hold: one blob past the size limit, plus the header of max_entries and the trailer.
        self._capacity = pack_size + max_blob + max_entries * ENTRY.size + 4096
        self._on_committed = on_committed
        self._lock = threading.Lock()
        self._quiet = threading.Condition(self._lock)
        self._current: _OpenPack | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._committer_count = committers
        self._committers: list[threading.Thread] = []
        self.packs_written = 0
        self.bytes_written = 0

    def add(self, chunk_id: bytes, kind: int, head: bytes, payload, raw_length: int) -> None:
        """Append one blob given as ``(head, payload)`` (see ``BlobCodec.encode_parts``)."""
        if self._error is not None:
            raise self._error
        length = len(head) + len(payload)
        with self._lock:
            pack = self._current
            if pack is None:
                pack = self._current = _OpenPack(self._destination, self._capacity)
            offset = pack.size
            pack.size += length
            pack.entries.append(PackEntry(chunk_id, kind, offset, length, raw_length))
            pack.writing += 1
            if pack.size >= self._pack_size or len(pack.entries) >= self._max_entries:
                pack.full, self._current = True, None
        try:
            pack.writer.write_at(offset, head, payload)
        finally:
            with self._lock:
                pack.writing -= 1
                close = pack.full and pack.writing == 0
                if not pack.writing:
                    self._quiet.notify_all()
        if close:
            self._close(pack)

    def _close(self, pack: _OpenPack) -> None:
        raw_header = b"".join(entry.pack() for entry in pack.entries)
        header = self._codec.encode(raw_header, header_context(pack.pack_id))
        pack.writer.write(header)
        pack.writer.write(TRAILER.pack(len(header), len(pack.entries), FORMAT_VERSION, 0, PACK_MAGIC))
        self._start_committers()
        self._queue.put(pack)

    def _start_committers(self) -> None:
        with self._lock:
            while len(self._committers) < self._committer_count:
                committer = threading.Thread(target=self._commit_loop, name="pack-committer", daemon=True)
                committer.start()
                self._committers.append(committer)

    def _commit_loop(self) -> None:
        while True:
            pack = self._queue.get()
            if pack is None:
                return
            if self._error is not None:
                pack.writer.abort()
                continue
            try:
                pack.writer.commit()
                with self._lock:
                    self.packs_written += 1
                    self.bytes_written += pack.writer.size
                self._on_committed(pack.pack_id, pack.entries)
            except BaseException as error:  # handed to the writing threads
                pack.writer.abort()
                self._error = error

    def _take_current(self) -> _OpenPack | None:
        with self._lock:
            pack, self._current = self._current, None
            while pack is not None and pack.writing:
                self._quiet.wait()
            return pack

    def _stop_committers(self) -> None:
        with self._lock:
            committers, self._committers = self._committers, []
        for _committer in committers:
            self._queue.put(None)
        for committer in committers:
            committer.join()

    def flush(self) -> None:
        """Close the open pack and wait until every pack is durable; raises the first commit error."""
        pack = self._take_current()
        if pack is not None and pack.entries and self._error is None:
            self._close(pack)
        elif pack is not None:
            pack.writer.abort()
        self._stop_committers()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Drop the open pack (committed packs stay; prune removes them if nothing indexes them)."""
        self._error = self._error or RuntimeError("pack writer aborted")
        pack = self._take_current()
        if pack is not None:
            pack.writer.abort()
        self._stop_committers()
