# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Filesystem WORM for hardened destinations: the immutable attribute on what a retention lock covers.

A backup worker cannot be trusted to keep a lock it could lift itself, so the attribute is set and cleared by a
small privileged helper, ``storage-backup-immutable`` (``daemon.py``), over a unix socket (``client.py``). The
helper keeps its own record of lock dates: workers may ask it to lock (or extend a lock), never to unlock before
the recorded date, and prune asks it to unlock only what has expired (``destination.py``). ``objects.py`` names the
files a restore point needs. NFS has no immutable attribute: hardened mode is refused there (README, "WORM").
"""
