# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures shared by the whole suite: a private Redis and a private embedded cloud, real processes on free ports.

Nothing here touches services that may already listen on standard ports (Redis 6379 and friends): each test
session starts its own and stops it at the end.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import pytest
from storage_backup_sandbox import loopback_guard
from storage_backup_sandbox.launch import RedisProcess, SandboxProcess

pytest_plugins = ["tests.support.tier_guards"]


def pytest_configure(config: pytest.Config) -> None:
    """Nothing leaves 127.0.0.0/8: the loopback guard in this process, and on (``PYTHONPATH``, the flag, one
    violations file) for every process the tests start."""
    loopback_guard.install()
    if not os.environ.get(loopback_guard.VIOLATIONS):
        handle, path = tempfile.mkstemp(prefix="loopback-violations-", suffix=".log")
        os.close(handle)
        config._loopback_violations = path  # this session made it: it removes it
    os.environ.update(loopback_guard.child_environment(os.environ, os.environ.get(loopback_guard.VIOLATIONS)
                                                       or config._loopback_violations))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A connection off the loopback range in any process of the session fails the session, loudly."""
    path = os.environ.get(loopback_guard.VIOLATIONS, "")
    if not path or not os.path.exists(path):
        return
    with open(path) as handle:
        violations = handle.read()
    if getattr(session.config, "_loopback_violations", None) == path:
        os.unlink(path)
    if violations.strip():
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "connections outside 127.0.0.0/8", red=True)
            reporter.write_line(violations)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    with RedisProcess(str(tmp_path_factory.mktemp("redis"))).start() as redis:
        yield redis


@dataclass
class SandboxHandle:
    """A running embedded cloud and what a test needs to talk to it."""

    process: SandboxProcess

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def auth_url(self) -> str:
        return self.process.auth_url

    @property
    def state_dir(self) -> str:
        return self.process.state_dir

    @property
    def clouds_yaml(self) -> str:
        return self.process.clouds_yaml

    def session(self, user: str = "demo-member", project: str | None = None):
        """A keystoneauth1 session logged in as one of the sandbox's users (see ``storage_backup_sandbox.seed``)."""
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3
        from storage_backup_sandbox.seed import user as sandbox_user

        spec = sandbox_user(user)
        auth = v3.Password(auth_url=self.auth_url, username=spec.name, password=spec.password,
                           user_domain_id="default", project_name=project or spec.project,
                           project_domain_id="default")
        return ks_session.Session(auth=auth)

    def cli_env(self, cloud: str = "sandbox-demo") -> dict:
        env = dict(os.environ)
        env.update(OS_CLIENT_CONFIG_FILE=self.clouds_yaml, OS_CLOUD=cloud)
        return env


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """An embedded cloud with the base seed, shared by the session's tests (they create what they need)."""
    with SandboxProcess(str(tmp_path_factory.mktemp("sandbox")), seed="base").start() as process:
        yield SandboxHandle(process)


@pytest.fixture(scope="session")
def demo_sandbox(tmp_path_factory):
    """An embedded cloud with the demo seed: servers with real ext4 data (slower to start)."""
    with SandboxProcess(str(tmp_path_factory.mktemp("demo-sandbox")), seed="demo").start() as process:
        yield SandboxHandle(process)
