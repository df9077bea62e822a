# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Stock Horizon pages and the plugin's panel, in a real headless Chromium, against the embedded cloud.

A page passes when a person would see nothing wrong: no Horizon error message, no JavaScript console error, no
uncaught exception, no error page. Screenshots: test-artifacts/browser/.
"""
from __future__ import annotations

import pytest

from tests.browser.support import backup_client, data_cells

pytestmark = pytest.mark.browser


def _servers(sandbox, user: str) -> list[dict]:
    session = sandbox.session(user)
    response = session.get("/servers/detail", endpoint_filter={"service_type": "compute", "interface": "public"})
    return response.json()["servers"]


def _volume_names(sandbox, user: str) -> dict[str, str]:
    session = sandbox.session(user)
    response = session.get("/volumes/detail", endpoint_filter={"service_type": "block-storage", "interface": "public"})
    return {volume["id"]: volume["name"] or volume["id"] for volume in response.json()["volumes"]}


def _assert_clean(report) -> None:
    assert not report.errors, "the page shows a problem:\n" + report.explain()


def test_login_page_renders_and_logs_in(browser_user):
    member = browser_user("demo-member")
    _assert_clean(member.login_report)
    assert "/auth/login" not in member.page.url


@pytest.mark.parametrize(("path", "artifact"), [
    ("/project/", "project-overview"),
    ("/project/instances/", "project-instances"),
    ("/project/volumes/", "project-volumes"),
    ("/project/snapshots/", "project-snapshots"),
    ("/project/images", "project-images"),
    # beyond the list: the rest of what a project member browses daily
    ("/project/key_pairs/", "project-key-pairs"),
    ("/project/networks/", "project-networks"),
    ("/project/routers/", "project-routers"),
    ("/project/security_groups/", "project-security-groups"),
    ("/project/floating_ips/", "project-floating-ips"),
])
def test_stock_project_pages_render_cleanly(browser_user, path, artifact):
    _assert_clean(browser_user("demo-member").visit(path, artifact))


def test_instance_detail_renders_cleanly(browser_user, demo_sandbox):
    assert _servers(demo_sandbox, "demo-member"), "the demo seed has no instance in project demo"
    member = browser_user("demo-member")
    _assert_clean(member.visit("/project/instances/", "instance-list-for-detail"))
    report = member.click_through("#instances a[href*='/project/instances/'][href$='/']", "instance-detail")
    _assert_clean(report)
    assert "/project/instances/" in report.url and report.url.rstrip("/") != member.horizon.url + "/project/instances"


def test_volume_detail_renders_cleanly(browser_user):
    member = browser_user("demo-member")
    _assert_clean(member.visit("/project/volumes/", "volume-list-for-detail"))
    report = member.click_through("#volumes a[href*='/project/volumes/'][href$='/']", "volume-detail")
    _assert_clean(report)
    assert "/project/volumes/" in report.url


def test_admin_sees_identity_projects(browser_user):
    report = browser_user("admin").visit("/identity/", "identity-projects")
    _assert_clean(report)
    page = browser_user("admin").page
    for project in ("admin", "service", "demo", "alt"):
        assert page.locator("#tenants td", has_text=project).count() >= 1, f"project {project} not listed"


def _protections(demo, demo_sandbox, user: str) -> dict[str, str]:
    """Instance ID -> policy name, as the backup service's REST API tells this user."""
    client = backup_client(demo, demo_sandbox, user)
    policies = {policy["id"]: policy["name"] for policy in client.policy_list()}
    return {entry["instance_id"]: policies.get(entry["policy_id"], "")
            for entry in client.protected_instance_list()}


