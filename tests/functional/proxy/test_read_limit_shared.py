# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The proxy's read limit is one bucket in a real Redis shared by separate processes (as prefork children are), and
a local share of it while Redis does not answer. Elapsed times are checked loosely: lower bounds the cap implies."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import redis
from storage_backup.pipeline.read_limit import MB, PROXY_KEY, ReadLimit, SharedTokenBucket

# One reader process: 16 MB in 1 MB reads through the proxy's shared bucket; prints its elapsed seconds.
READER = textwrap.dedent("""
    import sys, time, redis
    from storage_backup.pipeline.read_limit import ReadLimit, SharedTokenBucket
    bucket = SharedTokenBucket(redis.Redis.from_url(sys.argv[1]), sys.argv[2], float(sys.argv[3]))
    limit = ReadLimit(bucket)
    start = time.monotonic()
    for _ in range(16):
        limit.take(1_000_000)
    print(time.monotonic() - start)
""")


def test_two_processes_share_the_proxy_cap(redis_server):
    proxy = f"shared-{time.monotonic_ns()}"
    started = time.monotonic()
    readers = [subprocess.Popen([sys.executable, "-c", READER, redis_server.url, proxy, "16"],
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [reader.communicate(timeout=60)[0] for reader in readers]
    elapsed = time.monotonic() - started
    assert all(reader.returncode == 0 for reader in readers), outputs
    # 32 MB at 16 MB/s from an empty bucket: 2 s; each alone would have needed only 1 s.
    assert elapsed >= 1.8, f"two readers of 16 MB each at a shared 16 MB/s took only {elapsed:.2f} s"
    assert max(float(out) for out in outputs) >= 1.8, outputs
    level = redis.Redis.from_url(redis_server.url).hgetall(PROXY_KEY.format(proxy=proxy))
    assert set(level) == {b"level", b"updated"}


def test_without_redis_each_process_takes_its_share(redis_server):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=1)
    bucket = SharedTokenBucket(unreachable, "no-redis", 16, share_of=2)
    limit = ReadLimit(bucket)
    start = time.monotonic()
    for _ in range(8):
        limit.take(MB)
    elapsed = time.monotonic() - start
    # Half of 16 MB/s: 8 MB take 1 s (the first failed call to Redis adds its own timeout).
    assert elapsed >= 0.9, f"8 MB at a fallback share of 8 MB/s took only {elapsed:.2f} s"
    assert bucket.fallback.rate == 8 * MB
