# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Deterministic test images for the benchmark: half random, a quarter zeros, a quarter text; and the 1 % rewrite.

The layout is striped (32 MiB stripes: random, zeros, random, text, ...) so that every kind of content is spread
over the whole image, as on a real disk, rather than in four big regions.
"""
from __future__ import annotations

import os
import random

MiB = 1024 * 1024
STRIPE = 32 * MiB
PATTERN = ("random", "zeros", "random", "text")


def _vocabulary(rng: random.Random) -> list[bytes]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    words = set()
    while len(words) < 65536:
        words.add("".join(rng.choices(letters, weights, k=rng.randint(1, 11))))
    return [w.encode() for w in sorted(words)]


class TextSource:
    """Endless English-like text (Zipf-ish word frequencies, lines of a few words); never repeats a stripe."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        vocabulary = _vocabulary(self.rng)
        # A Zipf-like distribution: a few words are very common, most are rare, like real prose.
        self.words = [vocabulary[int(len(vocabulary) * (self.rng.random() ** 3))] for _ in range(1 << 20)]

    def take(self, size: int) -> bytes:
        out = bytearray()
        rng, words = self.rng, self.words
        while len(out) < size:
            line = rng.choices(words, k=rng.randint(4, 14))
            out += b" ".join(line) + b".\n"
        return bytes(out[:size])


def generate(path: str, size: int, seed: int = 42) -> dict:
    """Write the image at ``path`` (fully allocated); return how many bytes of each kind it holds."""
    rng = random.Random(seed)
    text = TextSource(seed + 1)
    counts = dict.fromkeys(PATTERN, 0)
    with open(path, "wb") as image:
        offset, stripe_no = 0, 0
        while offset < size:
            kind = PATTERN[stripe_no % len(PATTERN)]
            length = min(STRIPE, size - offset)
            for piece in range(0, length, 4 * MiB):
                n = min(4 * MiB, length - piece)
                # Zeros are written, not left as holes: a block device has no holes, and every tool must read them.
                image.write(bytes(n) if kind == "zeros" else rng.randbytes(n) if kind == "random" else text.take(n))
            counts[kind] += length
            offset += length
            stripe_no += 1
        image.truncate(size)
    return counts


def rewrite(path: str, fraction: float = 0.01, piece: int = MiB, seed: int = 7) -> int:
    """Overwrite ``fraction`` of the image with random data in ``piece``-sized writes at random 4 KiB-aligned
    offsets (not aligned to any block size: a file system writes where it likes). Returns the bytes changed."""
    rng = random.Random(seed)
    size = os.path.getsize(path)
    pieces = max(1, int(size * fraction) // piece)
    changed = 0
    with open(path, "r+b") as image:
        for _ in range(pieces):
            offset = rng.randrange(0, (size - piece) // 4096) * 4096
            image.seek(offset)
            image.write(rng.randbytes(piece))
            changed += piece
    return changed
