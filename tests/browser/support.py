# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the browser tests do the way a person does: pick in Horizon's themed dropdowns, read table rows, wait for a
job's live row, and ask the backup service's REST API (as that user) for what the page should show."""
from __future__ import annotations

import time

TERMINAL_STATES = ("Succeeded", "Failed", "Cancelled")


def choose(page, select: str, value: str | None = None, label: str | None = None) -> None:
    """Pick an option as a person does: in a plain <select>, or in Horizon's themed choice (a button and a menu over
    a hidden <select>) by opening it and clicking the option."""
    field = page.locator(select)
    if field.is_visible():
        if value is not None:
            field.select_option(value)
        else:
            field.select_option(label=field.locator("option", has_text=label).first.inner_text().strip())
        return
    group = field.locator("xpath=..")
    group.locator("button.dropdown-toggle").click()
    if value is not None:
        group.locator(f"ul.dropdown-menu a[data-select-value='{value}']").click()
    else:
        group.locator("ul.dropdown-menu a", has_text=label).first.click()


def data_cells(row) -> list[str]:
    """A Horizon table row's data cells (not the selection checkbox nor the actions)."""
    return [cell.strip() for cell in row.locator("td:not(.multi_select_column):not(.actions_column)").all_inner_texts()]


def row_action(row, name: str) -> None:
    """Click a row action, opening the row's action menu first when it is not the row's main button."""
    action = row.locator("a, button", has_text=name).first
    if not action.is_visible():
        row.locator(".dropdown-toggle").first.click()
    action.click()


def backup_client(demo, demo_sandbox, user: str):
    from storage_backup_dashboard.client import BackupClient

    return BackupClient(demo_sandbox.session(user), endpoint=demo.backup_api.removesuffix("/v1"))


def watch_job_row(page, timeout: float = 240) -> list[tuple[str, str]]:
    """Follow the job's row on its page (Horizon re-renders it in place) until the job ends: every (percent, state)
    seen, in order. The page must not reload meanwhile (checked with a marker on ``window``)."""
    page.evaluate("window.__storageBackupNoReload = true")
    seen: list[tuple[str, str]] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        row = page.locator("#jobs tbody tr").first
        progress = row.locator(".storage-backup-progress")
        if progress.count():
            state = data_cells(row)[2]
            observed = (progress.get_attribute("data-percent") or "", state)
            if not seen or seen[-1] != observed:
                seen.append(observed)
            if state in TERMINAL_STATES:
                break
        time.sleep(0.3)
    assert page.evaluate("window.__storageBackupNoReload === true"), \
        "the page reloaded: the row was not updated in place"
    return seen


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} within {timeout:.0f} s")
