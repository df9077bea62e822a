"""Real-browser fixtures: a private Redis, the embedded cloud with the demo seed, Horizon with the plugin, and
Debian's Chromium driven by Playwright (headless, never a downloaded browser).

Each user logs in through Horizon's login page in a browser profile of their own (a new, empty user-data-dir).
``BrowserUser.visit`` opens a page and collects what would tell a person something is wrong: Horizon's error
messages, JavaScript console errors, uncaught exceptions, an error page. A screenshot of every page visited goes to
``test-artifacts/browser/``; when a page fails, the embedded cloud's log lines for requests it could not serve
(``UNROUTED``, 4xx, 5xx) are part of the failure message.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field

import pytest

from backend.launch import REPO_ROOT, HorizonProcess
from backend.sandbox.seed import user as sandbox_user

CHROMIUM = os.environ.get("STORAGE_BACKUP_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = os.path.join(REPO_ROOT, "test-artifacts", "browser")
# Horizon's messages: toasts (".alert-danger") and the inline error of a failed form.
ERROR_SELECTOR = ".alert-danger, .alert-error, .messages .error"
SANDBOX_TROUBLE = re.compile(r"UNROUTED| -> [45]\d\d ")
# Failed loads stock Horizon makes on purpose and handles itself. The Angular tables resolve an image's owner with
# keystone.getProjectName, which expects a 403 from Keystone for another project ("callers may legitimately lack
# visibility into other projects under strict RBAC") and shows the id instead; Chromium still logs the 403.
EXPECTED_FAILED_LOADS = (
    (403, re.compile(r"/api/keystone/projects/[0-9a-f]+$")),
)


@pytest.fixture(scope="session")
def horizon(demo_sandbox, redis_server, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: tools/bootstrap.sh installs Debian's chromium")
    state = tmp_path_factory.mktemp("horizon")
    # the broker for the plugin's calls into the backup service, as they land
    with HorizonProcess(str(state), demo_sandbox.auth_url,
                        extra_env={"STORAGE_BACKUP_BROKER_URL": redis_server.url}).start() as process:
        yield process


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@dataclass
class PageReport:
    url: str
    title: str
    errors: list[str] = field(default_factory=list)
    sandbox_lines: list[str] = field(default_factory=list)
    screenshot: str = ""

    def explain(self) -> str:
        lines = [f"{self.url} ({self.title!r}); screenshot {self.screenshot}"] + [f"  - {e}" for e in self.errors]
        if self.sandbox_lines:
            lines.append("  embedded cloud log:")
            lines += [f"    {line}" for line in self.sandbox_lines[-20:]]
        return "\n".join(lines)


class BrowserUser:
    """One sandbox user in their own Chromium profile, logged in through Horizon's login page."""

    def __init__(self, driver, horizon: HorizonProcess, sandbox, name: str, profile_dir: str):
        self.name = name
        self.horizon = horizon
        self.sandbox = sandbox
        self.context = driver.chromium.launch_persistent_context(
            profile_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(30_000)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.console_errors: list[str] = []
        self.login_report: PageReport | None = None
        self.failed_loads: dict[str, int] = {}
        self.page.on("response", self._on_response)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught exception: {error}"))

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed_loads[response.url] = response.status

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        status = self.failed_loads.get(url)
        if message.text.startswith("Failed to load resource") and status is not None:
            path = url.split("?")[0]
            if any(status == expected and pattern.search(path) for expected, pattern in EXPECTED_FAILED_LOADS):
                return
            self.console_errors.append(f"console error: {message.text} ({url})")
            return
        self.console_errors.append(f"console error: {message.text}" + (f" ({url})" if url else ""))

    def _sandbox_log_size(self) -> int:
        try:
            return os.path.getsize(self.sandbox.process.log_path)
        except OSError:
            return 0

    def _sandbox_trouble(self, offset: int) -> list[str]:
        with open(self.sandbox.process.log_path, errors="replace") as handle:
            handle.seek(offset)
            return [line.rstrip() for line in handle if SANDBOX_TROUBLE.search(line)]

    def _settle(self) -> None:
        self.page.wait_for_load_state("load")
        try:
            self.page.wait_for_load_state("networkidle", timeout=15_000)
        except Exception:  # a page that keeps polling (instance status) never idles: its content is there
            pass
        time.sleep(0.3)  # Angular pages render their messages right after their last request

    def login(self) -> PageReport:
        """Horizon's login page, then the credentials; the report covers the login page and the login itself
        (the page Horizon lands on is checked by the tests that visit it)."""
        spec = sandbox_user(self.name)
        offset = self._sandbox_log_size()
        self.console_errors.clear()
        self.page.goto(self.horizon.url + "/auth/login/")
        self._settle()
        report = self._report("login-page", offset, login_page=True)
        self.page.fill("#id_username", spec.name)
        self.page.fill("#id_password", spec.password)
        with self.page.expect_navigation():
            self.page.click("#loginBtn")
        self.page.wait_for_load_state("load")
        if "/auth/login" in self.page.url:
            report.errors.append(f"login as {spec.name} failed: " + " ".join(
                self.page.locator(".alert, .help-block, .error").all_inner_texts()))
        return report

    def visit(self, path: str, artifact: str) -> PageReport:
        offset = self._sandbox_log_size()
        self.console_errors.clear()
        self.page.goto(self.horizon.url + path)
        self._settle()
        return self._report(artifact, offset)

    def click_through(self, selector: str, artifact: str) -> PageReport:
        """Follow the first link matching ``selector`` on the current page, as a person would."""
        offset = self._sandbox_log_size()
        self.console_errors.clear()
        link = self.page.locator(selector).first
        link.wait_for(state="visible", timeout=10_000)
        link.click()
        self._settle()
        return self._report(artifact, offset)

    def _report(self, artifact: str, sandbox_offset: int, login_page: bool = False) -> PageReport:
        report = PageReport(url=self.page.url, title=self.page.title())
        os.makedirs(ARTIFACTS, exist_ok=True)
        report.screenshot = os.path.join(ARTIFACTS, f"{artifact}.png")
        self.page.screenshot(path=report.screenshot, full_page=True)
        report.errors += [f"error message: {text.strip()}" for text in
                          self.page.locator(ERROR_SELECTOR).all_inner_texts() if text.strip()]
        report.errors += self.console_errors
        if "/auth/login" in self.page.url and not login_page:
            report.errors.append("ended on the login page (not logged in, or the session was lost)")
        for bad_title in ("Something went wrong", "Page Not Found", "Forbidden", "Server error", "Unauthorized"):
            if bad_title.lower() in report.title.lower():
                report.errors.append(f"error page: {report.title}")
        report.sandbox_lines = self._sandbox_trouble(sandbox_offset)
        return report

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="session")
def browser_user(playwright_driver, horizon, demo_sandbox, tmp_path_factory):
    """``browser_user("demo-member")``: that user, logged in (once per session), in a profile of their own."""
    users: dict[str, BrowserUser] = {}

    def get(name: str) -> BrowserUser:
        if name not in users:
            profile = tmp_path_factory.mktemp(f"chromium-{name}")
            user = BrowserUser(playwright_driver, horizon, demo_sandbox, name, str(profile))
            user.login_report = user.login()
            users[name] = user
        return users[name]

    yield get
    for user in users.values():
        user.close()


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts():
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS, exist_ok=True)
