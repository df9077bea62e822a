# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a new user hit in the Backup panels (issue 14), in a real Chromium against ``make demo``'s processes:

- Create Policy with an invalid number on a tab not shown: the browser refused to send the form and said nothing;
  now that tab opens and the field says what is wrong;
- the Jobs list shows a job started elsewhere without a reload, and the job's page follows it to its end (the step
  log and the restore point made) without one either; Cancel asks to confirm.
"""
from __future__ import annotations

import pytest

from tests.browser.support import backup_client, wait_for

pytestmark = pytest.mark.browser


def _server_id(demo_sandbox, user: str, name: str) -> str:
    session = demo_sandbox.session(user)
    servers = session.get("/servers/detail", endpoint_filter={"service_type": "compute", "interface": "public"}).json()
    return next(server["id"] for server in servers["servers"] if server["name"] == name)


def test_an_invalid_number_on_a_hidden_policy_tab_opens_that_tab_and_says_why(browser_user):
    member = browser_user("demo-member")
    page = member.page
    report = member.visit("/project/backup_policies/", "defects-01-policies")
    assert not report.errors, report.explain()
    page.click("#policies__action_create")
    page.locator(".modal #id_name").fill("invalid-on-a-hidden-tab")
    page.locator(".modal #id_schedule").fill("0 3 * * *")
    retention_tab = page.locator(".modal a[href$='__retention']")
    assert retention_tab.locator("xpath=..").get_attribute("class") != "active"
    # what a person typed on that tab earlier, out of range (keep at least 0)
    page.evaluate("""() => { const field = document.querySelector('.modal #id_keep_daily');
                             field.value = '-3'; }""")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    field = page.locator(".modal #id_keep_daily")
    field.wait_for(state="visible", timeout=10_000)  # its tab is shown
    assert "active" in (retention_tab.locator("xpath=..").get_attribute("class") or "")
    message = page.locator(".modal .form-group:has(#id_keep_daily) .storage-backup-invalid")
    message.wait_for(state="visible", timeout=10_000)
    assert message.inner_text().strip(), "the field says what is wrong"
    assert page.locator(".modal").count() >= 1 and not page.locator(".alert-success").count()
    member.screenshot("defects-02-invalid-field-shown")
    field.fill("7")
    assert not message.count()  # fixed: the message goes
    page.locator(".modal .close, .modal [data-dismiss=modal]").first.click()


def test_the_jobs_list_and_the_job_page_follow_a_job_without_a_reload(browser_user, demo, demo_sandbox):
    member = browser_user("demo-member")
    page = member.page
    report = member.visit("/project/backup_jobs/", "defects-03-jobs")
    assert not report.errors, report.explain()
    page.evaluate("() => { window.__no_reload = true; }")  # gone if the page were loaded again
    client = backup_client(demo, demo_sandbox, "demo-member")
    job = client.backup_create(_server_id(demo_sandbox, "demo-member", "app-1"))
    row = page.locator(f"table#jobs tr[data-object-id='{job['id']}']")
    row.wait_for(state="attached", timeout=45_000)
    assert page.evaluate("() => window.__no_reload === true"), "the list was reloaded instead of refreshed"
    member.screenshot("defects-04-new-job-listed")
    cancel = row.locator("button[value$='__cancel__" + job["id"] + "']")
    if cancel.count():  # still running: cancelling asks first (Horizon's confirmation of btn-danger actions)
        assert "btn-danger" in (cancel.get_attribute("class") or "")

    page.goto(demo.url + f"/project/backup_jobs/{job['id']}/")
    page.evaluate("() => { window.__no_reload = true; }")
    made = page.locator(".storage-backup-restore-point-made")
    made.wait_for(state="visible", timeout=240_000)
    assert page.evaluate("() => window.__no_reload === true"), "the job page was reloaded"
    wait_for(lambda: "recorded" in page.locator(".storage-backup-job-log").inner_text(), 20,
             "the step log reaches the end of the job")
    done = client.job_get(job["id"])
    assert done["state"] == "succeeded", done
    assert made.inner_text().strip() == done["result"]["restore_point_id"]
    member.screenshot("defects-05-job-followed-to-its-end", full_page=True)
