# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""python-openstackclient plugin of the storage backup service: ``openstack storage backup …``.

OSC imports this module from the ``openstack.cli.extension`` entry point ``storage_backup``, adds
``build_option_parser``'s options to the ``openstack`` command, loads the commands of the entry-point group
``openstack.storage_backup.v<API version>`` and calls ``make_client`` the first time a command asks for
``client_manager.storage_backup``.
"""
from __future__ import annotations

import logging

from osc_lib import exceptions, utils

from storage_backup_client.client import SERVICE_TYPE, BackupClient

LOG = logging.getLogger(__name__)

API_NAME = "storage_backup"
API_VERSION_OPTION = "os_storage_backup_api_version"
DEFAULT_API_VERSION = "1"
API_VERSIONS = {"1": "storage_backup_client.client.BackupClient"}
# The service answers restores and backups at once (a job); its slow calls are lists of thousands of items.
TIMEOUT = 60


def service_root(url: str) -> str:
    """The service's root from a catalog URL: catalogs name the versioned root (``…/v1``), the client's paths carry
    the version themselves."""
    url = url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


def make_client(instance) -> BackupClient:
    """The REST client over the CLI's own keystoneauth session, at the ``data-protection`` endpoint of the catalog
    (interface and region as the CLI was told) unless ``--os-storage-backup-endpoint`` names one."""
    override = getattr(instance._cli_options, "storage_backup_endpoint", None)
    if override:
        endpoint = override
    else:
        endpoint = instance.get_endpoint_for_service_type(SERVICE_TYPE, region_name=instance.region_name,
                                                          interface=instance.interface)
        if not endpoint:
            raise exceptions.EndpointNotFound(
                f"The cloud's service catalog has no {SERVICE_TYPE} endpoint (interface {instance.interface}"
                f"{', region ' + instance.region_name if instance.region_name else ''}): ask the cloud's "
                f"administrator to register the storage backup service, or name its URL with "
                f"--os-storage-backup-endpoint.")
    LOG.debug("storage backup service at %s", endpoint)
    return BackupClient(instance.session, endpoint=service_root(endpoint), interface=instance.interface,
                        region_name=instance.region_name, timeout=TIMEOUT)


def build_option_parser(parser):
    """The plugin's global options of the ``openstack`` command."""
    parser.add_argument(
        "--os-storage-backup-api-version", metavar="<storage-backup-api-version>",
        default=utils.env("OS_STORAGE_BACKUP_API_VERSION", default=DEFAULT_API_VERSION),
        choices=sorted(API_VERSIONS),
        help=f"Storage backup API version, default={DEFAULT_API_VERSION} (Env: OS_STORAGE_BACKUP_API_VERSION)")
    parser.add_argument(
        "--os-storage-backup-endpoint", metavar="<url>",
        default=utils.env("OS_STORAGE_BACKUP_ENDPOINT"),
        help="The storage backup service's URL instead of the catalog's data-protection endpoint "
             "(Env: OS_STORAGE_BACKUP_ENDPOINT)")
    return parser
