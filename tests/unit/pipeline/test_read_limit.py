# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The read-bandwidth buckets (``pipeline/read_limit.py``) on a fake clock, and the source that charges them."""
from __future__ import annotations

import os

import pytest
from storage_backup.pipeline import read_limit
from storage_backup.pipeline.read_limit import MB, ReadLimit, TokenBucket
from storage_backup.repository import ThrottledSource, open_source


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_new_bucket_is_empty_so_the_first_read_already_waits():
    clock = FakeClock()
    bucket = TokenBucket(16, clock=clock)
    assert bucket.take(8 * MB) == pytest.approx(0.5)


def test_reading_back_to_back_averages_the_cap():
    clock = FakeClock()
    limit = ReadLimit(TokenBucket(16, clock=clock), sleep=clock.sleep)
    start = clock.now
    for _ in range(32):
        limit.take(1024 * 1024)  # 32 MiB in 1 MiB reads
    assert clock.now - start == pytest.approx(32 * 1024 * 1024 / (16 * MB))


def test_idle_time_is_saved_only_up_to_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock)
    clock.now += 3600  # an hour idle saves half a second of rate, not an hour's
    assert bucket.take(5 * MB) == 0.0
    assert bucket.take(10 * MB) == pytest.approx(1.0)


def test_readers_in_several_threads_queue_behind_each_others_debt():
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock)
    waits = [bucket.take(10 * MB) for _ in range(4)]  # four threads asking at the same instant
    assert waits == pytest.approx([1.0, 2.0, 3.0, 4.0])


def test_the_tighter_of_the_job_and_the_proxy_decides():
    clock = FakeClock()
    job, proxy = TokenBucket(16, clock=clock), TokenBucket(40, clock=clock)
    limit = ReadLimit(job, proxy, sleep=clock.sleep)
    limit.take(16 * MB)
    assert clock.slept == pytest.approx([1.0])
    clock.slept.clear()
    loose = ReadLimit(TokenBucket(100, clock=clock), TokenBucket(8, clock=clock), sleep=clock.sleep)
    loose.take(16 * MB)
    assert clock.slept == pytest.approx([2.0])
    assert "8 MB/s" in loose.describe() and "100 MB/s" in loose.describe()


def test_no_bucket_means_no_limit():
    limit = ReadLimit(read_limit.job_bucket(None), None, sleep=lambda seconds: pytest.fail("slept"))
    assert not limit
    limit.take(10 ** 12)


def test_a_limit_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


@pytest.mark.parametrize(("value", "expected"), [("", None), ("0", None), ("40", 40.0), (" 12.5 ", 12.5)])
def test_the_proxy_setting(value, expected):
    assert read_limit.proxy_limit_mbps({read_limit.PROXY_LIMIT_ENV: value}) == expected


@pytest.mark.parametrize("value", ["fast", "-5"])
def test_a_wrong_proxy_setting_is_named(value):
    with pytest.raises(ValueError, match=read_limit.PROXY_LIMIT_ENV):
        read_limit.proxy_limit_mbps({read_limit.PROXY_LIMIT_ENV: value})


def test_the_source_charges_what_it_reads_and_nothing_for_holes(tmp_path):
    image = tmp_path / "disk.img"
    with open(image, "wb") as handle:
        handle.truncate(8 * 1024 * 1024)  # a sparse image: all hole
        handle.seek(4 * 1024 * 1024)
        handle.write(os.urandom(65536))
    charged: list[int] = []
    with ThrottledSource(open_source(str(image)), charged.append) as source:
        assert source.size == 8 * 1024 * 1024
        assert source.is_hole(0, 1024 * 1024) and charged == []
        view = memoryview(bytearray(65536))
        source.read_into(view, 4 * 1024 * 1024)
        assert charged == [65536]
        with open(image, "rb") as handle:
            handle.seek(4 * 1024 * 1024)
            assert bytes(view) == handle.read(65536)
        # A large read goes in 1 MiB slices, each charged before it is read.
        charged.clear()
        whole = memoryview(bytearray(3 * 1024 * 1024 + 5))
        source.read_into(whole, 1024 * 1024)
        assert charged == [1024 * 1024] * 3 + [5]
        with open(image, "rb") as handle:
            handle.seek(1024 * 1024)
            assert bytes(whole) == handle.read(len(whole))
