#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How close a capped backup reads to its cap: the engine backs up one image of random data in full, through the
same throttled source and job bucket as a proxy's backup (``pipeline/read_limit.py``), once per cap.

    .venv/bin/python bench/read_limit.py [--size-mib 128] [--caps 0,16,64,256]

Prints one line per cap (0: none): bytes read, elapsed seconds, achieved MB/s and its share of the cap. A bucket
starts empty and saves half a second of rate when idle, so a short read comes out a little under the cap, a long one
at it; above what the machine can read, hash and compress, the cap no longer matters.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from storage_backup.pipeline.read_limit import MB, ReadLimit, TokenBucket
from storage_backup.repository import Consistency, Repository, ThrottledSource, open_source


def backup_once(workdir: str, image: str, cap: float) -> tuple[int, float]:
    repository = Repository.init(os.path.join(workdir, f"repo-{cap:g}"), None)
    source = open_source(image)
    if cap:
        source = ThrottledSource(source, ReadLimit(TokenBucket(cap)).take)
    started = time.monotonic()
    try:
        with repository.start_restore_point({"name": "bench"}, {}, consistency=Consistency.OFFLINE) as writer:
            entry = writer.backup_volume("image", source, strategy="full")
            writer.commit()
    finally:
        source.close()
    return int(entry.stats["bytes_read"]), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=128)
    parser.add_argument("--caps", default="0,16,64,256", help="MB/s, comma-separated; 0 is no cap")
    args = parser.parse_args()
    caps = [float(cap) for cap in args.caps.split(",")]
    with tempfile.TemporaryDirectory(prefix="read-limit-bench-") as workdir:
        image = os.path.join(workdir, "image.raw")
        with open(image, "wb") as handle:
            for _ in range(args.size_mib):
                handle.write(os.urandom(1024 * 1024))
        print(f"{'cap MB/s':>9} {'read MB':>8} {'seconds':>8} {'MB/s':>7} {'of cap':>7}")
        for cap in caps:
            read, seconds = backup_once(workdir, image, cap)
            rate = read / MB / seconds
            share = f"{rate / cap:.0%}" if cap else "-"
            print(f"{cap or 'none':>9} {read / MB:8.1f} {seconds:8.2f} {rate:7.1f} {share:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
