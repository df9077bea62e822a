# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Backup panels as their users live them, in a real Chromium against ``make demo``'s processes: the embedded
cloud, Redis, a proxy worker per availability zone, the control plane and Horizon. Backups and restores run
through the real pipeline; nothing is mocked.

- the tenant: create a policy, protect the boot-from-volume ``web-1``, back it up now and watch the progress bar
  reach 100 %, restore it through the wizard into ``az2`` under a new name, find it in Horizon's Instances panel;
- the administrator: overview charts with data, both availability zones' proxies, destinations, the usage CSV;
- tenancy: the other project's member sees none of demo's policies, restore points or jobs, and a crafted URL to
  one of them is Horizon's not-found page;
- a user who switches Horizon to German reads the Backup panels in German.

Screenshots of every step and panel: test-artifacts/browser/.
"""
from __future__ import annotations

import csv
import io
import re
import time

import pytest

from storage_backup_dashboard.client import BackupApiError
from tests.browser.support import backup_client, choose, data_cells, row_action, wait_for, watch_job_row
from tests.support.instances import VOLUME

pytestmark = pytest.mark.browser

POLICY_NAME = "journey-nightly"
RESTORED_NAME = "web-1-journey"
VOLUME_NAME = "web-1-journey-disk"
PROJECT_PANELS = ("/project/protected_instances/", "/project/backup_policies/", "/project/restore_points/",
                  "/project/backup_jobs/")
ADMIN_PANELS = ("/admin/backup_overview/", "/admin/backup_proxies/", "/admin/backup_destinations/",
                "/admin/backup_jobs/", "/admin/restore_points/", "/admin/backup_policies/", "/admin/backup_usage/")


def _assert_clean(report) -> None:
    assert not report.errors, "the page shows a problem:\n" + report.explain()


def _server(demo_sandbox, user: str, name: str) -> dict:
    session = demo_sandbox.session(user)
    servers = session.get("/servers/detail", endpoint_filter={"service_type": "compute", "interface": "public"}).json()
    return next(server for server in servers["servers"] if server["name"] == name)


def _success_message(page) -> str:
    messages = page.locator(".alert-success")
    messages.first.wait_for(state="visible", timeout=20_000)
    return " ".join(messages.all_inner_texts())


@pytest.fixture(scope="module")
def demo_restore_point(demo, demo_sandbox):
    """A restore point of ``app-1`` (protected by the demo's own policy), made by the real pipeline through the
    REST API: the administrator's and the other project's views need one whatever ran before."""
    client = backup_client(demo, demo_sandbox, "demo-member")
    app = _server(demo_sandbox, "demo-member", "app-1")
    job = client.backup_create(app["id"])
    done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed", "cancelled") else None)(
        client.job_get(job["id"])), 240, "the backup of app-1 ended", interval=1)
    assert done["state"] == "succeeded", done
    return client.restore_point_get(done["result"]["restore_point_id"]), done


def test_tenant_protects_backs_up_and_restores_web_1(browser_user, demo, demo_sandbox):
    member = browser_user("demo-member")
    page = member.page

    # 1. a policy, through the workflow, with its schedule previewed as it is typed
    _assert_clean(member.visit("/project/backup_policies/", "journey-01-policies"))
    page.click("#policies__action_create")
    page.locator(".modal #id_name").fill(POLICY_NAME)
    page.locator(".modal #id_schedule").fill("0 3 * * *")
    page.locator(".modal #id_timezone").select_option("Europe/Berlin")
    wait_for(lambda: "Europe/Berlin" in page.locator(".modal .storage-backup-next-runs").inner_text(), 15,
             "the schedule preview shows the next runs", interval=0.3)
    runs = page.locator(".modal .storage-backup-next-runs li").all_inner_texts()
    assert len(runs) == 5 and all("03:00 (Europe/Berlin)" in run for run in runs), runs
    member.screenshot("journey-02-policy-schedule")
    page.click(".modal a[href$='__retention']")
    page.locator(".modal #id_keep_daily").fill("7")
    page.locator(".modal #id_keep_weekly").fill("4")
    page.click(".modal a[href$='__destination']")
    destination = page.locator(".modal #id_destination_id option").nth(1).get_attribute("value")
    choose(page, ".modal #id_destination_id", value=destination)
    member.screenshot("journey-03-policy-destination")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    assert f'Created policy "{POLICY_NAME}"' in _success_message(page)
    assert page.locator("#policies tbody tr", has_text=POLICY_NAME).count() == 1

    # 2. protect the boot-from-volume instance web-1 with it
    web = _server(demo_sandbox, "demo-member", "web-1")
    _assert_clean(member.visit("/project/protected_instances/", "journey-04-protected-instances"))
    row = page.locator(f"#protected_instances tr[data-object-id='{web['id']}']")
    row_action(row, "Assign Policy")
    page.locator(".modal #id_policy_id").wait_for(state="attached")
    choose(page, ".modal #id_policy_id", label=POLICY_NAME)
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    assert "now protected by the policy" in _success_message(page)
    row = page.locator(f"#protected_instances tr[data-object-id='{web['id']}']")
    assert data_cells(row)[4] == POLICY_NAME

    # 3. back it up now and watch the progress bar, updated in place, reach 100 %
    row.locator("a", has_text="Backup Now").click()
    page.locator(".modal #id_strategy").wait_for(state="attached")
    choose(page, ".modal #id_strategy", value="full")
    member.screenshot("journey-05-backup-now")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    page.wait_for_url("**/project/backup_jobs/*/", timeout=30_000)
    seen = watch_job_row(page)
    assert seen[-1] == ("100", "Succeeded"), seen
    assert seen[0][1] in ("Queued", "Running"), seen  # the page showed the job before it ended
    # the facts and the step log follow the row: the restore point made, and how it was made
    made = page.locator(".storage-backup-restore-point-made")
    made.wait_for(state="visible", timeout=15_000)
    member.screenshot("journey-06-backup-done", full_page=True)
    restore_point_id = made.inner_text().strip()
    assert "recorded" in page.locator(".storage-backup-job-log").inner_text()

    # 4. restore it through the wizard into az2 under a new name; the job's progress opens next
    _assert_clean(member.visit(f"/project/restore_points/?instance_id={web['id']}", "journey-07-restore-points"))
    assert "Restore points of instance web-1." in page.locator(".storage-backup-instance-filter").inner_text()
    row = page.locator(f"#restore_points tr[data-object-id='{restore_point_id}']")
    cells = data_cells(row)
    assert cells[0] == "web-1" and cells[2] == "Full" and cells[-1] == "Available", cells
    row.locator("a", has_text="Restore Instance").click()
    page.locator(".modal .storage-backup-restore-source").wait_for(state="attached")
    assert "web-1" in page.locator(".modal .storage-backup-restore-source").inner_text()
    member.screenshot("journey-08-wizard-source")
    page.click(".modal .button-next")
    assert page.locator(".modal input[name=mode][value=instance]").is_checked()
    page.click(".modal .button-next")
    page.locator(".modal #id_name").fill(RESTORED_NAME)
    choose(page, ".modal #id_availability_zone", value="az2")
    # each restored volume's name, shown as the default it gets; the last one is given a name of its own
    names = page.locator(".modal input[name^=volume_name_]")
    shown = [names.nth(index).input_value() for index in range(names.count())]
    assert shown and all(re.fullmatch(r".+ \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", name) for name in shown), shown
    names.nth(names.count() - 1).fill(VOLUME_NAME)
    member.screenshot("journey-09-wizard-target")
    page.click(".modal .button-next")
    review = page.locator(".modal .storage-backup-restore-review").inner_text()
    assert RESTORED_NAME in review and "az2" in review and "demo-net" in review, review
    assert VOLUME_NAME in review, review
    member.screenshot("journey-10-wizard-review")
    page.click(".modal .button-final")
    page.wait_for_url("**/project/backup_jobs/*/", timeout=30_000)
    seen = watch_job_row(page)
    assert seen[-1] == ("100", "Succeeded"), seen
    page.locator(".storage-backup-restored-instance").wait_for(state="visible", timeout=15_000)
    member.screenshot("journey-11-restore-done", full_page=True)

    # 5. the restored instance, in Horizon's stock Instances panel, in az2
    _assert_clean(member.visit("/project/instances/", "journey-12-instances"))
    row = page.locator("#instances tbody tr", has_text=RESTORED_NAME)
    assert row.count() == 1, page.locator("#instances tbody").inner_text()
    assert "az2" in row.inner_text()
    restored = _server(demo_sandbox, "demo-member", RESTORED_NAME)
    assert restored["OS-EXT-AZ:availability_zone"] == "az2" and restored["status"] == "ACTIVE"
    volumes = demo_sandbox.session("demo-member").get("/volumes/detail", endpoint_filter=VOLUME).json()["volumes"]
    attached = [v["name"] for v in volumes if any(a.get("server_id") == restored["id"] for a in v["attachments"])]
    assert VOLUME_NAME in attached, attached  # the name chosen in the wizard, as Cinder has it
    assert len(attached) == len(shown) and all(name == VOLUME_NAME or "(restored " in name for name in attached)

    # 6. the policy protects web-1: deleting it is refused, in words that say what to do
    report = member.visit("/project/backup_policies/", "journey-13-policies")
    _assert_clean(report)
    row = page.locator("#policies tbody tr", has_text=POLICY_NAME)
    row_action(row, "Delete Policy")
    page.locator(".modal .btn-danger").click()
    page.wait_for_load_state("load")
    refusal = page.locator(".alert-danger").first
    refusal.wait_for(state="visible", timeout=20_000)
    assert f"Policy '{POLICY_NAME}'" in refusal.inner_text()
    assert "still protects 1 instance(s); unassign them or move them to another policy first" in \
        refusal.inner_text(), refusal.inner_text()
    member.screenshot("journey-14-policy-in-use")
    assert page.locator("#policies tbody tr", has_text=POLICY_NAME).count() == 1


def test_admin_overview_proxies_destinations_and_usage_csv(browser_user, demo, demo_sandbox, demo_restore_point):
    admin = browser_user("admin")
    page = admin.page

    _assert_clean(admin.visit("/admin/backup_overview/", "admin-01-overview"))
    pies = page.locator(".pie-chart-distribution svg path.arc.inner")
    assert pies.count() >= 3, "the coverage, outcome and usage pies drew no slice"
    legends = page.locator(".storage-backup-coverage .legend").inner_text()
    assert "Protected" in legends, legends
    for chart in ("#storage-backup-jobs-chart", "#storage-backup-stored-chart"):
        assert page.locator(f"{chart} svg path").count() >= 1, f"{chart} drew no line"
    assert page.locator(".storage-backup-top-projects tbody tr", has_text="demo").count() == 1
    page.locator("a.btn", has_text="Last 30 days").click()
    page.wait_for_load_state("load")
    assert "days=30" in page.url

    counted = {proxy["hostname"]: (str(proxy["running_jobs"]), str(proxy["queue_depth"]))
               for proxy in backup_client(demo, demo_sandbox, "admin").proxy_list()}
    _assert_clean(admin.visit("/admin/backup_proxies/", "admin-02-proxies"))
    rows = [data_cells(row) for row in page.locator("#proxies tbody tr").all()]
    assert {cells[0]: cells[2] for cells in rows} == {"nova": "Up", "az2": "Up"}, rows
    # running jobs and the zone's queue, as the service counts them (nothing runs between the tests' jobs)
    assert {cells[1]: (cells[5], cells[7]) for cells in rows} == counted, (rows, counted)

    _assert_clean(admin.visit("/admin/backup_destinations/", "admin-03-destinations"))
    destinations = page.locator("#destinations tbody tr")
    assert destinations.count() >= 1
    cells = data_cells(destinations.first)
    # name, type, role, path, scope, encrypted, immutability, restore points, …
    assert cells[2] == "Primary" and cells[3] == demo.endpoints["repository"] and int(cells[7]) >= 1, cells

    _assert_clean(admin.visit("/admin/backup_usage/", "admin-04-usage"))
    with page.expect_download() as download_info:
        page.click("#usage__action_csv")
    download = download_info.value
    assert download.suggested_filename.startswith("backup-usage-") and download.suggested_filename.endswith(".csv")
    table = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert table[0] == ["Project Name", "Project ID", "Protected Instances", "Restore Points", "Stored Bytes",
                        "Stored GiB"]
    demo_row = next(row for row in table[1:] if row[0] == "demo")
    assert int(demo_row[2]) >= 2 and int(demo_row[3]) >= 1 and int(demo_row[4]) > 0, demo_row


def test_other_project_sees_nothing_of_demo(browser_user, demo, demo_sandbox, demo_restore_point):
    point, job = demo_restore_point
    demo_policy = backup_client(demo, demo_sandbox, "demo-member").policy_list()[0]
    other = browser_user("alt-member")
    page = other.page
    for path, table in (("/project/backup_policies/", "policies"), ("/project/restore_points/", "restore_points"),
                        ("/project/backup_jobs/", "jobs")):
        _assert_clean(other.visit(path, f"tenancy-alt-{table}"))
        shown = page.locator(f"#{table} tbody").inner_text()
        for name in ("web-1", "app-1", demo_policy["name"], POLICY_NAME):
            assert name not in shown, f"{name} shown to alt-member on {path}"
    for path in (f"/project/backup_policies/{demo_policy['id']}/", f"/project/restore_points/{point['id']}/",
                 f"/project/restore_points/{point['id']}/restore/", f"/project/backup_jobs/{job['id']}/"):
        report = other.visit(path, "tenancy-alt-crafted-url")
        assert report.title.strip().startswith("Page Not Found"), (path, report.title)


def test_a_user_who_picks_german_reads_the_backup_panels_in_german(browser_user):
    reader = browser_user("demo-reader")
    page = reader.page
    _assert_clean(reader.visit("/settings/", "language-01-settings"))
    if page.locator("#id_language").is_visible():
        page.locator("#id_language").select_option("de")
    else:
        choose(page, "#id_language", value="de")
    page.locator("form", has=page.locator("#id_language")).locator("[type=submit]").click()
    page.wait_for_load_state("load")
    time.sleep(0.5)
    report = reader.visit("/project/backup_jobs/", "language-02-jobs-de")
    _assert_clean(report)
    sidebar = page.locator("#sidebar-accordion").inner_text()
    for text in ("Datensicherung", "Geschützte Instanzen", "Richtlinien", "Wiederherstellungspunkte", "Aufträge"):
        assert text in sidebar, (text, sidebar)
    assert page.locator(".page-header h1").inner_text().strip() == "Aufträge"
    headers = page.locator("#jobs thead th").all_inner_texts()
    assert {"Instanz", "Zustand", "Fortschritt"} <= {header.strip() for header in headers}, headers
    _assert_clean(reader.visit("/project/protected_instances/", "language-03-protected-instances-de"))
    assert page.locator(".page-header h1").inner_text().strip() == "Geschützte Instanzen"
    # a reader only reads: no action that changes anything
    assert page.locator("a, button", has_text="Jetzt sichern").count() == 0
    assert page.locator("a, button", has_text="Richtlinie zuweisen").count() == 0


@pytest.mark.parametrize("path", PROJECT_PANELS)
def test_every_project_panel_renders_cleanly(browser_user, path):
    name = "panel-project-" + path.strip("/").split("/")[-1]
    _assert_clean(browser_user("demo-member").visit(path, name))


@pytest.mark.parametrize("path", ADMIN_PANELS)
def test_every_admin_panel_renders_cleanly(browser_user, path, demo_restore_point):
    name = "panel-admin-" + path.strip("/").split("/")[-1]
    _assert_clean(browser_user("admin").visit(path, name))


def test_an_admin_makes_an_s3_destination_whose_keys_never_come_back(browser_user, demo_restore_point):
    """The type switches the form to S3's fields (Horizon's switchable fields, in a real browser); the location is
    composed from them; the secret key is never rendered again, not in the table nor in the edit form."""
    admin = browser_user("admin")
    page = admin.page
    secret = "browser-secret-never-shown"
    _assert_clean(admin.visit("/admin/backup_destinations/", "admin-05-destinations-before-s3"))
    page.click("#destinations__action_create")
    page.locator(".modal #id_type").wait_for(state="attached")
    assert page.locator(".modal #id_s3_bucket").is_hidden() and page.locator(".modal #id_path").is_visible()
    choose(page, ".modal #id_type", value="s3")
    wait_for(lambda: page.locator(".modal #id_s3_bucket").is_visible(), 10, "the S3 fields show", interval=0.2)
    assert page.locator(".modal #id_path").is_hidden()
    page.locator(".modal #id_name").fill("s3-browser")
    page.locator(".modal #id_s3_endpoint").fill("http://127.0.0.1:9")
    page.locator(".modal #id_s3_bucket").fill("browser-bucket")
    page.locator(".modal #id_s3_prefix").fill("tenants")
    page.locator(".modal #id_s3_region").fill("default")
    # Horizon's themed checkbox: the input is hidden behind its label, which is what a person clicks.
    page.locator(".modal label[for='id_s3_path_style']").click()
    assert page.locator(".modal #id_s3_path_style").is_checked()
    page.locator(".modal #id_s3_access_key").fill("BROWSERACCESSKEY")
    page.locator(".modal #id_s3_secret_key").fill(secret)
    admin.screenshot("admin-06-create-s3-destination")
    page.click(".modal .modal-footer input[type=submit], .modal .modal-footer button[type=submit]")
    assert 'Created destination "s3-browser"' in _success_message(page)
    row = page.locator("#destinations tbody tr", has_text="s3-browser")
    assert row.count() == 1
    cells = data_cells(row)
    assert cells[1] == "S3" and cells[3].startswith("s3://browser-bucket/tenants?endpoint=http://127.0.0.1:9"), cells
    assert secret not in page.content()
    row_action(row, "Edit Destination")
    page.locator(".modal #id_s3_secret_key").wait_for(state="attached")
    assert "New Secret Key" in page.locator(".modal").inner_text()
    assert secret not in page.content() and page.locator(".modal #id_s3_secret_key").input_value() == ""


def test_file_listings_stay_out_of_the_jobs_list_until_asked_for(browser_user, demo, demo_sandbox,
                                                                 demo_restore_point):
    """Each folder opened in Browse Files is a ``file_browse`` job: the Jobs list leaves them out until *Show File
    Listings* is pressed."""
    point, _backup = demo_restore_point
    client = backup_client(demo, demo_sandbox, "demo-member")
    try:
        client.file_list(point["id"], point["volumes"][0]["volume_id"], "/")
    except BackupApiError:
        pass  # a disk without a filesystem the readers know: its listing job is there all the same
    listing = client.job_list(type="file_browse", limit=1)[0]
    member = browser_user("demo-member")
    page = member.page
    _assert_clean(member.visit("/project/backup_jobs/", "quiet-01-jobs-without-listings"))
    row = f"table#jobs tr[data-object-id='{listing['id']}']"
    assert page.locator(row).count() == 0
    assert page.locator("#jobs tbody tr[data-object-id]").count() > 0  # the other jobs are there
    page.locator("#jobs__action_file_listings").click()
    page.wait_for_load_state("load")
    page.locator(row).wait_for(state="attached", timeout=15_000)
    assert "Hide File Listings" in page.locator("#jobs__action_file_listings").inner_text()
    member.screenshot("quiet-02-jobs-with-listings")


def test_restore_a_volume_left_with_the_name_shown_gets_the_default(browser_user, demo, demo_sandbox,
                                                                    demo_restore_point):
    """Restore a Volume shows the default name of the volume chosen; left as it is, the proxy writes it, with the time
    the volume was actually restored."""
    point, _backup = demo_restore_point
    member = browser_user("demo-member")
    page = member.page
    _assert_clean(member.visit(f"/project/restore_points/{point['id']}/restore_volume/", "names-01-restore-volume"))
    shown = page.locator("#id_name").input_value()
    assert re.fullmatch(r"app-1-root \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", shown), shown
    page.click("#restore_volume_form [type=submit]")
    page.wait_for_url("**/project/backup_jobs/*/", timeout=30_000)
    job_id = page.url.rstrip("/").split("/")[-1]
    client = backup_client(demo, demo_sandbox, "demo-member")
    done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed", "cancelled") else None)(
        client.job_get(job_id)), 240, "the volume restore ended", interval=1)
    assert done["state"] == "succeeded", done
    volume = demo_sandbox.session("demo-member").get(f"/volumes/{done['result']['volume_id']}",
                                                     endpoint_filter=VOLUME).json()["volume"]
    assert re.fullmatch(r"app-1-root \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", volume["name"]), volume["name"]
