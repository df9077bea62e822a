# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The S3 destination when the object store misbehaves: the tier's radosgw behind a fault-injecting proxy
(tests/support/fault_proxy.py), at the repository engine's level.

What must hold: transient failures (503 SlowDown, a reset connection) are retried and change nothing; a store that
goes away fails the backup with ``DestinationUnavailable`` naming the location and no credential, leaves no restore
point document and nothing half-written (``check`` passes), and the next backup succeeds, deduplicating against
what the repository already holds; a stalled store fails within ``read_timeout × max_attempts``; an interrupted
multipart upload never becomes an object and ``cleanup_incomplete`` removes its parts, and one completed by the
store whose answer was lost still commits when the completion is retried.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import time
import urllib.parse
import uuid

import pytest
from storage_backup.repository import DestinationUnavailable, Repository, S3Destination

from tests.ceph.object_storage import OBJECT_THRESHOLD
from tests.support.fault_proxy import FaultProxy
from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image

PASSWORD = "s3-faults-test"
#: Short enough that a failing test fails in seconds, long enough for RGW on a shared 2-core machine.
READ_TIMEOUT = 2.0
ATTEMPTS = 4


@pytest.fixture
def proxy(rgw):
    endpoint = urllib.parse.urlsplit(rgw.endpoint)
    with FaultProxy((endpoint.hostname, endpoint.port)) as proxy:
        yield proxy


def _proxied(rgw, proxy: FaultProxy, bucket: str | None = None, **kwargs) -> S3Destination:
    """A destination on a new bucket (or ``bucket``), reached through ``proxy``."""
    kwargs.setdefault("read_timeout", READ_TIMEOUT)
    kwargs.setdefault("max_attempts", ATTEMPTS)
    settings = rgw.settings(bucket or f"f-{uuid.uuid4().hex[:12]}", connect_timeout=1.0, **kwargs)
    destination = S3Destination(dataclasses.replace(settings, endpoint_url=proxy.endpoint), rgw.credentials)
    destination.ensure_bucket()
    return destination


def _direct(rgw, destination: S3Destination) -> S3Destination:
    """The same bucket and prefix, straight to RGW (what the test checks with, never through the faults)."""
    return S3Destination(dataclasses.replace(destination.settings, endpoint_url=rgw.endpoint), rgw.credentials)


def _uploads(destination: S3Destination) -> list[dict]:
    response = destination.client.list_multipart_uploads(Bucket=destination.bucket, Prefix=destination.prefix)
    return response.get("Uploads", [])


def test_slowdowns_and_a_reset_connection_are_retried(rgw, proxy, tmp_path):
    destination = _proxied(rgw, proxy, prefix="retried")
    repo = Repository.init(destination, PASSWORD, block_size=BLOCK, pack_size=6 * MiB)
    image = tmp_path / "disk.img"
    write_image(image, 16 * MiB, pattern="rrzt")
    proxy.slowdown(2)
    proxy.reset_after(3 * MiB)  # in the middle of the first pack's multipart upload
    first, entry = backup(repo, image)
    assert (proxy.injected, proxy.resets) == (2, 1)
    assert entry.stats["bytes_new"] > 8 * MiB

    proxy.slowdown(2)  # a restore rides them out too
    restored = tmp_path / "restored.img"
    repo.restore_volume(first, "disk", str(restored))
    assert proxy.injected == 4
    assert read(restored) == read(image)
    check = Repository.open(_direct(rgw, destination), PASSWORD).check(read_data=True)
    assert check.ok, check
    assert not _uploads(_direct(rgw, destination))


def test_the_store_gone_mid_backup_fails_clearly_and_the_next_backup_succeeds(rgw, proxy, tmp_path):
    destination = _proxied(rgw, proxy, prefix="gone")
    repo = Repository.init(destination, PASSWORD, block_size=BLOCK, pack_size=6 * MiB)
    image = tmp_path / "disk.img"
    write_image(image, 24 * MiB, pattern="rrt")
    first, _ = backup(repo, image)
    direct = _direct(rgw, destination)
    documents = sorted(info.name for info in direct.list("restore-points/"))

    overwrite(image, 0, os.urandom(14 * MiB))  # more than two packs of new data
    proxy.refuse_after(7 * MiB)  # gone while the second pack goes up
    started = time.monotonic()
    with pytest.raises(DestinationUnavailable) as failed:
        backup(repo, image, previous=first)
    elapsed = time.monotonic() - started
    message = str(failed.value)
    assert destination.location in message and "unavailable" in message, message
    assert rgw.credentials.access_key not in message and rgw.credentials.secret_key not in message
    assert elapsed < ATTEMPTS * (1.0 + 2.0) + 10, elapsed  # refused connections fail fast, with backoff

    proxy.heal()
    assert sorted(info.name for info in direct.list("restore-points/")) == documents
    assert Repository.open(direct, PASSWORD).check(read_data=True).ok
    assert destination.cleanup_incomplete(older_than=0) >= 0
    assert not _uploads(direct)

    sent = proxy.sent
    second, entry = backup(Repository.open(destination, PASSWORD), image, previous=first)
    # Only the changed 14 MiB go up again (the rest deduplicates against the first restore point).
    assert entry.stats["bytes_new"] < 16 * MiB and proxy.sent - sent < 18 * MiB, (entry.stats, proxy.sent - sent)
    restored = tmp_path / "restored.img"
    Repository.open(direct, PASSWORD).restore_volume(second, "disk", str(restored))
    assert read(restored) == read(image)


