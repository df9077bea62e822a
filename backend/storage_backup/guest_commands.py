# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Pre/post snapshot commands over SSH on the instance (application consistency without an agent).

The proxy worker calls ``run_hook`` before and after the Cinder snapshots with the policy's command spec
(docs/TASKS.md ``pre_command`` / ``post_command``) and the instance's SSH addresses from Nova (its access address
when it has one; ``addresses_from_server`` gives the rule)::

    result = run_hook("pre", request["pre_command"], addresses_from_server(server), log=job_log.append)

Host keys are checked explicitly: ``known_hosts`` lines (``[host]:port type key`` or just ``type key`` for any
address of the instance) with ``host_key_policy`` ``reject`` (unknown keys refused) or ``accept-new`` (an unknown
key is accepted and logged; a *different* key for a known host is always refused). A non-zero exit, a timeout
or a refused connection fails the hook: ``on_failure: abort`` raises ``GuestCommandFailed`` (the backup stops
before any snapshot), ``continue`` logs it and the backup goes on crash-consistent.
"""
from __future__ import annotations

import datetime as dt
import io
import ipaddress
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import paramiko

LOG = logging.getLogger(__name__)
OUTPUT_LIMIT = 64 * 1024  # what goes into the job log from each stream
CONNECT_TIMEOUT = 15.0


class GuestCommandFailed(Exception):
    """A pre/post command failed and the policy says abort."""


class HostKeyMismatch(GuestCommandFailed):
    pass


@dataclass
class GuestCommandResult:
    phase: str
    ok: bool
    address: str = ""
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    error: str = ""

    def summary(self) -> str:
        where = f" on {self.address}" if self.address else ""
        if self.ok:
            return f"{self.phase} command succeeded{where} in {self.duration:.1f} s"
        return f"{self.phase} command failed{where}: {self.error}"


SSH_NETWORK_VARIABLE = "STORAGE_BACKUP_GUEST_SSH_NETWORK"


def addresses_from_server(server: dict, network: str | None = None) -> list[str]:
    """Where to reach a Nova server over SSH, in the order to try them. The rule, as clouds use it:

    1. the server's **access address** (``accessIPv4``, then ``accessIPv6``) when it has one: the address its
       owner published for reaching it (a NAT, a bastion, a management network) -- that one alone;
    2. else its addresses on the network ``network`` names (default: the proxy's
       ``STORAGE_BACKUP_GUEST_SSH_NETWORK``), when it has any there;
    3. else all its addresses, fixed before floating, IPv4 before IPv6.

    ``server`` is Nova's JSON (``accessIPv4``) or openstacksdk's ``Server`` (``access_ipv4``)."""
    access = [server.get(key) or server.get(alias)
              for key, alias in (("accessIPv4", "access_ipv4"), ("accessIPv6", "access_ipv6"))]
    access = [address for address in access if address]
    if access:
        return access[:1]
    network = network if network is not None else os.environ.get(SSH_NETWORK_VARIABLE, "")
    networks = server.get("addresses") or {}
    if network and networks.get(network):
        networks = {network: networks[network]}
    found = []
    for entries in networks.values():
        for entry in entries:
            address = entry.get("addr")
            if address:
                floating = entry.get("OS-EXT-IPS:type") == "floating"
                found.append((floating, ipaddress.ip_address(address).version, address))
    return [address for _, _, address in sorted(found)]


def load_private_key(text: str) -> paramiko.PKey:
    errors = []
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError) as error:
            errors.append(f"{key_class.__name__}: {error}")
    raise GuestCommandFailed("The policy's private key could not be read (need an unencrypted Ed25519, ECDSA or "
                             "RSA key in PEM/OpenSSH format): " + "; ".join(errors))


def _host_key_name(address: str, port: int) -> str:
    return address if port == 22 else f"[{address}]:{port}"


def _known_host_keys(known_hosts: str | None, addresses: list[str], port: int) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    for raw in (known_hosts or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) == 2 or fields[0].startswith(("ssh-", "ecdsa-")):
            # A bare "type key" line: the instance's key whatever address we reach it on.
            line = ",".join(_host_key_name(a, port) for a in addresses) + " " + " ".join(fields[:2])
        entry = paramiko.hostkeys.HostKeyEntry.from_line(line)
        if entry is None:
            raise GuestCommandFailed(f"known_hosts line cannot be parsed: {raw[:80]}")
        for name in entry.hostnames:
            keys.add(name, entry.key.get_name(), entry.key)
    return keys


class _LoggingAcceptPolicy(paramiko.MissingHostKeyPolicy):
    def __init__(self, log: Callable[[str], None]):
        self.log = log

    def missing_host_key(self, client, hostname, key):
        self.log(f"accepted new host key of {hostname}: {key.get_name()} SHA256:{key.fingerprint}")
        client.get_host_keys().add(hostname, key.get_name(), key)


def run_command(spec: dict, addresses: list[str], phase: str = "pre",
                log: Callable[[str], None] | None = None) -> GuestCommandResult:
    """Run ``spec['command']`` on the first address that answers; never raises for the command's own failure."""
    log = log or (lambda message: LOG.info("%s", message))
    started = time.monotonic()
    if not addresses:
        return GuestCommandResult(phase, False, error="the instance has no IP address to reach it over SSH")
    port = int(spec.get("port") or 22)
    timeout = float(spec.get("timeout") or 60)
    key = load_private_key(spec["private_key"])
    policy = spec.get("host_key_policy") or "reject"
    last_error = ""
    for address in addresses:
        client = paramiko.SSHClient()
        client.get_host_keys().update(_known_host_keys(spec.get("known_hosts"), addresses, port))
        client.set_missing_host_key_policy(_LoggingAcceptPolicy(log) if policy == "accept-new"
                                           else paramiko.RejectPolicy())
        try:
            client.connect(address, port=port, username=spec["user"], pkey=key, timeout=min(timeout, CONNECT_TIMEOUT),
                           banner_timeout=min(timeout, CONNECT_TIMEOUT), auth_timeout=min(timeout, CONNECT_TIMEOUT),
                           look_for_keys=False, allow_agent=False)
        except paramiko.BadHostKeyException as error:
            client.close()
            return GuestCommandResult(phase, False, address, error=(
                f"the host key of {address}:{port} does not match the policy's known_hosts "
                f"(got {error.key.get_name()} SHA256:{error.key.fingerprint}); refusing to run the command. If the "
                "instance was rebuilt, update known_hosts in the policy."), duration=time.monotonic() - started)
        except paramiko.SSHException as error:
            client.close()
            unknown = "not found in known_hosts" in str(error)
            return GuestCommandResult(phase, False, address, error=(
                f"the host key of {address}:{port} is unknown and host_key_policy is 'reject'; add it to the "
                "policy's known_hosts" if unknown else f"SSH to {address}:{port} failed: {error}"),
                duration=time.monotonic() - started)
        except (TimeoutError, OSError) as error:
            client.close()
            last_error = f"cannot connect to {address}:{port}: {error}"
            log(last_error)
            continue
        try:
            return _execute(client, spec["command"], address, phase, timeout, started)
        finally:
            client.close()
    return GuestCommandResult(phase, False, error=last_error or "no address answered",
                              duration=time.monotonic() - started)


