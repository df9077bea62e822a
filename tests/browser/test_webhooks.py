# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Webhooks panel in a real Chromium against ``make demo``'s processes: a member creates a webhook, reads its
signing secret once in the dialog that follows, finds it listed (never its secret again), replaces the secret (the
new one shown once too), and deletes it; the other project's member never sees it."""
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
