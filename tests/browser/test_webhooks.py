# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Webhooks panel in a real Chromium against ``make demo``'s processes: a member creates a webhook, reads its
signing secret once in the dialog that follows, finds it listed (never its secret again), replaces the secret (the
new one shown once too), edits it down to some events and disables it, enables it again, and deletes it; the other
project's member never sees it."""
from __future__ import annotations

import pytest

from tests.browser.support import backup_client, row_action, wait_for

pytestmark = pytest.mark.browser

URL = "https://hooks.example.com/browser-journey"


def _assert_clean(report) -> None:
    assert not report.errors, "the page shows a problem:\n" + report.explain()


def test_a_member_creates_sees_the_secret_once_and_deletes_a_webhook(browser_user, demo, demo_sandbox):
    member = browser_user("demo-member")
    page = member.page
    _assert_clean(member.visit("/project/backup_webhooks/", "webhooks-01-empty"))
    assert page.locator("#sidebar-accordion a", has_text="Webhooks").count() >= 1

    page.click("a#webhooks__action_create")
    page.locator(".modal #id_url").fill(URL)
    page.locator(".modal #id_description").fill("journey")
    member.screenshot("webhooks-02-create")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    secret_field = page.locator(".storage-backup-webhook-secret")
    secret_field.wait_for(state="visible", timeout=20_000)
    secret = secret_field.input_value()
    assert secret.startswith("whsec_") and len(secret) > 40
    assert "X-Storage-Backup-Signature" in page.locator("#webhook_created_modal").inner_text()
    member.screenshot("webhooks-03-secret-once")
    [hook] = [h for h in backup_client(demo, demo_sandbox, "demo-member").webhook_list() if h["url"] == URL]

    page.click("#webhook_created_modal a.btn-primary")
    page.wait_for_load_state("load")
    report = member.visit("/project/backup_webhooks/", "webhooks-04-listed")
    _assert_clean(report)
    row = page.locator(f"#webhooks tr[data-object-id='{hook['id']}']")
    assert row.count() == 1 and URL in row.inner_text() and "journey" in row.inner_text()
    assert secret not in page.content()

    row_action(row, "New Secret")
    page.locator(".modal #id_url").wait_for(state="attached")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    renewed_field = page.locator(".storage-backup-webhook-secret")
    renewed_field.wait_for(state="visible", timeout=20_000)
    renewed = renewed_field.input_value()
    assert renewed.startswith("whsec_") and renewed != secret
    member.screenshot("webhooks-05-new-secret")
    page.click("#webhook_created_modal a.btn-primary")
    page.wait_for_load_state("load")
    _assert_clean(member.visit("/project/backup_webhooks/", "webhooks-06-after-new-secret"))
    assert renewed not in page.content()
    row = page.locator(f"#webhooks tr[data-object-id='{hook['id']}']")
    assert "All events" in row.inner_text()

    row_action(row, "Edit Webhook")
    page.locator(".modal #id_description").wait_for(state="visible")
    assert page.locator(".modal #id_url").input_value() == URL and page.locator(".modal #id_enabled").is_checked()
    page.locator(".modal #id_description").fill("failures and ends")
    for value in ("backup.end", "*.error"):
        box = page.locator(f".modal input[name=events][value='{value}']")
        # Horizon's themed checkbox: the input is hidden behind its label, which is what a person clicks.
        page.locator(f".modal label[for='{box.get_attribute('id')}']").click()
        assert box.is_checked()
    page.locator(".modal label[for='id_enabled']").click()
    assert not page.locator(".modal #id_enabled").is_checked()
    member.screenshot("webhooks-06a-edit")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    page.wait_for_load_state("load")
    wait_for(lambda: "Any job failed" in page.locator(f"#webhooks tr[data-object-id='{hook['id']}']").inner_text(),
             20, "the edited webhook's events in its row")
    stored = backup_client(demo, demo_sandbox, "demo-member").webhook_get(hook["id"])
    assert (stored["events"], stored["enabled"], stored["description"]) == (
        ["backup.end", "*.error"], False, "failures and ends")
    _assert_clean(member.visit("/project/backup_webhooks/", "webhooks-06b-edited"))
    row = page.locator(f"#webhooks tr[data-object-id='{hook['id']}']")
    assert "Backup succeeded, Any job failed" in row.inner_text()
    row_action(row, "Enable Webhook")
    page.wait_for_load_state("load")
    wait_for(lambda: backup_client(demo, demo_sandbox, "demo-member").webhook_get(hook["id"])["enabled"], 20,
             "the webhook to be enabled again")
    _assert_clean(member.visit("/project/backup_webhooks/", "webhooks-06c-enabled"))
    row = page.locator(f"#webhooks tr[data-object-id='{hook['id']}']")

    other = browser_user("alt-member")
    _assert_clean(other.visit("/project/backup_webhooks/", "webhooks-07-other-project"))
    assert URL not in other.page.content()

    row_action(row, "Delete Webhook")
    page.locator(".modal .btn-danger").click()
    page.wait_for_load_state("load")
    wait_for(lambda: page.locator(f"#webhooks tr[data-object-id='{hook['id']}']").count() == 0, 20,
             "the deleted webhook to leave the table")
    member.screenshot("webhooks-08-deleted")
    assert [h for h in backup_client(demo, demo_sandbox, "demo-member").webhook_list() if h["url"] == URL] == []
