# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The loopback guard (``storage_backup_sandbox.loopback_guard``): in this test session and in every process the
launcher starts, a connection outside 127.0.0.0/8 fails loudly and is recorded; loopback, ::1 and Unix sockets
are untouched."""
from __future__ import annotations

import os
import socket
import sys

import pytest
from storage_backup_sandbox import loopback_guard
from storage_backup_sandbox.launch import ManagedProcess, wait_for

OFF_MACHINE = ("10.255.255.1", 9)  # a private address: where a guest's fixed IP would send a connection


def test_the_rule():
    for address in [("127.0.0.1", 80), ("127.200.3.4", 22), ("::1", 80, 0, 0), ("::ffff:127.0.0.1", 80, 0, 0),
                    ("localhost", 80), "/run/redis.sock", b"\0abstract", (0, 0)]:
        assert loopback_guard.allowed(address), address
    for address in [("10.0.0.5", 22), ("192.168.1.1", 80), ("8.8.8.8", 53), ("2001:db8::1", 80, 0, 0),
                    ("::ffff:10.0.0.5", 22, 0, 0)]:
        assert not loopback_guard.allowed(address), address


def test_this_session_refuses_a_connection_off_the_loopback_range(tmp_path, monkeypatch):
    violations = tmp_path / "violations.log"
    monkeypatch.setenv(loopback_guard.VIOLATIONS, str(violations))  # not the session's: this one is on purpose
    with pytest.raises(loopback_guard.OffLoopbackConnection), socket.socket() as sock:
        sock.connect(OFF_MACHINE)
    assert "10.255.255.1" in violations.read_text()
    listener = socket.create_server(("127.0.0.1", 0))
    with listener, socket.create_connection(listener.getsockname(), timeout=5):
        pass  # loopback is fine


def test_a_launched_process_refuses_it_too(tmp_path):
    violations = tmp_path / "violations.log"
    script = ("import socket\n"
              "s = socket.socket()\n"
              "try:\n"
              f"    s.connect({OFF_MACHINE!r})\n"
              "except Exception as error:\n"
              "    print('refused:', type(error).__name__, flush=True)\n")
    env = dict(os.environ, **{loopback_guard.VIOLATIONS: str(violations)})
    env.pop(loopback_guard.FLAG, None)  # the launcher turns it on by itself
    env["PYTHONPATH"] = os.pathsep.join(p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                        if p != loopback_guard.SITE_DIR)
    process = ManagedProcess([sys.executable, "-c", script], str(tmp_path / "child.log"), env=env)
    process.spawn()
    wait_for(lambda: process.process.poll() is not None, 30, "the child")
    log = (tmp_path / "child.log").read_text()
    assert "refused: OffLoopbackConnection" in log, log
    assert "10.255.255.1" in violations.read_text()
