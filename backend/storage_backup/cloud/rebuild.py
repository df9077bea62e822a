# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova's ``rebuild`` at microversion **2.93**, the one call of the product above the 2.89 pin.

From 2.93 (Nova 2023.1 with Cinder 3.68) rebuilding a *volume-backed* server with an image reimages its root volume
in place: Nova keeps the server (id, name, ports and addresses, every attachment, the root volume's id) and asks
Cinder to write the image into the root volume (``os-reimage``), then boots it again. Before 2.93 Nova refuses a
different image for a volume-backed server. openstacksdk's ``rebuild_server`` sends the connection's pinned
microversion, so the action is posted here with its own.
"""
from __future__ import annotations

from openstack import exceptions as sdk_exceptions

from .connection import Cloud
from .errors import SDK_ERRORS, from_sdk

REBUILD_MICROVERSION = "2.93"


def rebuild_server(cloud: Cloud, server_id: str, image_id: str) -> None:
    """Rebuild ``server_id`` from ``image_id`` (keeping everything but the root disk's content); returns once Nova
    accepted it (the server is then ``REBUILD`` until it is done)."""
    what = f"Nova could not rebuild server {server_id} from image {image_id}"
    try:
        response = cloud.compute.sdk.post(f"/servers/{server_id}/action", json={"rebuild": {"imageRef": image_id}},
                                          headers={"Accept": ""}, microversion=REBUILD_MICROVERSION,
                                          raise_exc=False)
        sdk_exceptions.raise_from_response(response)
    except SDK_ERRORS as error:
        raise from_sdk(error, what, "Nova") from error
