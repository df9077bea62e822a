# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Where a webhook may point: an http(s) URL without credentials, to a host the operator allows.

``STORAGE_BACKUP_WEBHOOK_ALLOWED_HOSTS`` lists names, addresses and networks. Empty, any host whose addresses are
all public is allowed; a loopback, private or link-local one (the cloud's own services, a metadata endpoint) only
when listed, so a tenant cannot make the control worker call into the control network. The URL is checked when the
hook is made; its host's addresses again at every delivery (a name may resolve elsewhere by then).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL = 2048


class TargetRefused(ValueError):
    pass


def _allowed_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in settings.NOTIFICATIONS["webhook_allowed_hosts"]:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _address_allowed(address, networks) -> bool:
    if networks or settings.NOTIFICATIONS["webhook_allowed_hosts"]:
        return any(address in network for network in networks)
    return address.is_global


def check_url(url: str) -> str:
    """The URL as it will be called, or ``TargetRefused`` saying what is wrong (for the API's 400)."""
    if not isinstance(url, str) or not url.strip():
        raise TargetRefused("must be an http:// or https:// URL")
    url = url.strip()
    if len(url) > MAX_URL:
        raise TargetRefused(f"must be at most {MAX_URL} characters")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise TargetRefused("must not contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not hold a user or password (the hook's signature authenticates the calls)")
    if parts.fragment:
        raise TargetRefused("must not have a #fragment")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        raise TargetRefused("has an invalid port") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("has no host")
    names, networks = _allowed_entries()
    address = _address(host)
    if address is not None:
        if host.lower() not in names and not _address_allowed(address, networks):
            raise TargetRefused(f"points at {host}, which the operator does not allow for webhooks "
                                "(STORAGE_BACKUP_WEBHOOK_ALLOWED_HOSTS)")
    elif settings.NOTIFICATIONS["webhook_allowed_hosts"] and host.lower() not in names and not networks:
        raise TargetRefused(f"points at {host}, which is not among the hosts the operator allows for webhooks")
    return url


def check_resolved(url: str) -> None:
    """Before a delivery: every address the host resolves to must be allowed (a listed name is trusted as it is)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    names, networks = _allowed_entries()
    if host.lower() in names:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise TargetRefused(f"{host} does not resolve: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not _address_allowed(address, networks):
            raise TargetRefused(f"{host} resolves to {address}, which the operator does not allow for webhooks")
