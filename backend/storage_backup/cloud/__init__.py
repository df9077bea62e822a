# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The product's one door to OpenStack, free of Django: used by proxy workers and the control plane alike.

Every call is openstacksdk's; this package adds only what the product needs around it:

* ``connection``: ``Cloud.from_environment()`` / ``Cloud.connect(cloud, clouds_yaml)``: an openstacksdk
  ``Connection`` of the backup service account with the microversion pins (Nova 2.89, Cinder 3.66);
  ``cloud.compute``, ``cloud.block_storage``, ``cloud.image``, ``cloud.network``, ``cloud.identity`` are
  openstacksdk's proxies raising the product's errors; ``cloud.for_project(project_id)`` for tenant-owned resources.
* ``errors``: ``CloudError`` and its subclasses (``ResourceNotFound``, ``OverQuota``, ``ServiceUnavailable``,
  ``ResourceFailed``, ``ResourceTimeout``...), and ``from_sdk``, the one place openstacksdk's exceptions become them.
* ``waiting``: ``wait_volume``, ``wait_volume_attached``, ``wait_volume_detached``, ``wait_volume_deleted``,
  ``wait_snapshot``, ``wait_snapshot_deleted``, ``wait_group_snapshot``, ``wait_image``, ``wait_server``,
  ``wait_server_deleted`` (openstacksdk's ``wait_for_status``/``wait_for_delete``) and the generic ``wait_for``;
  each with a timeout and errors naming the resource and the status it was stuck in.
* ``removal``: ``Remover``, removing a resource for good, shared by a job's cleanup and the sweeper.
* ``naming``: the temporary resources' names and tags (``temporary_name``, ``temporary_metadata``, ``job_of``).
"""
from __future__ import annotations

from .connection import CINDER_MICROVERSION, NOVA_MICROVERSION, Cloud, get_or_none, without_none
from .errors import (
    AccessDenied,
    BadRequest,
    CloudError,
    ConfigurationError,
    OverQuota,
    ResourceConflict,
    ResourceFailed,
    ResourceNotFound,
    ResourceTimeout,
    ServiceUnavailable,
)
from .naming import (
    BASE_GROUP_TAG,
    BASE_INSTANCE_TAG,
    BASE_TAG,
    TEMPORARY_PREFIX,
    TEMPORARY_TAG,
    base_name,
    base_of,
    job_of,
    temporary_metadata,
    temporary_name,
)

__all__ = [
    "AccessDenied", "BASE_GROUP_TAG", "BASE_INSTANCE_TAG", "BASE_TAG", "BadRequest", "CINDER_MICROVERSION", "Cloud",
    "CloudError", "ConfigurationError", "NOVA_MICROVERSION", "OverQuota", "ResourceConflict", "ResourceFailed",
    "ResourceNotFound", "ResourceTimeout", "ServiceUnavailable", "TEMPORARY_PREFIX", "TEMPORARY_TAG", "base_name",
    "base_of", "get_or_none", "job_of", "temporary_metadata", "temporary_name", "without_none"
]
