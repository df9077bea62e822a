# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The systemd units shipped in ``backend/etc/systemd/``: one per process of the service (a template per availability
zone for the proxy), each restarted on failure and hardened, each starting a command the ``storage-backup``
distribution really provides (a console script, a module, a Celery app)."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shlex

import pytest

UNITS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "backend", "etc", "systemd")
UNITS = {
    "storage-backup-api.service": ("python", "storage_backup.rest"),
    "storage-backup-control-worker.service": ("celery", "storage_backup.control.worker"),
    "storage-backup-beat.service": ("celery", "storage_backup.control.worker"),
    "storage-backup-data-worker.service": ("celery", "storage_backup.celery_app"),
    "storage-backup-proxy@.service": ("celery", "storage_backup.celery_app"),
    # The immutable helper of hardened destinations: its console script, root with two capabilities.
    "storage-backup-immutable.service": ("storage-backup-immutable", "storage_backup.immutable"),
    # The air-gapped vault worker, on the vault's side: the storage-backup console script.
    "storage-backup-vault-worker.service": ("storage-backup", "storage_backup.vault"),
}
VENV_BIN = "/opt/storage-backup/bin/"
HARDENING = {"NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
             "RestrictSUIDSGID": "yes"}


def parse_unit(path: str) -> dict[str, dict[str, list[str]]]:
    """``{section: {key: [values in order]}}``: systemd allows a key more than once, which configparser does not."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    with open(path) as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            assert current is not None and "=" in line, f"{path}:{number}: not a unit file line: {line!r}"
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def console_scripts() -> set[str]:
    return {entry.name for entry in importlib.metadata.entry_points(group="console_scripts")}


def test_every_process_has_a_unit_and_nothing_else_is_there():
    shipped = {name for name in os.listdir(UNITS_DIR) if name.endswith(".service")}
    assert shipped == set(UNITS)


@pytest.mark.parametrize("name", sorted(UNITS))
def test_unit_restarts_on_failure_and_is_hardened(name):
    unit = parse_unit(os.path.join(UNITS_DIR, name))
    service = unit["Service"]
    assert service["Restart"] == ["on-failure"]
    assert float(service["RestartSec"][0]) > 0
    assert unit["Unit"]["StartLimitIntervalSec"] == ["0"]  # never gives up on a service that keeps failing
    assert service.get("KillMode", ["control-group"]) == ["control-group"]  # orphaned pool processes go too
    for key, value in HARDENING.items():
        assert service.get(key) == [value], (name, key)
    # Only the immutable helper is root (it sets the flag), bounded to the capabilities that takes.
    if name == "storage-backup-immutable.service":
        assert service["User"] == ["root"] and "CAP_LINUX_IMMUTABLE" in service["CapabilityBoundingSet"][0]
        assert service["PrivateNetwork"] == ["yes"]
    else:
        assert service["User"] == ["storage-backup"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize("name", sorted(UNITS))
def test_exec_start_runs_what_the_distribution_provides(name):
    unit = parse_unit(os.path.join(UNITS_DIR, name))
    program, module = UNITS[name]
    commands = unit["Service"].get("ExecStartPre", []) + unit["Service"]["ExecStart"]
    for command in commands:
        argv = shlex.split(command)
        assert argv[0].startswith(VENV_BIN), command
        executable = argv[0][len(VENV_BIN):]
        if executable == "python":
            assert argv[1] == "-m" and importlib.util.find_spec(argv[2]) is not None, command
        else:
            assert executable in console_scripts(), f"{executable} is no console script of an installed package"
    argv = shlex.split(unit["Service"]["ExecStart"][-1])
    assert argv[0] == VENV_BIN + program
    if program in ("python", "celery"):
        named = argv[argv.index("-m") + 1] if program == "python" else argv[argv.index("-A") + 1]
        assert named == module
    assert importlib.util.find_spec(module) is not None
    if program == "celery":
        assert argv[argv.index("-A") + 2] in ("worker", "beat")
        if argv[argv.index("-A") + 2] == "worker":  # supervised: an idle worker that loses Redis restarts clean
            assert "STORAGE_BACKUP_EXIT_ON_BROKER_LOSS=1" in unit["Service"]["Environment"]
        # %h is systemd's home directory specifier: a node name takes systemd's host name, %H.
        assert "%h" not in command, command


def test_the_proxy_template_serves_the_queue_of_its_zone():
    unit = parse_unit(os.path.join(UNITS_DIR, "storage-backup-proxy@.service"))
    argv = shlex.split(unit["Service"]["ExecStart"][0])
    assert argv[argv.index("-Q") + 1] == "proxy.%i"
    assert argv[argv.index("-n") + 1] == "proxy-%i@%H"
    assert "STORAGE_BACKUP_PROXY_AZ=%i" in unit["Service"]["Environment"][0].split()
    assert "disk" in unit["Service"]["SupplementaryGroups"]  # reads and writes the volumes attached to the VM
    assert "PrivateDevices" not in unit["Service"]
