# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The whole product (``tests.functional.e2e.support.Stack``, volumes as sparse files) backing up to an S3
destination on the tier's radosgw through the fault proxy: the object store goes away while the job uploads.
The job fails with a message naming the destination (no credential in it), the sweeper leaves no snapshot, volume
or attachment, no restore point appears, and the next backup succeeds (the engine's side: test_s3_faults.py)."""
from __future__ import annotations

import dataclasses
import urllib.parse
import uuid

import pytest
from storage_backup.repository import Repository, S3Destination

from tests.faults.matrix import check_actionable, points_of, protected_instance, write_guest_data
from tests.functional.e2e.support import Stack, wait_until
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.timeout(300)
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("s3-faults-stack")))
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture
def proxy(rgw):
    endpoint = urllib.parse.urlsplit(rgw.endpoint)
    with FaultProxy((endpoint.hostname, endpoint.port)) as proxy:
        yield proxy


def test_a_backup_job_when_the_object_store_goes_away(stack, rgw, proxy):
    settings = rgw.settings(f"sf-{uuid.uuid4().hex[:12]}", prefix="tenant", max_attempts=3, connect_timeout=1.0,
                            read_timeout=5.0)
    location = dataclasses.replace(settings, endpoint_url=proxy.endpoint).location
    secret = rgw.credentials.secret_key
    destination = stack.client("admin").destination_create(
        name="s3-faults", type="s3", path=location,
        credentials={"access_key": rgw.credentials.access_key, "secret_key": secret})
    policy = stack.client().policy_create(destination_id=destination["id"], name="s3-faults", strategy="incremental")
    server = protected_instance(stack, policy, "s3-gone", data_mib=8)
    first = stack.run_backup(server["id"], timeout=120)  # creates the bucket and the repository
    before = points_of(stack, server["id"])

    write_guest_data(stack, server, 8, offset_mib=16)
    proxy.refuse_after(2 * MiB)  # gone while the new data goes up
    job = stack.wait_job(stack.client().backup_create(server["id"])["id"], timeout=120)
    assert job["state"] == "failed", job
    check_actionable(job)
    # The destination named (as the control plane shows it to a project member: by its name), what failed, no key.
    assert "S3 destination <destination s3-faults> is unavailable" in job["error"], job["error"]
    assert "PutObject" in job["error"] or "UploadPart" in job["error"], job["error"]
    assert secret not in job["error"] and secret not in "\n".join(map(str, job.get("log") or [])), job
    wait_until(lambda: stack.leftovers() == {}, timeout=60, interval=0.5,
               what=f"the sweeper to remove what the job left: {stack.leftovers()}")
    assert points_of(stack, server["id"]) == before

    proxy.heal()
    following = stack.run_backup(server["id"], timeout=120)
    direct = S3Destination(settings, rgw.credentials)
    committed = {point.id for point in Repository.open(direct).list_restore_points()}
    assert {first["restore_point_id"], following["restore_point_id"]} <= committed
    assert stack.leftovers() == {}
