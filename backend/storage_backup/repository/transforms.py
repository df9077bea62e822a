# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Transforms applied to every stored blob: zstd compression, then optional AES-256-GCM encryption.

Benji-style: one small class per transform, and ``BlobCodec`` which runs them in order. A blob is::

    flags (1 byte: bit 0 zstd, bit 1 aes-256-gcm) | [nonce (12 bytes)] | payload [| GCM tag (16 bytes)]

The flags byte and a caller-given context (the chunk id, or the object's name and header) are authenticated as
associated data, so a blob cannot be moved to another name or have its flags flipped without detection.
Compression is skipped when it does not pay (random data), as cinder's chunked driver does.
"""
from __future__ import annotations

import os
import threading

import zstandard

from .errors import CorruptObject

FLAG_ZSTD = 0x01
FLAG_AES_GCM = 0x02
KNOWN_FLAGS = FLAG_ZSTD | FLAG_AES_GCM
NONCE_SIZE = 12
TAG_SIZE = 16
#: zstd level 1: on 2 cores it keeps up with the disk and still halves text (levels above 1 cost 2-3x the CPU).
DEFAULT_ZSTD_LEVEL = 1
#: A 4096-entry match table (16 KiB, fits in L1) and matches of at least 7 bytes (level 1's own for inputs of
#: unknown size), instead of the 16384 entries and 5-byte matches zstd picks for a 256 KiB input. Measured with
#: ``bench/zstd_params.py`` (one core, 256 KiB blocks): prose-like text 1.4x faster for 4 % more output; sources,
#: service logs and binaries 6-14 % faster for 3-7 % more. A 2048-entry table makes that text another 17 % faster
#: but real files 3-5 % bigger again, and 6-byte matches are slower everywhere, so no change. Decoding depends on
#: neither (no format change).
ZSTD_HASH_LOG = 12
ZSTD_MIN_MATCH = 7
#: Incompressible blocks (random data, compressed media and archives, encrypted files) come in runs (a file, a
#: region of the disk). After a block that did not compress, the next ones are first judged from a sample:
#: SAMPLE_PIECES pieces of SAMPLE_PIECE bytes spread evenly over the block, compressed together; when they save
#: less than 1/64, the block is stored as it is without running zstd over all of it (a third of the CPU). Any
#: compressible run of 17 KiB lands a whole piece in the sample. A block after a compressible one is compressed
#: directly: sampling every block would cost compressible data 5-7 %. A tar of /usr/share/doc (text among .gz
#: files) grows by at most 0.3 %; sources, logs and binaries do not change.
SAMPLE_MIN = 64 * 1024
SAMPLE_PIECES = 16
SAMPLE_PIECE = 1024


class ZstdTransform:
    """zstd with per-thread (de)compressor objects: they are not thread-safe, and they release the GIL."""

    flag = FLAG_ZSTD

    def __init__(self, level: int = DEFAULT_ZSTD_LEVEL) -> None:
        self.level = level
        self._local = threading.local()

    def _compressor(self) -> zstandard.ZstdCompressor:
        compressor = getattr(self._local, "compressor", None)
        if compressor is None:
            parameters = zstandard.ZstdCompressionParameters.from_level(self.level, hash_log=ZSTD_HASH_LOG,
                                                                        min_match=ZSTD_MIN_MATCH)
            compressor = self._local.compressor = zstandard.ZstdCompressor(compression_params=parameters)
            self._local.incompressible = False  # whether this thread's last block did not compress
        return compressor

    def _decompressor(self) -> zstandard.ZstdDecompressor:
        decompressor = getattr(self._local, "decompressor", None)
        if decompressor is None:
            decompressor = self._local.decompressor = zstandard.ZstdDecompressor()
        return decompressor

    def compress(self, data) -> bytes | None:
        """Compressed bytes, or None when compression would not save at least 1/32 of the size."""
        compressor = self._compressor()
        local = self._local
        size = len(data)
        if size >= SAMPLE_MIN and local.incompressible:
            view = memoryview(data)
            stride = size // SAMPLE_PIECES
            sample = b"".join([view[at:at + SAMPLE_PIECE] for at in range(0, stride * SAMPLE_PIECES, stride)])
            if len(compressor.compress(sample)) >= len(sample) - (len(sample) >> 6):
                return None
        compressed = compressor.compress(data)
        local.incompressible = len(compressed) >= size - (size >> 5)
        return None if local.incompressible else compressed

    def decompress(self, data, max_size: int) -> bytes:
        try:
            return self._decompressor().decompress(data, max_output_size=max_size)
        except zstandard.ZstdError as error:
            raise CorruptObject(f"zstd: {error}") from None


class AesGcmTransform:
    """AES-256-GCM with a random 96-bit nonce per blob (safe for 2**32 blobs per key: 1 PiB at 256 KiB blocks)."""

    flag = FLAG_AES_GCM

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(key) != 32:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self._aead = AESGCM(key)

    def encrypt(self, data, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, data, associated)

    def decrypt(self, data, associated: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        if len(data) < NONCE_SIZE + TAG_SIZE:
            raise CorruptObject("encrypted blob is truncated")
        view = memoryview(data)
        try:
            return self._aead.decrypt(view[:NONCE_SIZE], view[NONCE_SIZE:], associated)
        except InvalidTag:
            raise CorruptObject("authentication failed (altered data, or a different key)") from None


class BlobCodec:
    """Encode/decode blobs for one repository: compression always offered, encryption when the repository has it."""

    def __init__(self, data_key: bytes | None, zstd_level: int = DEFAULT_ZSTD_LEVEL) -> None:
        self.zstd = ZstdTransform(zstd_level)
        self.aes = AesGcmTransform(data_key) if data_key else None

    @property
    def encrypted(self) -> bool:
        return self.aes is not None

    def encode_parts(self, data, context: bytes, compress: bool = True) -> tuple[bytes, object]:
        """The blob as ``(flags byte, payload)``, so a pack writer can ``writev`` it without another copy."""
        flags = 0
        payload = data
        if compress:
            compressed = self.zstd.compress(data)
            if compressed is not None:
                flags |= FLAG_ZSTD
                payload = compressed
        if self.aes is not None:
            flags |= FLAG_AES_GCM
            return bytes((flags,)), self.aes.encrypt(payload, bytes((flags,)) + context)
        return bytes((flags,)), payload

    def encode(self, data, context: bytes, compress: bool = True) -> bytes:
        head, payload = self.encode_parts(data, context, compress)
        return head + bytes(payload)

    def decode(self, blob, context: bytes, max_size: int) -> bytes:
        """The original bytes; raises ``CorruptObject`` on any damage. ``max_size`` bounds decompression."""
        if not blob:
            raise CorruptObject("empty blob")
        flags = blob[0]
        if flags & ~KNOWN_FLAGS:
            raise CorruptObject(f"unknown blob flags {flags:#x}")
        payload = memoryview(blob)[1:]
        if flags & FLAG_AES_GCM:
            if self.aes is None:
                raise CorruptObject("blob is encrypted but the repository has no encryption key")
            payload = self.aes.decrypt(payload, bytes((flags,)) + context)
        elif self.aes is not None:
            # An encrypted repository never holds plaintext blobs: one would be an injected object.
            raise CorruptObject("unencrypted blob in an encrypted repository")
        if flags & FLAG_ZSTD:
            return self.zstd.decompress(payload, max_size)
        return bytes(payload)