def _execute(client: paramiko.SSHClient, command: str, address: str, phase: str, timeout: float,
             started: float) -> GuestCommandResult:
    channel = client.get_transport().open_session(timeout=timeout)
    channel.settimeout(1.0)
    channel.exec_command(command)
    stdout, stderr = bytearray(), bytearray()
    deadline = started + timeout
    while True:
        while channel.recv_ready():
            stdout += channel.recv(32768)
        while channel.recv_stderr_ready():
            stderr += channel.recv_stderr(32768)
        if channel.exit_status_ready() and not channel.recv_ready() and not channel.recv_stderr_ready():
            break
        if time.monotonic() > deadline:
            channel.close()
            return GuestCommandResult(phase, False, address, None, _text(stdout), _text(stderr),
                                      time.monotonic() - started, f"timed out after {timeout:g} s")
        time.sleep(0.05)
    status = channel.recv_exit_status()
    result = GuestCommandResult(phase, status == 0, address, status, _text(stdout), _text(stderr),
                                time.monotonic() - started)
    if status != 0:
        result.error = f"exit status {status}" + (f": {result.stderr.strip()[-300:]}" if result.stderr.strip() else "")
    return result


def _text(data: bytes) -> str:
    return bytes(data[:OUTPUT_LIMIT]).decode("utf-8", errors="replace")


def run_hook(phase: str, spec: dict | None, addresses: list[str],
             log: Callable[[dict], None] | None = None) -> GuestCommandResult | None:
    """Run a pre/post command per its policy; raise ``GuestCommandFailed`` when it fails and the policy aborts.

    ``log`` receives job-log entries (``{"at", "step", "message"}``) with the command's output.
    """
    if not spec:
        return None

    def entry(message: str) -> None:
        if log is not None:
            log({"at": dt.datetime.now(dt.UTC).isoformat(), "step": f"{phase}_command", "message": message})

    result = run_command(spec, addresses, phase, log=entry)
    entry(result.summary())
    if result.stdout.strip():
        entry(f"stdout: {result.stdout.strip()}")
    if result.stderr.strip():
        entry(f"stderr: {result.stderr.strip()}")
    if not result.ok:
        if spec.get("on_failure", "abort") == "abort":
            error_class = HostKeyMismatch if "does not match" in result.error else GuestCommandFailed
            raise error_class(f"The {phase}-snapshot command failed ({result.error}); the policy says abort, so no "
                              "snapshot was taken. Fix the command or set on_failure to 'continue'.")
        entry(f"{phase} command failed; the policy says continue, so the backup goes on (crash-consistent)")
    return result
