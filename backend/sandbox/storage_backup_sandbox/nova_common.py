# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the Nova modules of the embedded cloud share: time formats, hosts, states, lookups, instance actions, quotas.

A server is kept as one record in ``state.table("servers")`` (Nova's instance plus its block device mappings,
``bdms``); a deleted server stays there soft-deleted (``deleted=True``), as in Nova's database, so usage reports
and ``changes-since`` listings still see it. Views per microversion are built in ``nova_servers``.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC

from storage_backup_sandbox.http import ApiError, Call
from storage_backup_sandbox.state import State

# One nova-compute host per availability zone (neutron.HOSTS uses the same names for port bindings).
HOSTS = {"nova": "compute-nova", "az2": "compute-az2"}
DEFAULT_AZ = "nova"
CONTROLLER_HOST = "controller"
HYPERVISOR_VCPUS = 64
HYPERVISOR_RAM_MB = 262144
HYPERVISOR_DISK_GB = 2000

# Nova's default quotas ([quota] section of nova.conf), in the order Nova lists its quota resources.
DEFAULT_QUOTAS = {
    "instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "injected_files": 5,
    "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255, "key_pairs": 100, "server_groups": 10,
    "server_group_members": 10, "fixed_ips": -1, "floating_ips": -1, "security_groups": -1,
    "security_group_rules": -1,
}
QUOTAS_REMOVED_2_36 = ("fixed_ips", "floating_ips", "security_group_rules", "security_groups")
QUOTAS_REMOVED_2_57 = QUOTAS_REMOVED_2_36 + ("injected_files", "injected_file_content_bytes",
                                             "injected_file_path_bytes")

# vm_state -> {task_state: status}; "default" when the task state is not listed (nova.api.openstack.common).
STATUS_MAP = {
    "active": {"default": "ACTIVE", "rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
               "rebooting_hard": "HARD_REBOOT", "reboot_pending_hard": "HARD_REBOOT",
               "reboot_started_hard": "HARD_REBOOT", "updating_password": "PASSWORD", "rebuilding": "REBUILD",
               "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD", "migrating": "MIGRATING",
               "resize_prep": "RESIZE", "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
               "resize_finish": "RESIZE"},
    "building": {"default": "BUILD"},
    "stopped": {"default": "SHUTOFF", "resize_prep": "RESIZE", "resize_migrating": "RESIZE",
                "resize_migrated": "RESIZE", "resize_finish": "RESIZE", "rebuilding": "REBUILD"},
    "resized": {"default": "VERIFY_RESIZE", "resize_reverting": "REVERT_RESIZE"},
    "paused": {"default": "PAUSED", "migrating": "MIGRATING"},
    "suspended": {"default": "SUSPENDED"},
    "rescued": {"default": "RESCUE"},
    "error": {"default": "ERROR", "rebuilding": "REBUILD"},
    "deleted": {"default": "DELETED"},
    "soft-delete": {"default": "SOFT_DELETED"},
    "shelved": {"default": "SHELVED"},
    "shelved_offloaded": {"default": "SHELVED_OFFLOADED"},
}
POWER_NOSTATE, POWER_RUNNING, POWER_PAUSED, POWER_SHUTDOWN, POWER_CRASHED, POWER_SUSPENDED = 0, 1, 3, 4, 6, 7


def loopback_address(server_id: str) -> str:
    """The address this cloud publishes as a server's ``accessIPv4`` when its owner set none: one of its own in
    127.128.0.0/9, derived from the server's id. Its fixed IPs are Neutron's (10.x and the like) and lead nowhere
    on this machine; the access address is where the guest's stand-ins (a test's ``sshd``) listen, so what reaches
    a guest the way clouds say to (its access address first) never leaves the loopback range."""
    digest = hashlib.sha256(server_id.encode()).digest()
    return f"127.{128 + digest[0] % 127}.{digest[1]}.{1 + digest[2] % 254}"


def access_ipv4(server: dict) -> str:
    return server.get("access_ipv4") or loopback_address(server["id"])


def isotime(ts: float | None) -> str | None:
    """Nova's ``utils.isotime``: ``2024-05-01T10:00:00Z``."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def naive_time(ts: float | None) -> str | None:
    """``str(datetime)`` without a zone, as Nova renders ``launched_at`` (``2024-05-01T10:00:00.000000``)."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int((ts % 1) * 1_000_000):06d}"


def parse_time(text: str) -> float:
    """An ISO 8601 time from a query (``changes-since``, usage ``start``) as a timestamp."""
    from datetime import datetime

    value = text.strip().replace(" ", "T")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"Invalid input for query parameters: '{text}' is not a valid date-time.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def server_status(server: dict) -> str:
    if server.get("deleted"):
        return "DELETED"
    states = STATUS_MAP.get(server["vm_state"], {"default": "UNKNOWN"})
    return states.get(server.get("task_state") or "default", states["default"])


def host_id(server: dict) -> str:
    """Nova's ``hostId``: sha224(project + host), so tenants can tell co-located servers apart."""
    if not server.get("host"):
        return ""
    return hashlib.sha224((server["project_id"] + server["host"]).encode()).hexdigest()


def request_id(call: Call) -> str:
    return getattr(call, "request_id", None) or "req-" + str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------------------------
# lookups with Nova's tenancy: another project's server is a 404, a reader cannot act


def get_server(call: Call, server_id: str) -> dict:
    server = call.state.get("servers", server_id)
    if server is None or server.get("deleted"):
        raise ApiError(404, f"Instance {server_id} could not be found.")
    if not call.ctx.is_admin and server["project_id"] != call.ctx.project_id:
        raise ApiError(404, f"Instance {server_id} could not be found.")
    return server


