# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Requests and results of the proxy tasks (queue ``proxy.<az>``): backup and restore, which need the cloud and the
proxy VM of the instance's (or the target's) availability zone, and ``proxy.ping``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from .message import Message, Record
from .parts import Destination, LogEntry
from .sealing import SEALED_VERSION, SECRET

Strategy = Literal["full", "incremental"]
#: What a backup did with one disk: read it all, compared every block's checksum, or read only Ceph's changed extents.
VolumeStrategy = Literal["full", "incremental", "changed-extents"]
Consistency = Literal["group", "per-volume", "crash"]


@dataclass(frozen=True)
class GuestCommand(Record):
    """A pre- or post-snapshot command, run over SSH on the instance's address (the policy's ``pre_command``)."""

    command: str
    user: str
    private_key: str = field(metadata=SECRET)
    port: int = 22
    timeout: float = 60.0
    on_failure: Literal["abort", "continue"] = "abort"
    known_hosts: str | None = None
    host_key_policy: Literal["reject", "accept-new"] = "reject"


@dataclass(frozen=True)
class BackupRequest(Message):
    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    instance_id: str
    destination: Destination
    strategy: Strategy = "incremental"
    repository_secret: str | None = field(default=None, metadata=SECRET)
    labels: dict[str, str] = field(default_factory=dict)
    retention_lock_until: str | None = None
    pre_command: GuestCommand | None = None
    post_command: GuestCommand | None = None
    # The policy's read-bandwidth cap in MB/s (10^6 bytes), or none; the proxy's own cap applies too.
    read_limit_mbps: int | None = None


#: ``read_limit_mbps``'s bounds: 1 MB/s up to 100 GB/s (beyond any disk: a typo's guard, not a real cap).
READ_LIMIT_MBPS_MIN, READ_LIMIT_MBPS_MAX = 1, 100_000


@dataclass(frozen=True)
class BackedUpVolume(Record):
    """What a backup did with one disk (``volume_id`` ``root-disk`` for an image-booted server's root disk)."""

    volume_id: str
    size: int
    strategy: VolumeStrategy
    size_gib: int = 0
    parent: str | None = None
    bytes_read: int = 0
    bytes_stored: int = 0
    bytes_total: int = 0
    bytes_zero: int = 0
    bytes_unchanged: int = 0
    bytes_new: int = 0
    bytes_deduplicated: int = 0
    blocks_new: int = 0
    blocks_total: int = 0
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)
    strategy_reason: str = ""
    sampled_blocks: int = 0
    sample_mismatches: int = 0


@dataclass(frozen=True)
class BackupResult(Message):
    restore_point_id: str
    created_at: str
    consistency: Consistency
    bytes_read: int = 0
    bytes_stored: int = 0
    bytes_total: int = 0
    duration: float = 0.0
    volumes: list[BackedUpVolume] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cleanup_problems: list[str] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreInstanceRequest(Message):
    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    restore_point_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    name: str | None = None
    availability_zone: str | None = None
    flavor_id: str | None = None
    network_mapping: dict[str, str] = field(default_factory=dict)
    volume_types: dict[str, str] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    # {original volume id: name} of the new volumes; one not named gets "<original> (restored <UTC time>)".
    volume_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreInstanceResult(Message):
    server_id: str
    restore_point_id: str
    volume_ids: dict[str, str] = field(default_factory=dict)
    image_reused: bool = False
    name: str = ""
    availability_zone: str = ""
    flavor_id: str = ""
    image_id: str | None = None
    key_name: str | None = None
    bytes_written: int = 0
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    cleanup_problems: list[str] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreVolumeRequest(Message):
    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    restore_point_id: str
    volume_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    name: str | None = None
    availability_zone: str | None = None
    volume_type: str | None = None
    attach_to: str | None = None


@dataclass(frozen=True)
class RestoreVolumeResult(Message):
    volume_id: str
    restore_point_id: str
    source_volume_id: str
    name: str = ""
    availability_zone: str = ""
    attached_to: str | None = None
    bytes_written: int = 0
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    cleanup_problems: list[str] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RevertRequest(Message):
    """Overwrite the original volumes with what a restore point holds (in-place revert): one data volume
    (``volume_id``), or the whole instance (``volume_id`` None: every backed-up volume, the boot volume by Nova's
    rebuild with the restore point's root disk as a temporary image)."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    restore_point_id: str
    instance_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    volume_id: str | None = None
    availability_zone: str | None = None
    # One data volume only: stop the server while its disk is away (a whole-instance revert always stops it).
    stop_server: bool = False


@dataclass(frozen=True)
class RevertedVolume(Record):
    """What a revert did with one volume: how it was written, and the safety snapshot of what it held before."""

    volume_id: str
    method: Literal["overwrite", "rebuild"]
    device: str | None = None
    bytes_written: int = 0
    safety_snapshot_id: str | None = None


@dataclass(frozen=True)
class RevertResult(Message):
    restore_point_id: str
    instance_id: str
    volumes: list[RevertedVolume] = field(default_factory=list)
    server_status: str = ""
    bytes_written: int = 0
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    cleanup_problems: list[str] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class PingResult(Message):
    """Who answered a queue's ping: the control plane records it as the zone's proxy (heartbeat)."""

    az: str
    hostname: str
    worker: str = ""
    proxy_server_id: str = ""
    software_version: str = ""
    device_root: str = ""
    device_root_ok: bool = False
    repository_root: str = "/"
    cloud: str = ""

    @classmethod
    def from_message(cls, message: Any, where: str | None = None) -> PingResult:
        # Before the contract was versioned, a ping carried the package's version under "version".
        if isinstance(message, dict) and isinstance(message.get("version"), str):
            message = {**message, "software_version": message["version"], "version": 1}
        return super().from_message(message, where)
