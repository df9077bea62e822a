# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The S3 destination's retries and errors without an object store: boto3 against a tiny local HTTP server behind
the fault proxy (tests/support/fault_proxy.py). RGW itself is in tests/ceph/test_s3_faults.py."""
from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time

import pytest
from storage_backup.contract import FailureCode
from storage_backup.proxy.failures import failure_of
from storage_backup.repository import DestinationUnavailable, InvalidRequest, S3Credentials, S3Destination, S3Settings
from storage_backup.repository.destinations.s3_transport import completed_meanwhile, multipart_etag

from tests.support.fault_proxy import FaultProxy

BODY = b"0123456789" * 100
CREDENTIALS = S3Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI-secret")


class _Store(http.server.BaseHTTPRequestHandler):
    """Answers every GET with ``BODY``; the first ``broken`` GETs send half of it and hang up."""

    protocol_version = "HTTP/1.1"
    broken = 0
    lock = threading.Lock()

    def do_GET(self):
        with self.lock:
            cut = type(self).broken > 0
            type(self).broken -= cut
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY[:len(BODY) // 2] if cut else BODY)
        if cut:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def store():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Store.broken = 0
    with FaultProxy(("127.0.0.1", server.server_address[1])) as proxy:
        yield proxy
    server.shutdown()
    server.server_close()


def _destination(endpoint: str, attempts: int = 3) -> S3Destination:
    settings = S3Settings(bucket="bkt", endpoint_url=endpoint, region="default", path_style=True, read_timeout=1,
                          connect_timeout=1, max_attempts=attempts)
    return S3Destination(settings, CREDENTIALS)


def test_the_fault_settings_are_location_parameters():
    location = "s3://bkt/p?endpoint=http://127.0.0.1:1&max_attempts=3&connect_timeout=0.5&read_timeout=7"
    settings = S3Settings.from_location(location)
    assert (settings.max_attempts, settings.connect_timeout, settings.read_timeout) == (3, 0.5, 7.0)
    assert S3Settings.from_location(settings.location) == settings
    assert "read_timeout" not in S3Settings(bucket="bkt").location  # defaults stay out of the location
    for bad in ("max_attempts=0", "read_timeout=0", "connect_timeout=-1", "max_attempts=x"):
        with pytest.raises(InvalidRequest):
            S3Settings.from_location(f"s3://bkt/p?{bad}")


def test_slowdowns_are_retried_then_a_clear_error(store):
    destination = _destination(store.endpoint, attempts=3)
    store.slowdown(1)  # throttling backs off from 1 s (botocore): one is enough here
    assert destination.get("x") == BODY
    assert (store.injected, store.requests) == (1, 2)
    store.slowdown(10)
    with pytest.raises(DestinationUnavailable, match="GetObject failed after 3 attempt.*503 SlowDown") as failed:
        destination.get("x")
    assert store.injected == 4  # exactly max_attempts requests, then no more
    message = str(failed.value)
    assert destination.location in message and CREDENTIALS.secret_key not in message
    assert CREDENTIALS.access_key not in message
    failure = failure_of(failed.value)
    assert failure.code == FailureCode.REPOSITORY_UNAVAILABLE and failure.message == message


def test_a_body_that_breaks_off_is_read_again(store):
    destination = _destination(store.endpoint, attempts=3)
    _Store.broken = 2
    assert destination.get("x") == BODY
    assert store.requests == 3
    _Store.broken = 3
    with pytest.raises(DestinationUnavailable, match="reading x failed after 3 attempt.*broke off"):
        destination.get("x")


def test_a_refused_connection_fails_fast_naming_the_destination():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    destination = _destination(f"http://127.0.0.1:{port}", attempts=3)
    started = time.monotonic()
    with pytest.raises(DestinationUnavailable, match="refused or could not be made") as failed:
        destination.put("index/a", b"data")
    assert time.monotonic() - started < 3
    assert f"127.0.0.1:{port}" in str(failed.value) and isinstance(failed.value.__cause__, Exception)


def test_a_completion_whose_answer_was_lost_is_recognised_by_its_etag():
    parts = [{"ETag": f'"{hashlib.md5(data).hexdigest()}"', "PartNumber": number}
             for number, data in enumerate((b"a" * 10, b"b" * 3), start=1)]
    etag = multipart_etag(parts)
    assert etag == f'"{hashlib.md5(hashlib.md5(b"a" * 10).digest() + hashlib.md5(b"b" * 3).digest()).hexdigest()}-2"'

    class Client:
        def __init__(self, etag):
            self.etag = etag

        def head_object(self, **_params):
            return {"ETag": self.etag, "VersionId": "v1"}

    assert completed_meanwhile(Client(etag), "b", "k", parts) == {"VersionId": "v1"}
    assert completed_meanwhile(Client('"0123-2"'), "b", "k", parts) is None  # another object under the key
