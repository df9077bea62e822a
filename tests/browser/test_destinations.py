# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Edit Destination on a Swift destination in a real Chromium against ``make demo``'s processes: the administrator
rotates its application credential (ID and secret, both or neither), which is never shown back, not in the form
that refused half of it, nor in the page after, nor when the form opens again; the audit names the new ID only."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.browser.support import backup_client, row_action

pytestmark = pytest.mark.browser

SUBMIT = ".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]"


def _assert_clean(report) -> None:
    assert not report.errors, "the page shows a problem:\n" + report.explain()


def test_an_admin_rotates_a_swift_credential_that_never_comes_back(browser_user, demo, demo_sandbox):
    admin_api = backup_client(demo, demo_sandbox, "admin")
    name = f"swift-browser-{uuid.uuid4().hex[:6]}"
    # Nothing reaches Keystone before a job runs: a port nobody listens on is enough for the form.
    destination = admin_api.destination_create(
        name=name, type="swift", path=f"swift://{name}?auth_url=http://127.0.0.1:9/v3",
        credentials={"application_credential_id": "browser-old-id", "application_credential_secret": "old-secret"})
    secret = "browser-rotated-secret-never-shown"
    try:
        admin = browser_user("admin")
        page = admin.page
        _assert_clean(admin.visit("/admin/backup_destinations/", "destinations-swift-01-listed"))
        row = page.locator(f"#destinations tr[data-object-id='{destination['id']}']")
        row_action(row, "Edit Destination")
        page.locator(".modal #id_swift_credential_id").wait_for(state="visible")
        modal = page.locator(".modal").inner_text()
        assert "New Application Credential Secret" in modal and "New Secret Key" not in modal
        # Nothing stored is shown: neither the ID nor, of course, the secret.
        assert page.locator(".modal #id_swift_credential_id").input_value() == ""
        assert "browser-old-id" not in page.content() and "old-secret" not in page.content()

        page.locator(".modal #id_swift_credential_secret").fill(secret)  # the secret alone: refused
        page.click(SUBMIT)
        page.locator(".modal .has-error").first.wait_for(state="visible", timeout=20_000)
        assert "Give both the application credential's ID and its secret" in page.locator(".modal").inner_text()
        assert secret not in page.content()
        assert page.locator(".modal #id_swift_credential_secret").input_value() == ""
        admin.screenshot("destinations-swift-02-half-refused")

        page.locator(".modal #id_swift_credential_id").fill("browser-new-id")
        page.locator(".modal #id_swift_credential_secret").fill(secret)
        page.click(SUBMIT)
        messages = page.locator(".alert-success")
        messages.first.wait_for(state="visible", timeout=20_000)
        assert f'Saved destination "{name}"' in " ".join(messages.all_inner_texts())
        assert secret not in page.content()

        _assert_clean(admin.visit("/admin/backup_destinations/", "destinations-swift-03-rotated"))
        row = page.locator(f"#destinations tr[data-object-id='{destination['id']}']")
        row_action(row, "Edit Destination")
        page.locator(".modal #id_swift_credential_id").wait_for(state="visible")
        assert page.locator(".modal #id_swift_credential_id").input_value() == ""
        assert secret not in page.content() and "browser-new-id" not in page.content()

        events = [event for event in admin_api.audit_events(all_projects=True, limit=200)
                  if event["target_id"] == destination["id"] and event["action"] == "destination.update"]
        assert events and "credentials replaced (application credential browser-new-id)" in events[0]["detail"]
        assert secret not in json.dumps(admin_api.audit_events(all_projects=True, limit=200))
    finally:
        admin_api.destination_delete(destination["id"])
