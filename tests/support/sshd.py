# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A real OpenSSH server for the tests of pre/post snapshot commands: Debian's ``sshd`` on a free port of a loopback
address (Linux answers on all of 127/8), with its own host key, ``authorized_keys`` and config in a temp dir.

The test gives a sandbox instance a NIC with that address (a port on a network whose subnet is a 127.x range), so
the product reaches "the instance" over SSH exactly as it would a guest. Used by tests/functional/control and
tests/functional/e2e.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess

from storage_backup_sandbox.launch import ManagedProcess, free_port, wait_for

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def keygen(path: str) -> str:
    """An Ed25519 key pair at ``path`` / ``path.pub``; returns the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
    with open(path + ".pub") as handle:
        return handle.read().strip()


class SshdProcess(ManagedProcess):
    def __init__(self, work: str, address: str, authorized_key: str, port: int | None = None):
        self.address = address
        self.port = port or free_port()
        self.host_public_key = keygen(os.path.join(work, "host_key"))
        with open(os.path.join(work, "authorized_keys"), "w") as handle:
            handle.write(authorized_key + "\n")
        config = os.path.join(work, "sshd_config")
        with open(config, "w") as handle:
            handle.write("\n".join([
                f"Port {self.port}", f"ListenAddress {address}", f"HostKey {work}/host_key",
                f"AuthorizedKeysFile {work}/authorized_keys", f"PidFile {work}/sshd.pid",
                "StrictModes no", "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password", "PubkeyAuthentication yes", "LogLevel VERBOSE", ""]))
        super().__init__([SSHD, "-D", "-e", "-f", config], os.path.join(work, "sshd.log"))

    def start(self) -> SshdProcess:
        if not os.path.exists(SSHD):
            raise FileNotFoundError("sshd is missing: apt-get install openssh-server (tools/bootstrap.sh installs it)")
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        super().start()
        wait_for(self._listening, 20, f"sshd on {self.address}:{self.port}", process=self.process,
                 log_path=self.log_path)
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection((self.address, self.port), timeout=1):
                return True
        except OSError:
            return False


def login_user() -> str:
    """Who the tests log in as over SSH: the user running them (root in CI)."""
    import getpass

    return os.environ.get("USER") or getpass.getuser()
