# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 13, restores from the vault: ``grant_for_restore`` names exactly what a restore of its restore points reads,
and ``PresignedDestination`` restores through it with the unchanged engine, read-only, until the grant expires.

Here the "vault" is a filesystem repository behind a small local HTTP server that checks an expiry in the URL the
way S3 checks a pre-signed one; ``tests/ceph/test_vault_engine.py`` does the same on RGW with real signatures.
"""
from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.parse

import pytest
from storage_backup.repository import (
    FilesystemDestination,
    GrantExpired,
    InvalidRequest,
    ObjectNotFound,
    PresignedDestination,
    Repository,
    RepositoryError,
    copy_restore_point,
    grant_for_restore,
    open_destination,
    open_vault,
)

from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image

PASSWORD = b"vault test"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections, as S3's
    root = ""
    requests: list = []

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        type(self).requests.append((url.path, self.headers.get("Range")))
        if float(query.get("expires", ["0"])[0]) < time.time():
            self._send(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
            return
        path = os.path.join(self.root, url.path.lstrip("/"))
        if not os.path.isfile(path):
            self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")
            return
        with open(path, "rb") as handle:
            data = handle.read()
        wanted = self.headers.get("Range")
        if wanted:
            first, last = (int(part) for part in wanted.removeprefix("bytes=").split("-"))
            self._send(206, data[first:last + 1], {"Content-Range": f"bytes {first}-{min(last, len(data) - 1)}/"
                                                                     f"{len(data)}"})
        else:
            self._send(200, data)


class SigningVault(FilesystemDestination):
    """A filesystem vault that "pre-signs" URLs to the local server: the expiry in the query, as S3's X-Amz-Expires."""

    base = ""

    def presign_get(self, name: str, expires_in: int) -> str:
        return f"{self.base}/{name}?expires={time.time() + expires_in}"


@pytest.fixture
def vault_setup(tmp_path):
    primary = Repository.init(str(tmp_path / "primary"), PASSWORD, block_size=BLOCK, pack_size=1 * MiB)
    image = tmp_path / "disk.img"
    first_data = write_image(image, 4 * MiB)
    first, _entry = backup(primary, image)
    overwrite(image, 7 * BLOCK, os.urandom(BLOCK))
    second_data = read(image)
    second, _entry = backup(primary, image, previous=first)
    destination = SigningVault(str(tmp_path / "vault"))
    vault = open_vault(destination, primary)
    for point in (first, second):
        copy_restore_point(primary, vault, point)
    handler = type("Handler", (_Handler,), {"root": str(tmp_path / "vault"), "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    destination.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield vault, (first, first_data), (second, second_data), handler
    server.shutdown()
    server.server_close()


def test_a_restore_through_a_grant_reads_only_what_the_grant_names(vault_setup, tmp_path):
    vault, (first, _first_data), (second, second_data), handler = vault_setup
    grant = json.loads(json.dumps(grant_for_restore(vault, [second[:8]], 60)))
    assert grant["restore_points"] == [second]
    assert f"restore-points/{first}" not in grant["objects"]
    assert set(grant["objects"]) == {"config", *(f"keys/{key}" for key in os.listdir(tmp_path / "vault" / "keys")),
                                     *vault.objects_of(second)}
    source = Repository.open(open_destination(grant), PASSWORD)
    assert isinstance(source.destination, PresignedDestination)
    assert source.restore_point_ids() == [second]
    source.restore_volume(second, "disk", str(tmp_path / "restored.img"))
    assert read(tmp_path / "restored.img") == second_data
    assert any(wanted for _path, wanted in handler.requests), "packs are read by range"
    with pytest.raises(ObjectNotFound):
        source.destination.get(f"restore-points/{first}")
    for write in (lambda d: d.put("data/aa/x", b"x"), lambda d: d.open_writer("data/aa/x"),
                  lambda d: d.delete("config")):
        with pytest.raises(PermissionError, match="read-only"):
            write(source.destination)
    assert source.destination.size("config") == os.path.getsize(tmp_path / "vault" / "config")


def test_an_expired_grant_refuses_locally_and_at_the_server(vault_setup):
    vault, (first, _data), _second, handler = vault_setup
    grant = grant_for_restore(vault, [first], 1)
    time.sleep(1.2)
    with pytest.raises(GrantExpired, match="expired"):
        Repository.open(PresignedDestination(grant), PASSWORD)
    # The vault's own refusal (a clock that disagrees with the vault's) says the same.
    lenient = PresignedDestination(grant)
    lenient.expired = lambda: False
    with pytest.raises(GrantExpired, match="expired"):
        lenient.get("config")
    assert handler.requests[-1][0] == "/config"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/config", "config", "http:///config"])
def test_a_grant_whose_urls_are_not_http_is_refused(url):
    with pytest.raises(InvalidRequest, match="http"):
        PresignedDestination({"type": "presigned", "expires": "2099-01-01T00:00:00Z", "objects": {"config": url}})
    with pytest.raises(InvalidRequest):
        PresignedDestination({"expires": "2099-01-01T00:00:00Z", "objects": {"../config": "http://127.0.0.1/x"}})
    with pytest.raises(InvalidRequest, match="expiry"):
        PresignedDestination({"objects": {"config": "http://127.0.0.1/x"}})


def test_only_an_object_store_vault_issues_grants(tmp_path):
    vault = Repository.init(str(tmp_path / "plain"), block_size=BLOCK)
    with pytest.raises(InvalidRequest, match="S3 vault"):
        grant_for_restore(vault, ["abcd"], 60)


def test_an_unreachable_vault_is_named():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    destination = PresignedDestination({"expires": "2099-01-01T00:00:00Z",
                                        "objects": {"config": f"http://127.0.0.1:{port}/config"}}, timeout=2)
    with pytest.raises(RepositoryError, match=f"cannot read config from the vault at 127.0.0.1:{port}"):
        destination.get("config")
