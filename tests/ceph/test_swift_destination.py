# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Swift destination on Ceph RGW 16.2's Swift API with Keystone auth (the embedded cloud's Keystone): the
``Destination`` contract, Static Large Objects and their segments, the repository engine end to end, and logging in
with an application credential through keystoneauth1.

RGW and the Keystone it trusts are started by the session fixture ``swift`` (``swift_fixtures.py``) on the tier's
Ceph. The tests' objects from 2 MiB on go up as Static Large Objects of 1 MiB segments.
"""
from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from storage_backup.repository import (
    CorruptObject,
    InvalidRequest,
    ObjectNotFound,
    Repository,
    SwiftCredentials,
    SwiftDestination,
    SwiftSettings,
    open_destination,
)

from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image

PASSWORD = "swift-destination-test"
AUTH_URL = "http://127.0.0.1:5000/v3"


def test_a_location_names_no_credentials_and_round_trips():
    settings = SwiftSettings.from_location(f"swift://backups/tenant-a/?auth_url={AUTH_URL}&region=RegionOne"
                                           "&interface=internal&large_object_threshold=8388608")
    assert (settings.container, settings.prefix, settings.interface, settings.region) == \
        ("backups", "tenant-a/", "internal", "RegionOne")
    assert settings.large_object_threshold == 8 * MiB and settings.segments_container == "backups_segments"
    assert SwiftSettings.from_location(settings.location) == settings
    for bad in (f"swift://user:secret@backups/x?auth_url={AUTH_URL}", f"swift://backups/x?auth_url={AUTH_URL}&password=p",
                f"swift://backups/x?auth_url={AUTH_URL}&application_credential_secret=s", "swift://backups/x",
                f"swift://ab/x?auth_url={AUTH_URL}", f"swift://backups/x?auth_url={AUTH_URL}&interface=private",
                f"swift://backups/x?auth_url={AUTH_URL}&segment_size=1024",
                f"swift://backups/x?auth_url={AUTH_URL}&large_object_threshold={6 * 1024 ** 3}"):
        with pytest.raises(InvalidRequest):
            SwiftSettings.from_location(bad)
    shown = repr(SwiftCredentials(application_credential_id="AC", application_credential_secret="SECRET")) + \
        repr(SwiftCredentials(username="u", password="PASSWORD", project_name="p"))
    assert "SECRET" not in shown and "PASSWORD" not in shown and "AC" in shown
    for incomplete in ({"application_credential_secret": "s"}, {"username": "u", "password": "p"}, {},
                       {"application_credential_id": "a", "application_credential_secret": "s", "token": "t"}):
        with pytest.raises(InvalidRequest):
            SwiftCredentials.from_value(incomplete)
    # open_destination knows swift:// and {"type": "swift"}; nothing is contacted before the first request.
    credentials = {"application_credential_id": "AC", "application_credential_secret": "SECRET"}
    by_location = open_destination(f"swift://backups/p?auth_url={AUTH_URL}", credentials)
    by_dict = open_destination({"type": "swift", "container": "backups", "prefix": "p", "auth_url": AUTH_URL},
                               credentials)
    assert isinstance(by_location, SwiftDestination) and by_location.location == by_dict.location
    assert "SECRET" not in repr(by_location)
    with pytest.raises(InvalidRequest):
        open_destination(f"swift://backups/p?auth_url={AUTH_URL}")  # no credentials


# --- the Destination contract ---------------------------------------------------------------------------------

def test_the_destination_contract(swift):
    destination = swift.destination(prefix="repo/one")
    assert not destination.exists("config") and list(destination.list()) == []  # no container yet: nothing
    destination.put("config", b"{}", exclusive=True)  # creates the container
    with pytest.raises(FileExistsError):
        destination.put("config", b"{other}", exclusive=True)
    assert destination.get("config") == b"{}"
    destination.put("index/a", b"0123456789")
    destination.put("index/a", b"abcdefghij")  # replaced
    assert destination.get_range("index/a", 2, 3) == b"cde"
    assert destination.get_range("index/a", 2, 0) == b""
    with pytest.raises(CorruptObject):
        destination.get_range("index/a", 8, 5)
    with pytest.raises(CorruptObject):
        destination.get_range("index/a", 20, 5)
    for read_missing in (lambda: destination.get("index/missing"), lambda: destination.get_range("index/missing", 0, 1),
                         lambda: destination.size("index/missing")):
        with pytest.raises(ObjectNotFound):
            read_missing()
    assert destination.exists("index/a") and not destination.exists("index/missing")
    assert destination.size("index/a") == 10

    # A pack filled by several threads at once, large enough for a Static Large Object of 4 segments.
    size = 3 * MiB + 123
    writer = destination.open_writer("data/ab/abcd", capacity=size)
    pieces = [(offset, os.urandom(min(MiB // 2, size - offset))) for offset in range(0, size, MiB // 2)]
    threads = [threading.Thread(target=lambda part=part: writer.write_at(part[0], part[1][:100], part[1][100:]))
               for part in pieces]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not destination.exists("data/ab/abcd")  # nothing visible before commit
    writer.commit()
    whole = b"".join(piece for _offset, piece in pieces)
    assert destination.get("data/ab/abcd") == whole
    assert destination.get_range("data/ab/abcd", MiB - 10, 20) == whole[MiB - 10:MiB + 10]  # across segments
    with pytest.raises(CorruptObject):
        destination.get_range("data/ab/abcd", size - 10, 20)
    head = destination.session.head(destination.url(destination.container, "repo/one/data/ab/abcd"))
    assert head.headers["X-Static-Large-Object"].lower() == "true"
    segments = _segments(destination)
    assert len(segments) == 4 and all(name.startswith("repo/one/data/ab/abcd/") for name in segments)

    aborted = destination.open_writer("data/ab/aborted")
    aborted.write(b"x" * 100)
    aborted.abort()
    # The listing shows whole objects with their whole size (RGW lists a manifest by its own size): no segments.
    listed = {info.name: info.size for info in destination.list()}
    assert listed == {"config": 2, "index/a": 10, "data/ab/abcd": size}
    assert [info.name for info in destination.list("data/")] == ["data/ab/abcd"]
    assert destination.size("data/ab/abcd") == size
    destination.delete("data/ab/abcd")  # its segments go with it
    destination.delete("index/a")
    destination.delete("index/a")  # a missing object is not an error
    assert not destination.exists("index/a") and not destination.exists("data/ab/abcd")
    assert _segments(destination) == []
    assert [info.name for info in destination.list()] == ["config"]


def _segments(destination: SwiftDestination) -> list[str]:
    return sorted(item["name"] for item in destination._listing(destination.settings.segments_container, ""))


def test_rgw_ignores_if_none_match_so_an_exclusive_put_checks_its_claim(swift, monkeypatch):
    destination = swift.destination()
    destination.put("locks/probe", b"1")
    url = destination.url(destination.container, "locks/probe")
    second = destination.session.put(url, data=b"2", headers={"If-None-Match": "*"}, raise_exc=False)
    # Swift answers 412; RGW 16.2's Swift API stores it (if it ever honours it, the claim check is only a spare).
    assert second.status_code in (201, 412)
    if second.status_code == 201:
        assert destination.get("locks/probe") == b"2"

    # A racer whose PUT lands between our PUT and our check owns the name: we step back.
    original = destination._put_object

    def racing_put(container, key, data, headers=None):
        response = original(container, key, data, headers)
        destination.session.put(destination.url(container, key), data=b"racer")
        return response

    monkeypatch.setattr(destination, "_put_object", racing_put)
    with pytest.raises(FileExistsError, match="concurrently"):
        destination.put("keys/k1", b"mine", exclusive=True)
    monkeypatch.undo()
    assert destination.get("keys/k1") == b"racer"
    with pytest.raises(FileExistsError):
        destination.put("keys/k1", b"again", exclusive=True)


def test_orphaned_segments_are_cleaned_and_live_ones_kept(swift):
    destination = swift.destination(prefix="p")
    live = os.urandom(2 * MiB + 5)
    destination.put("data/aa/live", live)
    replaced = os.urandom(2 * MiB)
    destination.put("data/bb/replaced", replaced)
    destination.put("data/bb/replaced", replaced[::-1])  # the first upload's segments are now orphans
    # A write that died after its segments, before its manifest.
    segments = destination.settings.segments_container
    for number in range(2):
        destination.session.put(destination.url(segments, f"p/data/cc/dangling/{uuid.uuid4().hex}/{number:08d}"),
                                data=b"s" * 1000)
    assert not destination.exists("data/cc/dangling")
    assert {info.name for info in destination.list()} == {"data/aa/live", "data/bb/replaced"}
    before = len(_segments(destination))
    assert destination.cleanup_incomplete(older_than=3600) == 0  # too young
    assert len(_segments(destination)) == before
    assert destination.cleanup_incomplete(older_than=0) == 3  # the replaced upload and the two dangling ones
    assert len(_segments(destination)) == 3 + 2  # the live objects' segments stay
    assert destination.get("data/aa/live") == live and destination.get("data/bb/replaced") == replaced[::-1]


# --- the repository engine on Swift ----------------------------------------------------------------------------

def test_repository_end_to_end_with_an_application_credential(swift, tmp_path):
    credentials = swift.application_credential("demo-member")
    container = f"t-{uuid.uuid4().hex[:12]}"
    location = swift.settings(container, prefix="tenant-a").location
    destination = open_destination(location, {"application_credential_id": credentials.application_credential_id,
                                              "application_credential_secret":
                                                  credentials.application_credential_secret})
    started = time.monotonic()
    repo = Repository.init(destination, PASSWORD, block_size=BLOCK, pack_size=3 * MiB)
    image = tmp_path / "disk.img"
    write_image(image, 12 * MiB, pattern="rrzt")
    first, entry = backup(repo, image)
    assert entry.stats["bytes_new"] > 6 * MiB
    restored = tmp_path / "restored.img"
    repo.restore_volume(first, "disk", str(restored))
    assert read(restored) == read(image)
    assert repo.verify_volume(first, "disk")["bytes"] > 0
    assert repo.check(read_data=True).ok
    packs = list(destination.list("data/"))
    assert any(info.size >= swift.large_object_threshold for info in packs)  # some packs are SLOs
    assert not any("_segments" in info.name for info in destination.list())

    # An incremental backup, the first restore point deleted, prune (which also sweeps orphaned segments).
    overwrite(image, 3 * MiB, os.urandom(2 * MiB))
    second, _entry = backup(repo, image, previous=first)
    repo.delete_restore_point(first)
    report = repo.prune(repack_threshold=0.01)
    assert report.restore_points == 1 and report.packs_deleted + report.packs_repacked > 0, report
    repo = Repository.open(destination, PASSWORD)
    assert repo.restore_point_ids() == [second]
    repo.restore_volume(second, "disk", str(restored))
    assert read(restored) == read(image)
    assert repo.check(read_data=True).ok
    # Every segment left belongs to a pack still listed.
    live = {destination.prefix + info.name for info in destination.list("data/")}
    assert {name.rsplit("/", 2)[0] for name in _segments(destination)} <= live
    print(f"repository on Swift (RGW): {time.monotonic() - started:.1f} s")


# --- authentication ---------------------------------------------------------------------------------------------

def test_application_credentials_through_keystoneauth_and_project_isolation(swift):
    credentials = swift.application_credential("demo-member")
    destination = swift.destination(credentials=credentials)
    destination.put("config", b"demo")
    access = destination.session.auth.get_access(destination.session)
    assert access.project_name == "demo"
    assert access.application_credential_id == credentials.application_credential_id
    assert destination.endpoint.endswith(f"/swift/v1/AUTH_{access.project_id}")
    # The same container name in another project is another container (RGW's implicit tenants).
    other = swift.destination(destination.container, credentials=swift.application_credential("alt-member"))
    assert not other.exists("config")
    other.put("config", b"alt")
    assert destination.get("config") == b"demo"
    # A wrong secret, and a role RGW does not accept (reader), are refused.
    wrong = SwiftCredentials(application_credential_id=credentials.application_credential_id,
                             application_credential_secret="not-the-secret")
    with pytest.raises(PermissionError):
        swift.destination(destination.container, credentials=wrong).get("config")
    with pytest.raises(PermissionError):
        swift.destination(destination.container, credentials=swift.password_credentials("demo-reader")).get("config")
    # Revoked in Keystone: RGW's next validation of the token fails (after its token cache; a new login fails now).
    session = swift.sandbox.session("demo-member")
    session.delete(f"{swift.auth_url}/users/{session.get_user_id()}/application_credentials/"
                   f"{credentials.application_credential_id}")
    with pytest.raises(PermissionError):
        swift.destination(destination.container, credentials=credentials).get("config")


def test_a_worker_opens_a_swift_destination_from_its_task_message(swift):
    """What a proxy does with the task's destination (docs/TASKS.md): the location URL plus the credentials that
    arrived sealed; the first backup makes the container and the repository, a missing container is unavailable."""
    from storage_backup.contract import Destination
    from storage_backup.pipeline import repository_access
    from storage_backup.pipeline.errors import RepositoryUnavailable

    credentials = swift.application_credential("demo-member")
    task_destination = Destination(
        id="d-swift", type="swift", path=swift.settings(prefix="project-x").location,
        credentials={"application_credential_id": credentials.application_credential_id,
                     "application_credential_secret": credentials.application_credential_secret})
    with pytest.raises(RepositoryUnavailable, match="container does not exist"):
        repository_access.open_existing(task_destination, None)
    created = repository_access.open_for_backup(task_destination, None)
    opened = repository_access.open_existing(task_destination, None)
    assert opened is not None and opened.config.id == created.config.id
    assert "application_credential_secret" not in repr(task_destination)
