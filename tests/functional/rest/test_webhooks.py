# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A webhook's ``events`` filter through the REST API: shown, set at creation, changed by PATCH with the other
fields, refused with a 400 naming ``events`` and listing what is allowed, described in the OpenAPI schema; another
project's hook stays a 404 to PATCH. (Deliveries that honour it: tests/functional/e2e/test_notifications.py.)"""
from __future__ import annotations

import uuid

import pytest
from storage_backup.catalog.models import Webhook

from storage_backup_dashboard.client import BackupApiError

URL = "https://hooks.example.com/filtered"


def _expect(status: int, call) -> BackupApiError:
    with pytest.raises(BackupApiError) as raised:
        call()
    assert raised.value.status == status, raised.value
    return raised.value


@pytest.fixture(scope="module", autouse=True)
def room_for_hooks(control_plane):
    """Earlier modules of the session (the tenancy matrix, the fuzzing) leave hooks in the demo projects, and a
    project may hold only ``STORAGE_BACKUP_WEBHOOK_MAX_PER_PROJECT``: theirs go, so that this module can make
    its own."""
    projects = [control_plane.project_id(user) for user in ("demo-member", "alt-member")]
    Webhook.objects.filter(project_id__in=projects).delete()


@pytest.fixture
def member_hook(control_plane):
    member = control_plane.client("demo-member")
    hook = member.webhook_create(URL, description=f"filtered-{uuid.uuid4().hex[:6]}", events=["backup.error"])
    yield hook
    Webhook.objects.filter(pk=hook["id"]).delete()


def test_a_hook_is_created_with_its_event_types_and_shows_them(control_plane, member_hook):
    member = control_plane.client("demo-member")
    assert member_hook["events"] == ["backup.error"]
    assert member.webhook_get(member_hook["id"])["events"] == ["backup.error"]
    assert [hook["events"] for hook in member.webhook_list() if hook["id"] == member_hook["id"]] == [["backup.error"]]
    everything = member.webhook_create(URL + "/all")  # no filter given: every event, as before the field existed
    try:
        assert everything["events"] == []
    finally:
        member.webhook_delete(everything["id"])


def test_unknown_event_types_are_refused_naming_the_field_and_what_is_allowed(control_plane, member_hook):
    member = control_plane.client("demo-member")
    before = Webhook.objects.count()
    for bad in (["backup.created"], ["backup.error", "prune.error"], ["*"], "backup.error", [7]):
        error = _expect(400, lambda bad=bad: member.webhook_create(URL + "/bad", events=bad))
        assert error.field == "events", (error.field, error.message)
        assert "backup.error" in error.message and "*.error" in error.message and "restore.*" in error.message
    assert Webhook.objects.count() == before  # nothing stored
    error = _expect(400, lambda: member.webhook_update(member_hook["id"], events=["backup.finished"]))
    assert error.field == "events" and "'backup.finished' is not an event type" in error.message
    assert member.webhook_get(member_hook["id"])["events"] == ["backup.error"]  # unchanged


def test_patch_changes_events_and_the_other_fields(control_plane, member_hook):
    member = control_plane.client("demo-member")
    updated = member.webhook_update(member_hook["id"], events=["*.error", "restore.*", "*.error"],
                                    description="errors and restores", enabled=False)
    assert (updated["events"], updated["description"], updated["enabled"]) == (
        ["*.error", "restore.*"], "errors and restores", False)  # a repeat is dropped, the order kept
    stored = Webhook.objects.get(pk=member_hook["id"])
    assert (stored.events, stored.enabled) == (["*.error", "restore.*"], False)
    # A PATCH without ``events`` leaves them; an empty list is every event again.
    assert member.webhook_update(member_hook["id"], enabled=True)["events"] == ["*.error", "restore.*"]
    assert member.webhook_update(member_hook["id"], events=["backup.cancel", "*.cancel"])["events"] == [
        "backup.cancel", "*.cancel"]  # someone cancelled it: a phase of its own
    assert member.webhook_update(member_hook["id"], events=[])["events"] == []
    assert Webhook.objects.get(pk=member_hook["id"]).events == []


def test_another_project_cannot_change_a_hook_filter(control_plane, member_hook):
    other = control_plane.client("alt-member")
    for fields in ({"events": []}, {"events": ["*.end"]}, {"enabled": False}):
        _expect(404, lambda fields=fields: other.webhook_update(member_hook["id"], **fields))
    _expect(404, lambda: other.webhook_get(member_hook["id"]))
    stored = Webhook.objects.get(pk=member_hook["id"])
    assert (stored.events, stored.enabled) == (["backup.error"], True)


def test_the_openapi_schema_lists_the_allowed_event_types(control_plane):
    schema = control_plane.client("demo-member").request("GET", "/v1/openapi.json")
    components = schema["components"]["schemas"]
    for name in ("Webhook", "WebhookCreated", "WebhookWriteRequest", "PatchedWebhookUpdateRequest"):
        events = components[name]["properties"]["events"]
        assert events["type"] == "array", name
        assert events["items"] == {"$ref": "#/components/schemas/WebhookEventTypeEnum"}, name
    allowed = components["WebhookEventTypeEnum"]["enum"]
    assert {"backup.error", "*.error", "restore.*", "verify.start", "backup.cancel", "*.cancel"} <= set(allowed)
    assert "prune.error" not in allowed and "*" not in allowed and "prune.cancel" not in allowed
    assert "events" in components["Webhook"]["required"]
    assert "events" not in components["WebhookWriteRequest"].get("required", [])
