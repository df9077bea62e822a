# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Tenancy with genuine Keystone tokens: the REST API's keystonemiddleware validates every token against the genuine
Keystone (401 without one, with a forged one, and once Keystone revoked it), and the service layer keeps projects
apart with the roles Keystone put in the token (another project's objects are 404, a reader cannot act, an admin
sees every project only when asking for it).
"""
from __future__ import annotations

import time

import pytest
import requests

from tests.functional.e2e.support import expect_api_error, wait_until
from tests.genuine.instances import boot_from_image

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def demo_objects(stack):
    server = boot_from_image(stack, stack.connect("demo-member"), "tenancy-1")
    policy = stack.client().policy_create(name="tenancy", destination_id=stack.destination()["id"])
    stack.client().protect(server.id, policy["id"])
    return server, policy


def test_no_token_or_a_forged_one_is_refused_by_keystonemiddleware(stack):
    answer = requests.get(stack.api.url + "/v1/policies", timeout=30)
    assert answer.status_code == 401
    assert stack.cloud.auth_url.rsplit("/v3", 1)[0] in answer.headers["WWW-Authenticate"]
    forged = requests.get(stack.api.url + "/v1/policies", headers={"X-Auth-Token": "gAAAAAB-forged"}, timeout=30)
    assert forged.status_code == 401


def test_another_project_sees_nothing_of_demo(stack, demo_objects):
    server, policy = demo_objects
    alt = stack.client("alt-member")
    assert policy["id"] not in [p["id"] for p in alt.policy_list()]
    expect_api_error(404, alt.policy_get, policy["id"])
    # the instance is not alt's: what the service says of it is what it says of any unprotected instance
    assert "in this project" in expect_api_error(400, alt.backup_create, server.id).message
    assert all(job["instance_id"] != server.id for job in alt.job_list())


def test_a_reader_reads_but_cannot_act(stack, demo_objects):
    server, policy = demo_objects
    reader = stack.client("demo-reader")
    assert policy["id"] in [p["id"] for p in reader.policy_list()]
    expect_api_error(403, reader.backup_create, server.id)


def test_an_admin_sees_every_project_only_when_asking(stack, demo_objects):
    _server, policy = demo_objects
    admin = stack.client("admin")
    assert policy["id"] not in [p["id"] for p in admin.policy_list()]
    assert policy["id"] in [p["id"] for p in admin.policy_list(all_projects=True)]


def test_a_token_keystone_revoked_is_refused(stack):
    session = stack.session("demo-member")
    token = session.get_token()
    headers = {"X-Auth-Token": token}
    assert requests.get(stack.api.url + "/v1/policies", headers=headers, timeout=30).status_code == 200
    admin = stack.session("admin")
    revoked = requests.delete(stack.cloud.auth_url + "/auth/tokens", timeout=30,
                              headers={"X-Auth-Token": admin.get_token(), "X-Subject-Token": token})
    assert revoked.status_code == 204
    began = time.monotonic()  # keystonemiddleware caches a valid token for STORAGE_BACKUP_TOKEN_CACHE_SECONDS
    wait_until(lambda: requests.get(stack.api.url + "/v1/policies", headers=headers, timeout=30).status_code == 401,
               timeout=60, interval=1, what="the revoked token to be refused")
    assert time.monotonic() - began < 30