def test_a_stalled_store_fails_within_the_timeouts(rgw, proxy, tmp_path):
    timeout, attempts = 1.0, 3
    # Each attempt waits read_timeout (a PUT also up to 1 s for its "100 Continue"), plus a jittered backoff.
    bound = attempts * (timeout + 1.0) + 1
    destination = _proxied(rgw, proxy, prefix="stall", read_timeout=timeout, max_attempts=attempts)
    destination.put("index/a", b"a" * 1000)
    proxy.stall()
    started = time.monotonic()
    with pytest.raises(DestinationUnavailable, match="GetObject failed after 3 attempt.*did not answer in time"):
        destination.get("index/a")
    assert attempts * timeout - 0.2 < time.monotonic() - started < bound
    proxy.heal()
    assert destination.get("index/a") == b"a" * 1000

    # A backup whose store hangs mid-upload fails too: the upload, then the writer's cleanup (its index of what is
    # durable, its lock) each give up after their attempts: about three bounds in all, not forever.
    attempts = 2  # fewer for the backup: its upload and its cleanup each wait them out
    bound = attempts * (timeout + 1.0) + 1
    destination = _proxied(rgw, proxy, prefix="stall-repo", read_timeout=timeout, max_attempts=attempts)
    repo = Repository.init(destination, PASSWORD, block_size=BLOCK, pack_size=6 * MiB)
    image = tmp_path / "disk.img"
    write_image(image, 16 * MiB, pattern="rrt")
    proxy.stall_after(3 * MiB)
    started = time.monotonic()
    with pytest.raises(DestinationUnavailable, match="did not answer in time"):
        backup(repo, image)
    elapsed = time.monotonic() - started
    proxy.heal()
    assert elapsed < 4 * bound, elapsed
    assert not list(_direct(rgw, destination).list("restore-points/"))


def test_an_interrupted_multipart_upload_leaves_no_object(rgw, proxy):
    destination = _proxied(rgw, proxy, prefix="multipart")
    direct = _direct(rgw, destination)
    data = os.urandom(3 * OBJECT_THRESHOLD)
    writer = destination.open_writer("data/ab/pack-1", capacity=len(data))
    writer.write(data)
    proxy.refuse_after(OBJECT_THRESHOLD + MiB)  # the second part breaks off; the abort cannot reach the store either
    with pytest.raises(DestinationUnavailable):
        writer.commit()
    proxy.heal()
    assert not direct.exists("data/ab/pack-1")
    assert [upload["Key"] for upload in _uploads(direct)] == [destination.prefix + "data/ab/pack-1"]
    assert destination.cleanup_incomplete(older_than=3600) == 0  # a young upload may still be running
    assert destination.cleanup_incomplete(older_than=0) == 1
    assert not _uploads(direct)

    # With the store back, the same object goes up whole, a reset part retried on the way.
    writer = destination.open_writer("data/ab/pack-1", capacity=len(data))
    writer.write(data)
    proxy.reset_after(OBJECT_THRESHOLD + MiB)
    writer.commit()
    assert proxy.resets == 1
    assert direct.get("data/ab/pack-1") == data and not _uploads(direct)

    # The store completes an upload but its answer is lost: the completion is retried, and the commit succeeds
    # (RGW 16.2 answers a repeated completion with success, measured; where a store answers NoSuchUpload instead,
    # s3_transport.completed_meanwhile recognises the object ...
    other = os.urandom(2 * OBJECT_THRESHOLD)
    writer = destination.open_writer("data/cd/pack-2", capacity=len(other))
    writer.write(other)
    requests = proxy.requests
    proxy.lose_answer(lambda line: line.startswith("POST ") and "uploadId=" in line)
    writer.commit()
    assert proxy.requests == requests + 5  # create, 2 parts, the completion twice
    assert direct.get("data/cd/pack-2") == other and not _uploads(direct)
    # ... by the ETag S3 gives a multipart object, md5 of the parts' md5s and "-" their number: RGW's own.
    digests = b"".join(hashlib.md5(other[start:start + OBJECT_THRESHOLD]).digest()
                       for start in range(0, len(other), OBJECT_THRESHOLD))
    etag = direct.client.head_object(Bucket=direct.bucket, Key=direct.prefix + "data/cd/pack-2")["ETag"]
    assert etag == f'"{hashlib.md5(digests).hexdigest()}-2"'
