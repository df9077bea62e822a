# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Real-browser fixtures: ``make demo``'s own launcher (``tools/demo.py``) in a temporary state directory (Redis,
the embedded cloud with the demo seed, a proxy worker per availability zone, the control plane's REST API, worker
and beat, Horizon with the plugin), and Debian's Chromium driven by Playwright (headless, never a downloaded
browser). One launcher for the demo and the tests: what the tests drive is what a user of ``make demo`` gets.

Each user logs in through Horizon's login page in a browser profile of their own (a new, empty user-data-dir).
``BrowserUser.visit`` opens a page and collects what would tell a person something is wrong: Horizon's error
messages, JavaScript console errors, uncaught exceptions, an error page. A screenshot of every page visited goes to
``test-artifacts/browser/``; when a page fails, the embedded cloud's log lines for requests it could not serve
(``UNROUTED``, 4xx, 5xx) are part of the failure message.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest
from storage_backup_sandbox.launch import REPO_ROOT
from storage_backup_sandbox.seed import user as sandbox_user

from tests.conftest import SandboxHandle

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


# A schedule that does not fire while the tests run: the tests start the backups they watch.
QUIET_SCHEDULE = "0 0 1 1 *"
DEMO_START_TIMEOUT = 600


@dataclass
class DemoCloud:
    """The demo's embedded cloud, as ``SandboxHandle`` reads a sandbox process."""

    url: str
    auth_url: str
    state_dir: str
    clouds_yaml: str
    log_path: str


@dataclass
class Demo:
    """A running ``tools/demo.py``: its endpoints (``.demo/endpoints.json`` of its state dir) and its output."""

    process: subprocess.Popen
    state_dir: str
    output: str
    endpoints: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.endpoints["horizon"].rstrip("/")

    @property
    def backup_api(self) -> str:
        return self.endpoints["backup_api"]

    def tail(self, lines: int = 60) -> str:
        with open(self.output, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])


def _start_demo(state_dir: str, output: str) -> Demo:
    with open(output, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, os.path.join(REPO_ROOT, "tools", "demo.py"), "--state-dir", state_dir,
             "--transition-delay", "0.1", "--schedule", QUIET_SCHEDULE],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO_ROOT, start_new_session=True,
            env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"})
    demo = Demo(process, state_dir, output)
    deadline = time.time() + DEMO_START_TIMEOUT
    while time.time() < deadline:
        with open(output, errors="replace") as handle:
            if "Ctrl-C stops everything." in handle.read():
                break
        if process.poll() is not None:
            pytest.fail(f"tools/demo.py exited with {process.returncode}:\n{demo.tail()}")
        time.sleep(0.5)
    else:
        _stop_demo(demo)
        pytest.fail(f"tools/demo.py was not up after {DEMO_START_TIMEOUT} s:\n{demo.tail()}")
    with open(os.path.join(state_dir, "endpoints.json")) as handle:
        demo.endpoints = json.load(handle)
    return demo


def _stop_demo(demo: Demo) -> None:
    if demo.process.poll() is None:
        demo.process.send_signal(signal.SIGTERM)  # the launcher stops everything it started, in order
        try:
            demo.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(demo.process.pid, signal.SIGKILL)
            demo.process.wait(timeout=10)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """``tools/demo.py`` up for the whole browser session (stopped, with everything it runs, at the end)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: tools/bootstrap.sh installs Debian's chromium")
    base = tmp_path_factory.mktemp("demo")
    demo = _start_demo(str(base / "state"), str(base / "demo.out"))
    try:
        yield demo
    finally:
        _stop_demo(demo)


@pytest.fixture(scope="session")
def demo_sandbox(demo):
    """The demo's embedded cloud (overrides the suite-wide fixture: the browser tests use the demo's own)."""
    endpoints = demo.endpoints
    cloud = DemoCloud(url=endpoints["sandbox"], auth_url=endpoints["keystone"],
                      state_dir=os.path.join(demo.state_dir, "cloud"), clouds_yaml=endpoints["clouds_yaml"],
                      log_path=endpoints["logs"]["sandbox"])
    return SandboxHandle(cloud)


@pytest.fixture(scope="session")
def horizon(demo):
    """The demo's Horizon (``.url``)."""
    return demo


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

    def __init__(self, driver, horizon: Demo, sandbox, name: str, profile_dir: str):
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

    def screenshot(self, name: str, full_page: bool = False) -> str:
        """A screenshot of the page as it is now (a dialog open, a step done) into test-artifacts/browser/."""
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        self.page.screenshot(path=path, full_page=full_page)
        return path

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
