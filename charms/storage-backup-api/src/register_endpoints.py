#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Make sure Keystone's catalog has the service and its three endpoints, each with the given URL; change nothing
that is already right. Run by the storage-backup-api charm's leader with the service credentials keystone gave it
(``STORAGE_BACKUP_AUTH_URL``, ``_USERNAME``, ``_PASSWORD``, ``_PROJECT``, ``_USER_DOMAIN``, ``_PROJECT_DOMAIN``), in
the product's virtualenv (openstacksdk)."""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-type", required=True)
    parser.add_argument("--service-name", required=True)
    parser.add_argument("--region", required=True)
    for interface in ("public", "internal", "admin"):
        parser.add_argument(f"--{interface}-url", required=True)
    args = parser.parse_args(argv)
    import openstack

    env = os.environ
    conn = openstack.connect(auth_url=env["STORAGE_BACKUP_AUTH_URL"], username=env["STORAGE_BACKUP_USERNAME"],
                             password=env["STORAGE_BACKUP_PASSWORD"], project_name=env["STORAGE_BACKUP_PROJECT"],
                             user_domain_id=env.get("STORAGE_BACKUP_USER_DOMAIN", "default"),
                             project_domain_id=env.get("STORAGE_BACKUP_PROJECT_DOMAIN", "default"),
                             region_name=args.region)
    identity = conn.identity
    service = next(iter(identity.services(type=args.service_type)), None)
    if service is None:
        service = identity.create_service(type=args.service_type, name=args.service_name,
                                          description="Agentless backup and restore of instances", enabled=True)
    if identity.find_region(args.region) is None:
        identity.create_region(id=args.region)
    for interface in ("public", "internal", "admin"):
        url = getattr(args, f"{interface}_url")
        existing = list(identity.endpoints(service_id=service.id, interface=interface, region_id=args.region))
        if not existing:
            identity.create_endpoint(service_id=service.id, interface=interface, url=url, region_id=args.region)
        elif existing[0].url != url:
            identity.update_endpoint(existing[0], url=url)
        print(f"{args.service_type} {interface} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
