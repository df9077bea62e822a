"""Instances, their volumes and their protection, as the Backup panels show them.

For now an instance's protection comes from nowhere but its absence ("not protected"): policies and restore
points arrive with the backup service's control plane, through functions added here.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from openstack_dashboard.api import base, cinder, nova

LOG = logging.getLogger(__name__)

PROTECTION_NOT_PROTECTED = "not_protected"
# Nova answers with the attached volumes under this extension name (microversion 2.3 adds delete_on_termination).
VOLUMES_ATTACHED = "os-extended-volumes:volumes_attached"
AVAILABILITY_ZONE = "OS-EXT-AZ:availability_zone"


class AttachedVolume:
    """A volume attached to an instance: enough to name it and link to it."""

    def __init__(self, volume_id: str, name: str = "", size: int | None = None):
        self.id = volume_id
        self.name = name or volume_id
        self.size = size

    def __repr__(self) -> str:
        return f"<AttachedVolume {self.id} {self.name!r}>"


class ProtectedInstance:
    """One instance of the project, seen from the backup side: where it runs, what it holds, how it is protected."""

    def __init__(self, server, volumes: Iterable[AttachedVolume], protection: str = PROTECTION_NOT_PROTECTED,
                 policy_name: str | None = None):
        self.id = server.id
        self.name = server.name or server.id
        self.status = (server.status or "").lower()
        self.availability_zone = getattr(server, AVAILABILITY_ZONE, None) or ""
        self.volumes = list(volumes)
        self.protection = protection
        self.policy_name = policy_name

    @property
    def volume_ids(self) -> list[str]:
        return [volume.id for volume in self.volumes]

    def __repr__(self) -> str:
        return f"<ProtectedInstance {self.id} {self.name!r} {self.protection}>"


def _attached_volume_ids(server) -> list[str]:
    # Horizon's Server wrapper only exposes a fixed list of attributes; the attachments are on novaclient's object.
    resource = server._apiresource if isinstance(server, base.APIResourceWrapper) else server
    return [attachment["id"] for attachment in getattr(resource, VOLUMES_ATTACHED, None) or []]


def protected_instance_list(request, search_opts: dict | None = None,
                            sort_dir: str = "desc") -> tuple[list[ProtectedInstance], bool, bool]:
    """The project's instances with their volumes and protection, one page at a time.

    ``search_opts`` takes Nova's filters plus ``marker`` and ``paginate`` as Horizon's ``server_list_paged`` does.
    Returns ``(instances, has_more_data, has_prev_data)``.
    """
    servers, has_more, has_prev = nova.server_list_paged(request, search_opts=dict(search_opts or {}),
                                                         sort_dir=sort_dir)
    wanted = {volume_id for server in servers for volume_id in _attached_volume_ids(server)}
    known: dict[str, AttachedVolume] = {}
    if wanted:
        for volume in cinder.volume_list(request):
            if volume.id in wanted:
                known[volume.id] = AttachedVolume(volume.id, volume.name, volume.size)
    instances = [
        ProtectedInstance(server, [known.get(volume_id) or AttachedVolume(volume_id)
                                   for volume_id in _attached_volume_ids(server)])
        for server in servers
    ]
    return instances, has_more, has_prev
