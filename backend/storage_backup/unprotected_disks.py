# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The disks of an instance that no restore point holds: a flavor's ephemeral disk and swap.

They are local to the hypervisor, not Cinder volumes, and the product is agentless (it reads disks only through
Cinder, never from a hypervisor or inside a guest), so it cannot back them up. It says so instead: the restore
point's instance document records them (``unprotected_disks``), the backup's job log warns, the REST API returns them
on restore points and in an instance's protection status, and the dashboard shows a warning. Shared by the proxy
(which writes the document) and the control plane (which reads documents written before the key existed)."""
from __future__ import annotations

KINDS = ("ephemeral", "swap")


def unprotected_disks(document: dict) -> list[dict]:
    """``[{"kind": "ephemeral" | "swap", "size_mb": int}]`` of an instance document: its own record, or for a
    document written before it kept one, what its flavor says."""
    if "unprotected_disks" in document:
        return [dict(disk) for disk in document.get("unprotected_disks") or []]
    flavor = document.get("flavor") or {}
    disks = []
    if _number(flavor.get("ephemeral")) > 0:
        disks.append({"kind": "ephemeral", "size_mb": _number(flavor["ephemeral"]) * 1024})
    if _number(flavor.get("swap")) > 0:
        disks.append({"kind": "swap", "size_mb": _number(flavor["swap"])})
    return disks


def _number(value) -> int:
    try:  # Nova answers "" for a flavor without swap before 2.75
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def size_text(disk: dict) -> str:
    size = int(disk.get("size_mb") or 0)
    return f"{size // 1024} GiB" if size and size % 1024 == 0 else f"{size} MiB"


def describe_unprotected(disks: list[dict], flavor_name: str | None) -> str:
    """One sentence for the job log: what is not protected, why, and what to do."""
    parts = [f"a {size_text(disk)} {disk['kind']} disk" for disk in disks]
    return (f"flavor {flavor_name or '?'} gives the instance {' and '.join(parts)} on the hypervisor: NOT backed "
            "up (an agentless backup reads disks through Cinder only, and these are not Cinder volumes); a restored "
            "server gets them new and empty. Keep data that matters on volumes.")
