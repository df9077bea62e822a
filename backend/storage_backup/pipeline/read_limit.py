# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Read-bandwidth caps of backups, so that they do not starve shared Ceph or disks: per job and per proxy.

* **per job**: the policy's ``read_limit_mbps`` (carried in ``BackupRequest.read_limit_mbps``), a token bucket in
  the job's own process shared by its reader threads;
* **per proxy**: ``STORAGE_BACKUP_PROXY_READ_LIMIT_MBPS`` on the proxy worker, shared by every job of every worker
  process of that proxy VM. Prefork children are separate processes, and dividing the cap by the concurrency would
  leave a lone job at a fraction of it; so the bucket lives in Redis (the broker every worker already holds), changed
  by one Lua script that reads Redis's own clock, so processes (and hosts) never disagree about time. If Redis does
  not answer, each process falls back to a local bucket at the cap divided by its worker's concurrency: still under
  the cap, never a failed backup for a throttle.

Both apply to every byte read from the volume (holes and skipped unchanged extents are not read, so cost nothing);
the tighter one decides. A MB is 10^6 bytes, as disk and network rates are quoted.

The buckets work on debt: a read takes its bytes at once (the level may go below zero) and waits until the level
would have been back at zero. Readers in several threads or processes thus queue behind each other's debts and the
sum of their rates stays at the cap, whatever the batch size. A bucket starts empty, so a job is capped from its
first byte; it saves at most ``BURST_SECONDS`` of idle rate.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

LOG = logging.getLogger(__name__)
MB = 1_000_000
#: Unused rate a bucket keeps, in seconds of its rate: a short pause between volumes does not become a burst.
BURST_SECONDS = 0.5
PROXY_LIMIT_ENV = "STORAGE_BACKUP_PROXY_READ_LIMIT_MBPS"
PROXY_KEY = "storage-backup:read-limit:{proxy}"
#: After Redis failed to answer, the fallback is used this long before Redis is asked again (a Redis call that
#: fails may take its client's retries, seconds, which no read should pay each time).
REDIS_RETRY_SECONDS = 30.0
#: The prefork pool size of this worker (set at worker start, ``celery_app``): the fallback's share of the cap.
pool_size = 1

# KEYS[1]: the bucket (a hash: level, updated). ARGV: rate (bytes/s), capacity (bytes), bytes taken.
# Returns the seconds to wait, as a string (a Lua number would be truncated to an integer).
_TAKE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate, capacity, taken = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'level', 'updated')
local level = tonumber(state[1]) or 0
local updated = tonumber(state[2]) or now
if now > updated then level = math.min(capacity, level + (now - updated) * rate) end
level = level - taken
redis.call('HSET', KEYS[1], 'level', tostring(level), 'updated', tostring(math.max(now, updated)))
local wait = 0
if level < 0 then wait = -level / rate end
redis.call('EXPIRE', KEYS[1], math.ceil(wait) + 60)
return tostring(wait)
"""


def bytes_per_second(mbps: float) -> float:
    return float(mbps) * MB


class TokenBucket:
    """A bucket in this process: thread-safe; ``clock`` is monotonic seconds (a fake one in the tests)."""

    def __init__(self, mbps: float, clock: Callable[[], float] = time.monotonic) -> None:
        if mbps <= 0:
            raise ValueError(f"a read limit must be positive, not {mbps}")
        self.rate = bytes_per_second(mbps)
        self.capacity = self.rate * BURST_SECONDS
        self.clock = clock
        self.level = 0.0
        self.updated = clock()
        self._lock = threading.Lock()

    def take(self, count: int) -> float:
        """Take ``count`` bytes; returns the seconds to wait before reading them."""
        with self._lock:
            now = self.clock()
            if now > self.updated:
                self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
                self.updated = now
            self.level -= count
            return -self.level / self.rate if self.level < 0 else 0.0


class SharedTokenBucket:
    """The proxy's bucket in Redis, shared by all its worker processes; a local share of it while Redis is away."""

    def __init__(self, redis_client, proxy: str, mbps: float, share_of: int | None = None) -> None:
        self.redis = redis_client
        self.key = PROXY_KEY.format(proxy=proxy)
        self.rate = bytes_per_second(mbps)
        self.capacity = self.rate * BURST_SECONDS
        self.fallback = TokenBucket(mbps / max(1, share_of or pool_size))
        self._script = redis_client.register_script(_TAKE_SCRIPT)
        self._redis_again_at = 0.0

    def take(self, count: int) -> float:
        if time.monotonic() < self._redis_again_at:
            return self.fallback.take(count)
        try:
            return float(self._script(keys=[self.key], args=[self.rate, self.capacity, count]))
        except Exception as error:  # Redis away: this process's share of the cap instead
            LOG.warning("proxy read limit: Redis does not answer (%s); this process reads at most %.1f MB/s for "
                        "the next %g s", error, self.fallback.rate / MB, REDIS_RETRY_SECONDS)
            self._redis_again_at = time.monotonic() + REDIS_RETRY_SECONDS
            return self.fallback.take(count)


class ReadLimit:
    """The buckets that apply to one job's reads; ``take`` waits as long as the tightest of them asks."""

    def __init__(self, *buckets, sleep: Callable[[float], None] = time.sleep) -> None:
        self.buckets = [bucket for bucket in buckets if bucket is not None]
        self.sleep = sleep

    def __bool__(self) -> bool:
        return bool(self.buckets)

    def take(self, count: int) -> None:
        wait = max((bucket.take(count) for bucket in self.buckets), default=0.0)
        if wait > 0:
            self.sleep(wait)

    def describe(self) -> str:
        return " and ".join(f"{bucket.rate / MB:g} MB/s ({'proxy' if isinstance(bucket, SharedTokenBucket) else 'job'})"
                            for bucket in self.buckets)


def proxy_limit_mbps(environ: dict | None = None) -> float | None:
    """``STORAGE_BACKUP_PROXY_READ_LIMIT_MBPS`` (unset, empty or 0: no cap). A value that is not a positive number
    is logged when the worker starts and fails each backup with a message naming the setting, rather than letting
    it read uncapped."""
    raw = (os.environ if environ is None else environ).get(PROXY_LIMIT_ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{PROXY_LIMIT_ENV}={raw!r} is not a number of MB/s") from None
    if value < 0:
        raise ValueError(f"{PROXY_LIMIT_ENV}={raw!r} must be 0 (no cap) or a positive number of MB/s")
    return value or None


def proxy_bucket(redis_client, proxy: str, environ: dict | None = None) -> SharedTokenBucket | None:
    mbps = proxy_limit_mbps(environ)
    return SharedTokenBucket(redis_client, proxy, mbps) if mbps else None


def job_bucket(mbps: float | None) -> TokenBucket | None:
    return TokenBucket(mbps) if mbps else None
