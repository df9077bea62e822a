# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``GET /v1/jobs?exclude_type=``: the Jobs panels leave out the ``file_browse`` jobs Browse Files makes (one per
folder opened). Over HTTP with real Keystone tokens against the real API process: the default stays every type
(automation relies on it), an unknown type is a 400 naming the parameter, and the filter only ever narrows what the
caller's project sees."""
from __future__ import annotations

import uuid

import pytest
from storage_backup.catalog.models import Destination, Job

from storage_backup_dashboard.client import BackupApiError

pytestmark = pytest.mark.catalog


@pytest.fixture
def two_projects(control_plane):
    """A backup and a file listing in the demo project and in the alt project, all of one instance name."""
    destination = Destination.objects.get(pk=control_plane.destination_id)
    name = f"quiet-{uuid.uuid4().hex[:8]}"
    jobs = {}
    for user in ("demo-member", "alt-member"):
        project = control_plane.project_id(user)
        for job_type in ("backup", "file_browse", "verify"):
            jobs[user, job_type] = Job.objects.create(
                type=job_type, project_id=project, instance_id=str(uuid.uuid4()), instance_name=name,
                state="succeeded", destination=destination).id
    return name, jobs


def listed(client, name: str, **params) -> set[str]:
    return {job["id"] for job in client.request("GET", "/v1/jobs", params={"instance_name": name, **params})[
        "results"]}


def test_file_listings_are_left_out_when_asked_and_listed_by_default(control_plane, two_projects):
    name, jobs = two_projects
    member = control_plane.client("demo-member")
    demo = {jobs["demo-member", kind] for kind in ("backup", "file_browse", "verify")}
    assert listed(member, name) == demo  # the default: every type, as before
    assert listed(member, name, exclude_type="file_browse") == demo - {jobs["demo-member", "file_browse"]}
    # several types, spaces and empty items tolerated
    assert listed(member, name, exclude_type=" file_browse, verify,") == {jobs["demo-member", "backup"]}
    assert listed(member, name, exclude_type="") == demo
    # with type= as well: the two narrow together
    assert listed(member, name, type="file_browse", exclude_type="verify") == {jobs["demo-member", "file_browse"]}
    assert not listed(member, name, type="file_browse", exclude_type="file_browse")


def test_the_filter_never_widens_what_a_project_sees(control_plane, two_projects):
    name, jobs = two_projects
    alt_jobs = {job_id for (user, _kind), job_id in jobs.items() if user == "alt-member"}
    for user in ("demo-member", "demo-reader"):
        client = control_plane.client(user)
        for excluded in ("file_browse", "backup", "backup,verify", "backup,file_browse,verify"):
            seen = listed(client, name, exclude_type=excluded)
            assert not seen & alt_jobs, (user, excluded)
            # a member asking for every project gets its own project's jobs only, filter or not
            assert not listed(client, name, exclude_type=excluded, all_projects="1") & alt_jobs
    alt = listed(control_plane.client("alt-member"), name, exclude_type="file_browse")
    assert alt == alt_jobs - {jobs["alt-member", "file_browse"]}
    # an administrator across projects: both projects' jobs, less the listings
    admin = listed(control_plane.client("admin"), name, exclude_type="file_browse", all_projects="1")
    assert admin == {job_id for (_user, kind), job_id in jobs.items() if kind != "file_browse"}


@pytest.mark.parametrize("value", ["teleport", "file_browse,teleport", "FILE_BROWSE", "file browse"])
def test_an_unknown_type_is_a_400_naming_the_parameter(control_plane, value):
    with pytest.raises(BackupApiError) as raised:
        control_plane.client("demo-member").request("GET", "/v1/jobs", params={"exclude_type": value})
    assert (raised.value.status, raised.value.field) == (400, "exclude_type"), raised.value.message
    assert "file_browse" in raised.value.message  # the message lists what is allowed