def test_demo_member_sees_the_backup_group_and_protected_instances(browser_user, demo_sandbox, demo):
    servers = _servers(demo_sandbox, "demo-member")
    assert servers, "the demo seed has no instance in project demo"
    protections = _protections(demo, demo_sandbox, "demo-member")
    member = browser_user("demo-member")
    report = member.visit("/project/protected_instances/", "protected-instances-demo")
    _assert_clean(report)
    page = member.page
    assert page.locator("#sidebar-accordion a", has_text="Backup").count() == 1
    for panel in ("Protected Instances", "Policies", "Restore Points", "Jobs"):
        assert page.locator("#sidebar-accordion a", has_text=panel).count() >= 1, panel
    rows = page.locator("#protected_instances tbody tr")
    names = sorted(data_cells(row)[0] for row in rows.all())
    assert names == sorted(server["name"] for server in servers)
    volume_names = _volume_names(demo_sandbox, "demo-member")
    for server in servers:
        row = page.locator(f"#protected_instances tr[data-object-id='{server['id']}']")
        assert row.count() == 1
        cells = data_cells(row)
        attached = [volume_names[volume["id"]] for volume in server["os-extended-volumes:volumes_attached"]]
        assert cells[:5] == [server["name"], server["OS-EXT-AZ:availability_zone"], server["status"].title(),
                             ", ".join(attached) or "-", protections.get(server["id"]) or "Not protected"]


def test_alt_member_does_not_see_demo_instances(browser_user, demo_sandbox):
    demo_names = {server["name"] for server in _servers(demo_sandbox, "demo-member")}
    alt_servers = _servers(demo_sandbox, "alt-member")
    assert demo_names and alt_servers, "the demo seed has instances in both demo and alt"
    member = browser_user("alt-member")
    report = member.visit("/project/protected_instances/", "protected-instances-alt")
    _assert_clean(report)
    rows = member.page.locator("#protected_instances tbody tr")
    shown = {data_cells(row)[0] for row in rows.all()}
    assert shown == {server["name"] for server in alt_servers}
    assert not shown & demo_names


def _set_page_size(user, size: int) -> int:
    """Horizon's own "Items Per Page" user setting; the size it had before."""
    page = user.page
    _assert_clean(user.visit("/settings/", f"settings-page-size-{size}"))
    before = int(page.locator("#id_pagesize").input_value())
    page.locator("#id_pagesize").fill(str(size))
    page.locator("form", has=page.locator("#id_pagesize")).locator("[type=submit]").click()
    page.wait_for_load_state("load")
    return before


def test_paged_tables_show_horizon_page_menu_over_the_service_count(browser_user, demo, demo_sandbox):
    """Three policies of the alt project, one a page: Horizon's page menu (numbers, next, last) over the count the
    service gives, each page asked of the service, every policy on exactly one page."""
    client = backup_client(demo, demo_sandbox, "alt-member")
    destination = client.destination_list()[0]
    created = [client.policy_create(name=f"paging-{n}", destination_id=destination["id"]) for n in range(3)]
    member = browser_user("alt-member")
    page = member.page
    before = _set_page_size(member, 1)
    try:
        expected = sorted(policy["name"] for policy in client.policy_list())
        assert len(expected) >= 3, expected
        _assert_clean(member.visit("/project/backup_policies/", "paging-01-first-page"))
        menu = page.locator("#policies tfoot")
        assert page.locator("#policies tbody tr").count() == 1
        numbers = [text.replace("\xa0", "").strip() for text in menu.locator("a, span:not(.table_count):not(.spacer)")
                   .all_inner_texts() if text.replace("\xa0", "").strip().isdigit()]
        assert numbers == [str(n) for n in range(1, len(expected) + 1)], numbers
        menu.locator("a", has_text="Next").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("?page=2"), page.url
        member.screenshot("paging-02-second-page", full_page=True)
        menu.locator("a", has_text="Last").click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"?page={len(expected)}"), page.url
        assert menu.locator("a", has_text="Next").count() == 0 and menu.locator("a", has_text="First").count() == 1
        member.screenshot("paging-03-last-page", full_page=True)
        seen = []
        for number in range(1, len(expected) + 1):
            _assert_clean(member.visit(f"/project/backup_policies/?page={number}", f"paging-page-{number}"))
            seen += [data_cells(row)[0] for row in page.locator("#policies tbody tr").all()]
        assert sorted(seen) == expected
    finally:
        _set_page_size(member, before)
        for policy in created:
            client.policy_delete(policy["id"])
