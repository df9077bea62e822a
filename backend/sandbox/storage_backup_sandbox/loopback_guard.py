# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The guard that proves nothing the tests or the demo run leaves 127.0.0.0/8: an audit hook (``sys.addaudithook``)
on ``socket.connect`` (and ``socket.sendto``) that refuses, loudly, any connection to an address off the loopback
range. Allowed: Unix sockets (and every other non-IP family), 127.0.0.0/8, ::1 and IPv4-mapped loopback, and names
that resolve only to those.

Where it runs:

* the test session (``tests/conftest.py`` installs it, and turns it on for every process it starts);
* every Python process ``storage_backup_sandbox.launch`` starts (the demo's and the tests' Redis-side workers, the
  API, the embedded cloud, Horizon), through ``loopback_site/sitecustomize.py``, which the launcher puts first on
  ``PYTHONPATH`` with ``STORAGE_BACKUP_SANDBOX_LOOPBACK_ONLY=1``; their children (Celery's pool) inherit the hook.

A refused connection raises ``OffLoopbackConnection`` (not an ``OSError``, so no retry loop takes it for a network
hiccup and hides it), is written to stderr and, when ``STORAGE_BACKUP_SANDBOX_LOOPBACK_VIOLATIONS`` names a file,
appended to it: the test session fails at its end if that file is not empty, whichever process broke the rule.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import sys
import traceback

FLAG = "STORAGE_BACKUP_SANDBOX_LOOPBACK_ONLY"
VIOLATIONS = "STORAGE_BACKUP_SANDBOX_LOOPBACK_VIOLATIONS"
SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loopback_site")
_installed = False
_resolving = False


class OffLoopbackConnection(RuntimeError):
    """A connection to an address outside 127.0.0.0/8 and ::1 was attempted where none may be."""


def _is_loopback(host: str) -> bool:
    if host in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return _name_is_loopback(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified  # 0.0.0.0 / :: reach this host on Linux


def _name_is_loopback(name: str) -> bool:
    global _resolving
    if _resolving:
        return True
    _resolving = True
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return True  # a name that does not resolve connects nowhere
    finally:
        _resolving = False
    return bool(infos) and all(_is_loopback(info[4][0]) for info in infos)


def allowed(address) -> bool:
    """Whether a ``socket.connect`` address may be connected to."""
    if not isinstance(address, tuple) or not address or not isinstance(address[0], str):
        return True  # AF_UNIX paths, abstract sockets, netlink and the other non-IP families
    return _is_loopback(address[0])


def _record(address) -> None:
    message = (f"storage-backup loopback guard: pid {os.getpid()} ({' '.join(sys.argv)[:200]}) tried to connect to "
               f"{address!r}, outside 127.0.0.0/8\n" + "".join(traceback.format_stack(limit=12)))
    sys.stderr.write(message)
    path = os.environ.get(VIOLATIONS)
    if path:
        with open(path, "a") as handle:
            handle.write(message + "\n")


def _hook(event: str, args: tuple) -> None:
    if event not in ("socket.connect", "socket.sendto") or len(args) < 2:
        return
    address = args[1] if event == "socket.connect" else args[-1]
    if not allowed(address):
        _record(address)
        raise OffLoopbackConnection(f"connection to {address!r} refused: nothing may leave 127.0.0.0/8 here")


def install() -> None:
    """Install the hook once in this process (an audit hook cannot be removed: it holds until the process ends)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def child_environment(env: dict, violations: str | None = None) -> dict:
    """``env`` with the guard on for a child process: the flag, the sitecustomize directory first on
    ``PYTHONPATH``, and where to record violations (kept when already set)."""
    env = dict(env)
    env[FLAG] = "1"
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != SITE_DIR]
    env["PYTHONPATH"] = os.pathsep.join([SITE_DIR, *paths])
    if violations and not env.get(VIOLATIONS):
        env[VIOLATIONS] = violations
    return env
