# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the pieces the end-to-end tests rely on: error translation, waits, progress, cancel, image match,
and the service account's project-scoped connections against the session's embedded cloud."""
from __future__ import annotations

import json
import os

import pytest
import requests
from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions
from storage_backup.cloud import Cloud
from storage_backup.cloud.errors import (
    AccessDenied,
    BadRequest,
    ConfigurationError,
    OverQuota,
    ResourceConflict,
    ResourceFailed,
    ResourceNotFound,
    ResourceTimeout,
    ServiceUnavailable,
    from_sdk,
)
from storage_backup.cloud.waiting import wait_for
from storage_backup.pipeline.cancellation import CancelToken, cancel_key
from storage_backup.pipeline.context import Timeouts
from storage_backup.pipeline.errors import JobCancelled, PipelineError, add_cleanup_report
from storage_backup.pipeline.image_reuse import disk_matches_image
from storage_backup.pipeline.progress import ProgressReporter
from storage_backup.repository import Repository

MIB = 1024 * 1024


def _response(status: int, body, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = (json.dumps(body) if not isinstance(body, str) else body).encode()
    response.headers["Content-Type"] = content_type
    response.headers["x-openstack-request-id"] = "req-1"
    return response


@pytest.mark.parametrize(("status", "body", "error_class", "text"), [
    (400, {"badRequest": {"message": "Invalid volume: status must be available", "code": 400}}, BadRequest,
     "Invalid volume: status must be available (HTTP 400)"),
    (404, {"itemNotFound": {"message": "Volume v1 could not be found.", "code": 404}}, ResourceNotFound,
     "Volume v1 could not be found."),
    (413, {"overLimit": {"message": "VolumeSizeExceedsAvailableQuota", "code": 413}}, OverQuota,
     "VolumeSizeExceedsAvailableQuota"),
    (403, {"forbidden": {"message": "Quota exceeded for cores: Requested 4, but already used 20 of 20 cores",
                         "code": 403}}, OverQuota, "Quota exceeded for cores"),
    (403, {"forbidden": {"message": "Policy doesn't allow x to be performed.", "code": 403}}, AccessDenied,
     "Policy doesn't allow"),
    (409, {"NeutronError": {"type": "IpAddressInUse", "message": "IP address 10.0.0.5 already allocated",
                            "detail": ""}}, ResourceConflict, "IP address 10.0.0.5 already allocated"),
    (503, "<html><body><h1>503 Service Unavailable</h1>\nNo server is available.\n</body></html>",
     ServiceUnavailable, "No server is available."),
])
def test_openstacksdk_errors_become_the_products_with_the_services_own_words(status, body, error_class, text):
    response = _response(status, body)
    response.request = requests.Request("POST", "http://cinder.test/v3/volumes").prepare()
    response.url = response.request.url
    try:
        sdk_exceptions.raise_from_response(response)
    except sdk_exceptions.SDKException as raised:
        error = from_sdk(raised, "Cinder refused it", "Cinder")
    assert isinstance(error, error_class)
    assert str(error).startswith("Cinder refused it: ")
    assert text in str(error) and f"(HTTP {status})" in str(error)
    assert error.status == status and error.request_id == "req-1" and error.service == "Cinder"


def test_unreachable_services_and_a_missing_catalog_entry_are_said_plainly():
    unreachable = from_sdk(ks_exceptions.ConnectFailure("Connection refused"), "Nova could not get server s1")
    assert isinstance(unreachable, ServiceUnavailable)  # worth a retry
    assert str(unreachable) == "Nova could not get server s1: the service cannot be reached (Connection refused)"
    missing = from_sdk(ks_exceptions.EndpointNotFound("no volumev3"), "Cinder is not usable")
    assert isinstance(missing, ConfigurationError) and "service catalog has no endpoint" in str(missing)
    not_found = from_sdk(sdk_exceptions.NotFoundException("No Volume found for v9"), "Cinder could not find v9")
    assert isinstance(not_found, ResourceNotFound) and not_found.status == 404


def test_a_wait_that_times_out_names_the_resource_and_its_status():
    with pytest.raises(ResourceTimeout) as raised:
        wait_for(lambda: {"status": "attaching"}, done=lambda v: v["status"] == "in-use",
                 status_of=lambda v: v["status"], what="Volume 3f2a", where=" on proxy backup-proxy-nova",
                 timeout=0.5, resource="volume", resource_id="3f2a", interval=0.1)
    assert str(raised.value) == "Volume 3f2a stuck in 'attaching' for 0 s on proxy backup-proxy-nova"
    assert (raised.value.resource_status, raised.value.resource_id) == ("attaching", "3f2a")


def test_a_wait_fails_at_once_on_an_error_status_and_rides_out_transient_failures():
    answers = iter([ServiceUnavailable("Cinder 503"), {"status": "creating"}, {"status": "error"}])

    def poll():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(ResourceFailed) as raised:
        wait_for(poll, done=lambda v: v["status"] == "available", status_of=lambda v: v["status"],
                 failed=lambda v: "Cinder reported an error" if v["status"] == "error" else None,
                 what="Snapshot s1", timeout=10, interval=0.01)
    assert str(raised.value) == "Snapshot s1 went to 'error': Cinder reported an error"


def test_a_wait_stops_when_the_job_is_cancelled():
    token = CancelToken("job-1")
    token.set()
    with pytest.raises(JobCancelled):
        wait_for(lambda: {"status": "creating"}, done=lambda v: False, status_of=lambda v: v["status"],
                 what="Volume v", timeout=10, cancel=token, interval=0.01)


class _FakeRedis:
    def __init__(self):
        self.keys = set()
        self.calls = 0

    def exists(self, key):
        self.calls += 1
        return key in self.keys


def test_the_cancel_key_is_looked_up_at_most_every_poll_interval():
    store = _FakeRedis()
    token = CancelToken("job-7", store, poll_interval=0.2)
    assert not token.is_set()
    store.keys.add(cancel_key("job-7"))
    assert not token.is_set()  # within the interval: no second lookup
    assert store.calls == 1
    import time

    time.sleep(0.25)
    assert token.is_set() and token.is_set()
    assert store.calls == 2  # once seen, it stays set without asking Redis again
    with pytest.raises(JobCancelled, match="Job job-7 was cancelled"):
        token.check()


def test_progress_is_throttled_and_reports_rate_percent_and_eta():
    now = [100.0]
    reports = []
    progress = ProgressReporter(reports.append, interval=1.0, clock=lambda: now[0])
    progress.set_total(400 * MIB)
    progress.step("read", "Reading volume v1")
    update = progress.volume_callback()
    update(0, 0, 200 * MIB)  # the step was just reported: not sent
    now[0] += 0.5
    update(50 * MIB, 1 * MIB, 200 * MIB)  # within the second: not sent
    now[0] += 0.6
    update(100 * MIB, 2 * MIB, 200 * MIB)
    assert [r["step"] for r in reports] == ["read", "read"]
    last = reports[-1]
    assert last["bytes_read"] == 100 * MIB and last["bytes_stored"] == 2 * MIB and last["bytes_total"] == 400 * MIB
    assert last["percent"] == 25.0
    assert last["rate"] == pytest.approx(100 * MIB / 1.1, rel=0.01)
    assert last["eta"] == pytest.approx(300 * MIB / (100 * MIB / 1.1), rel=0.01)
    progress.finish_volume(200 * MIB, 3 * MIB)  # the next volume counts on from there
    update(100 * MIB, 1 * MIB, 200 * MIB)
    assert progress.snapshot()["bytes_read"] == 300 * MIB and progress.snapshot()["bytes_stored"] == 4 * MIB


def test_after_the_last_byte_no_time_left_is_claimed():
    """An image-booted restore uploads to Glance after writing every byte: "0:00 left" there was a lie (issue 14)."""
    now = [0.0]
    progress = ProgressReporter(None, clock=lambda: now[0])
    progress.set_total(100 * MIB)
    update = progress.volume_callback()
    update(0, 0, 100 * MIB)
    now[0] += 2.0
    update(50 * MIB, 50 * MIB, 100 * MIB)
    assert progress.snapshot()["eta"] == pytest.approx(2.0, rel=0.01)
    progress.finish_volume(100 * MIB, 100 * MIB)
    progress.step("upload_image", "Uploading the backed-up root disk to Glance as a new image")
    now[0] += 30.0
    snapshot = progress.snapshot()
    assert (snapshot["percent"], snapshot["eta"], snapshot["step"]) == (100.0, None, "upload_image")


def test_a_failing_progress_sink_never_fails_the_job():
    def broken(_meta):
        raise ConnectionError("redis away")

    progress = ProgressReporter(broken)
    progress.step("read")  # no exception


def test_cleanup_problems_are_added_to_the_error_never_replacing_it():
    error = PipelineError("Volume v1 stuck in 'attaching' for 300 s")
    add_cleanup_report(error, ["volume v2: went to 'error_deleting'"])
    assert str(error) == ("Volume v1 stuck in 'attaching' for 300 s; cleanup left: volume v2: went to "
                          "'error_deleting' (tagged for the sweeper)")


def test_timeouts_come_from_the_environment():
    timeouts = Timeouts.from_environment({"STORAGE_BACKUP_TIMEOUT_ATTACH": "12.5"})
    assert timeouts.attach == 12.5 and timeouts.snapshot == Timeouts().snapshot


def test_a_root_disk_matches_its_image_only_when_it_is_still_that_image(tmp_path):
    repository = Repository.init(str(tmp_path / "repo"))
    image = os.urandom(3 * MIB + 1000)  # not a multiple of the block size
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as handle:  # the image, grown with zeros to the flavor's disk size
        handle.write(image)
        handle.truncate(16 * MIB)
    with repository.start_restore_point({"instance_id": "i1"}, {}) as writer:
        writer.backup_volume("root-disk", str(disk), strategy="full")
        point = repository.get_restore_point(writer.commit())
    entry = point.volume("root-disk")

    def pieces(data: bytes, size: int = 700_000):
        return (data[i:i + size] for i in range(0, len(data), size))

    assert disk_matches_image(repository, point, entry, pieces(image))
    changed = bytearray(image)
    changed[2 * MIB] ^= 1
    assert not disk_matches_image(repository, point, entry, pieces(bytes(changed)))
    assert not disk_matches_image(repository, point, entry, pieces(image[:-1]))
    assert not disk_matches_image(repository, point, entry, pieces(image + b"\1"))
    assert disk_matches_image(repository, point, entry, pieces(image + bytes(5000)))  # trailing zeros are the disk's


def test_a_missing_clouds_yaml_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        Cloud.connect("sandbox-service", str(tmp_path / "missing.yaml"))