def writable_server(call: Call, server_id: str, action: str = "") -> dict:
    """The server, for a change: Nova's policies allow project members and admins, not readers."""
    server = get_server(call, server_id)
    if not call.ctx.can_write:
        raise ApiError(403, f"Policy doesn't allow os_compute_api:{action or 'servers:update'} to be performed.")
    return server


def require_writer(call: Call, rule: str) -> None:
    if not call.ctx.can_write:
        raise ApiError(403, f"Policy doesn't allow {rule} to be performed.")


def require_admin(call: Call, rule: str) -> None:
    if not call.ctx.is_admin:
        raise ApiError(403, f"Policy doesn't allow {rule} to be performed.")


def invalid_state(server: dict, action: str, attr: str = "vm_state") -> ApiError:
    value = server.get(attr) if attr != "task_state" else server.get("task_state")
    return ApiError(409, f"Cannot '{action}' instance {server['id']} while it is in {attr} {value}")


def check_state(server: dict, action: str, vm_states: tuple[str, ...] | None = None,
                task_states: tuple[str | None, ...] | None = (None,)) -> None:
    """Nova's ``@check_instance_state``: 409 when the server is not in a state the action accepts."""
    if vm_states is not None and server["vm_state"] not in vm_states:
        raise invalid_state(server, action)
    if task_states is not None and server.get("task_state") not in task_states:
        raise invalid_state(server, action, "task_state")


def check_not_locked(call: Call, server: dict) -> None:
    if server.get("locked") and not call.ctx.is_admin:
        raise ApiError(409, f"Instance {server['id']} is locked")


# ---------------------------------------------------------------------------------------------------------------
# instance actions (os-instance-actions)


def record_action(call_or_state, server: dict, action: str, user_id: str | None = None,
                  project_id: str | None = None, req_id: str | None = None, event: str | None = None) -> dict:
    """Start an instance action (``create``, ``stop``, ``attach_volume`` ...) with its first event."""
    if isinstance(call_or_state, Call):
        state = call_or_state.state
        user_id = user_id or call_or_state.ctx.user_id
        project_id = project_id or call_or_state.ctx.project_id
        req_id = req_id or request_id(call_or_state)
    else:
        state = call_or_state
        req_id = req_id or "req-" + str(uuid.uuid4())
    now = time.time()
    record = {"id": str(uuid.uuid4()), "instance_uuid": server["id"], "action": action, "request_id": req_id,
              "user_id": user_id or server["user_id"], "project_id": project_id or server["project_id"],
              "start_ts": now, "updated_ts": now, "message": None,
              "events": [{"event": event or f"compute_{action}_instance", "start_ts": now, "finish_ts": None,
                          "result": None, "traceback": None, "host": server.get("host") or CONTROLLER_HOST,
                          "details": None}]}
    state.put("instance_actions", record)
    server["last_action_id"] = record["id"]
    return record


def finish_action(state: State, action_id: str | None, error: str | None = None) -> None:
    record = state.get("instance_actions", action_id) if action_id else None
    if record is None:
        return
    now = time.time()
    for event in record["events"]:
        if event["finish_ts"] is None:
            event.update({"finish_ts": now, "result": "Error" if error else "Success",
                          "traceback": error, "details": error})
    if error:
        record["message"] = "Error"
    record["updated_ts"] = now
    state.touch()


# ---------------------------------------------------------------------------------------------------------------
# quotas and usage


def quota_limits(state: State, project_id: str) -> dict[str, int]:
    limits = dict(DEFAULT_QUOTAS)
    limits.update(state.meta.get("nova_quota_class_default", {}))
    limits.update(state.table("nova_quotas").get(project_id, {}).get("limits", {}))
    return limits


def live_servers(state: State, project_id: str | None = None) -> list[dict]:
    return [s for s in state.table("servers").values()
            if not s.get("deleted") and (project_id is None or s["project_id"] == project_id)]


def quota_usage(state: State, project_id: str) -> dict[str, int]:
    servers = live_servers(state, project_id)
    groups = [g for g in state.table("server_groups").values() if g["project_id"] == project_id]
    users = {s["user_id"] for s in servers}
    return {
        "instances": len(servers), "cores": sum(s["flavor"]["vcpus"] for s in servers),
        "ram": sum(s["flavor"]["ram"] for s in servers), "metadata_items": 0, "injected_files": 0,
        "injected_file_content_bytes": 0, "injected_file_path_bytes": 0,
        "key_pairs": sum(1 for k in state.table("keypairs").values() if k["user_id"] in users),
        "server_groups": len(groups), "server_group_members": 0, "fixed_ips": 0, "floating_ips": 0,
        "security_groups": 0, "security_group_rules": 0,
    }


def check_server_quota(state: State, project_id: str, vcpus: int, ram: int, count: int = 1,
                       instances: int | None = None) -> None:
    """Nova answers 403 (OverQuota -> HTTPForbidden) when new servers (or a resize) would not fit the quota."""
    limits = quota_limits(state, project_id)
    usage = quota_usage(state, project_id)
    wanted = {"instances": count if instances is None else instances, "cores": vcpus * count, "ram": ram * count}
    over = [name for name, amount in wanted.items() if amount and 0 <= limits[name] < usage[name] + amount]
    if over:
        detail = ", ".join(f"{name}: requested {wanted[name]}, but already used {usage[name]} of {limits[name]} "
                           f"{name}" for name in over)
        raise ApiError(403, f"Quota exceeded for {', '.join(over)}: Requested {wanted[over[0]]}, but already used "
                            f"{usage[over[0]]} of {limits[over[0]]} {over[0]} ({detail})")


def project_exists(state: State, project_id: str) -> bool:
    return state.get("projects", project_id) is not None
