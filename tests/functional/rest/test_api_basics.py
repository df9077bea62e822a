# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The REST API over HTTP with real Keystone tokens: public documents, 401s, 400s naming the field, CRUD."""
from __future__ import annotations

import pytest
import requests

from storage_backup_dashboard.client import BackupApiError

# Part of the catalog-heavy subset that tox's functional-postgresql and functional-mariadb run again there.
pytestmark = pytest.mark.catalog


def test_version_and_openapi_are_public(control_plane):
    version = requests.get(control_plane.url + "/v1/", timeout=10).json()
    assert version["id"] == "v1" and version["status"] == "CURRENT"
    document = requests.get(control_plane.url + "/v1/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.")
    assert "/v1/policies/{policy_id}" in document["paths"]
    assert document["components"]["securitySchemes"]["keystone"]["name"] == "X-Auth-Token"


def test_no_or_bad_token_is_401(control_plane):
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        response = requests.get(control_plane.url + "/v1/policies", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_validation_errors_name_the_field(control_plane):
    member = control_plane.client("demo-member")
    cases = [
        ({"destination_id": control_plane.destination_id}, "name"),
        ({"name": "p", "destination_id": control_plane.destination_id, "schedule": "every night"}, "schedule"),
        ({"name": "p", "destination_id": control_plane.destination_id, "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "p", "destination_id": "nope"}, "destination_id"),
        ({"name": "p", "destination_id": control_plane.destination_id, "window_start": "22:00"}, "window_end"),
        ({"name": "p", "destination_id": control_plane.destination_id, "keep_last": -1}, "keep_last"),
        ({"name": "p", "destination_id": control_plane.destination_id, "colour": "red"}, "colour"),
        ({"name": "p", "destination_id": control_plane.destination_id,
          "pre_command": {"command": "sync", "user": "root", "private_key": "k", "on_failure": "maybe"}},
         "pre_command.on_failure"),
        ({"name": "p", "destination_id": control_plane.destination_id,
          "pre_command": {"command": "sync", "user": "root", "private_key": "k"}}, "pre_command.known_hosts"),
    ]
    for body, field in cases:
        try:
            member.policy_create(**body)
        except BackupApiError as error:
            assert error.status == 400, (body, error)
            assert error.field == field, (body, error.field, error.message)
            assert field.split(".")[-1] in error.message or error.message
        else:
            raise AssertionError(f"{body} was accepted")


def test_policy_lifecycle_and_secrets_never_shown(control_plane):
    member = control_plane.client("demo-member")
    policy = member.policy_create(name="nightly", destination_id=control_plane.destination_id,
                                  schedule="0 2 * * *", timezone="Europe/Paris", keep_daily=7,
                                  pre_command={"command": "fsfreeze -f /data", "user": "ubuntu",
                                               "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
                                               "host_key_policy": "accept-new"})
    assert policy["project_id"] == control_plane.project_id("demo-member")
    assert policy["pre_command"]["private_key"] == "********"
    assert policy["next_run_at"]
    updated = member.policy_update(policy["id"], keep_daily=14, pre_command={**policy["pre_command"],
                                                                             "timeout": 30})
    assert updated["keep_daily"] == 14 and updated["pre_command"]["timeout"] == 30
    from storage_backup.catalog.models import Policy

    assert Policy.objects.get(pk=policy["id"]).pre_command["private_key"].startswith("-----BEGIN")  # key kept
    assert any(p["id"] == policy["id"] for p in member.policy_list())
    member.policy_delete(policy["id"])
    try:
        member.policy_get(policy["id"])
    except BackupApiError as error:
        assert error.status == 404
    else:
        raise AssertionError("deleted policy still readable")


def test_lists_paginate(control_plane):
    member = control_plane.client("demo-member")
    for index in range(3):
        member.policy_create(name=f"page-{index}", destination_id=control_plane.destination_id)
    page = member.request("GET", "/v1/policies", params={"limit": 2})
    assert len(page["results"]) == 2 and page["count"] >= 3 and page["next"]
    assert len(member.policy_list()) == page["count"]


def test_audit_log_records_who_what_result(control_plane):
    member = control_plane.client("demo-member")
    reader = control_plane.client("demo-reader")
    policy = member.policy_create(name="audited", destination_id=control_plane.destination_id)
    try:
        reader.policy_delete(policy["id"])
    except BackupApiError as error:
        assert error.status == 403
    events = member.audit_events(limit=20)
    created = next(e for e in events if e["action"] == "policy.create" and e["target_id"] == policy["id"])
    assert created["result"] == "success" and created["user_name"] == "demo-member"
    assert created["project_id"] == control_plane.project_id("demo-member")
    refused = next(e for e in events if e["action"] == "policy.delete" and e["target_id"] == policy["id"])
    assert refused["result"] == "failure" and refused["user_name"] == "demo-reader"
    alt_events = control_plane.client("alt-member").audit_events(limit=50)
    assert all(e["project_id"] == control_plane.project_id("alt-member") for e in alt_events)
