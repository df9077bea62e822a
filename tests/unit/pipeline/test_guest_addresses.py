# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Where pre/post commands reach an instance (``guest_commands.addresses_from_server``): its access address when
it has one, else its addresses on the configured network, else all of them, fixed before floating."""
from __future__ import annotations

from storage_backup.guest_commands import SSH_NETWORK_VARIABLE, addresses_from_server

ADDRESSES = {
    "public": [{"addr": "203.0.113.7", "OS-EXT-IPS:type": "floating"},
               {"addr": "10.0.0.5", "OS-EXT-IPS:type": "fixed"}],
    "management": [{"addr": "fd00::5", "OS-EXT-IPS:type": "fixed"},
                   {"addr": "172.16.0.5", "OS-EXT-IPS:type": "fixed"}],
}


def test_the_access_address_alone_when_set(monkeypatch):
    monkeypatch.setenv(SSH_NETWORK_VARIABLE, "management")
    assert addresses_from_server({"accessIPv4": "127.130.1.2", "addresses": ADDRESSES}) == ["127.130.1.2"]
    # openstacksdk's Server spells it access_ipv4; an IPv6 access address serves when there is no IPv4 one
    assert addresses_from_server({"access_ipv4": "", "access_ipv6": "2001:db8::9", "addresses": ADDRESSES}) \
        == ["2001:db8::9"]


def test_the_configured_network_next(monkeypatch):
    monkeypatch.setenv(SSH_NETWORK_VARIABLE, "management")
    assert addresses_from_server({"accessIPv4": "", "addresses": ADDRESSES}) == ["172.16.0.5", "fd00::5"]
    assert addresses_from_server({"addresses": ADDRESSES}, network="elsewhere") == [
        "10.0.0.5", "172.16.0.5", "fd00::5", "203.0.113.7"]


def test_every_address_fixed_before_floating_without_either(monkeypatch):
    monkeypatch.delenv(SSH_NETWORK_VARIABLE, raising=False)
    assert addresses_from_server({"addresses": ADDRESSES}) == ["10.0.0.5", "172.16.0.5", "fd00::5", "203.0.113.7"]
    assert addresses_from_server({"addresses": {}}) == []
