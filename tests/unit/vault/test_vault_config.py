# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker's config: its copy window (time zone, across midnight), what it refuses, and read-only access to
each primary (an object store's primary needs keys of the worker's own)."""
from __future__ import annotations

import datetime as dt

import pytest
from storage_backup.vault.config import VaultConfigError, Window, load

CONFIG = """\
[api]
url = http://127.0.0.1:8779/
vault_id = vault-1

[keystone]
auth_type = v3applicationcredential
auth_url = http://127.0.0.1:5000/v3
application_credential_id = ac-1
application_credential_secret = s3cr3t

[worker]
key_file = /var/lib/storage-backup/vault.key
window = 22:30-04:00
timezone = Europe/Warsaw

[vault]
location = s3://vault/backups?endpoint=http://127.0.0.1:7480&lock=COMPLIANCE&lock_days=30
access_key = vault-key
secret_key = vault-secret

[primary:p-s3]
access_key = ro-key
secret_key = ro-secret

[primary:p-fs]
location = /mnt/primary-ro
"""


def _at(hour: int, minute: int = 0, zone: str = "Europe/Warsaw") -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, 12, 2, hour, minute, tzinfo=ZoneInfo(zone))


def test_a_window_across_midnight_in_its_own_time_zone():
    window = Window.parse("22:30-04:00", "Europe/Warsaw")
    assert window.contains(_at(23)) and window.contains(_at(3, 59)) and window.contains(_at(22, 30))
    assert not window.contains(_at(4)) and not window.contains(_at(12))
    assert window.contains(_at(22, 0, "UTC"))  # 23:00 in Warsaw
    assert Window.parse("01:00-05:00").contains(_at(2, 0, "UTC"))
    assert Window.parse("").contains(_at(12)) and Window.parse("").describe() == "at any time"


@pytest.mark.parametrize(("text", "zone"), [("01:00", "UTC"), ("01:00-01:00", "UTC"), ("25:00-02:00", "UTC"),
                                            ("01:00-02:00", "Mars/Olympus")])
def test_a_window_that_cannot_work_is_refused_naming_the_setting(text, zone):
    with pytest.raises(VaultConfigError, match=r"\[worker\]"):
        Window.parse(text, zone)


def test_the_config_holds_the_vault_keys_and_each_primarys_read_only_access(tmp_path):
    path = tmp_path / "vault.conf"
    path.write_text(CONFIG)
    config = load(str(path))
    assert config.api_url == "http://127.0.0.1:8779" and config.vault_id == "vault-1"
    assert config.vault.credentials == {"access_key": "vault-key", "secret_key": "vault-secret"}
    assert "s3cr3t" not in repr(config) and "vault-secret" not in repr(config)  # never in a log line
    s3 = config.primary_access("p-s3", "s3", "s3://primary/x?endpoint=http://127.0.0.1:7480")
    assert s3.location.startswith("s3://primary") and s3.credentials == {"access_key": "ro-key",
                                                                         "secret_key": "ro-secret"}
    assert config.primary_access("p-fs", "filesystem", "/srv/primary").location == "/mnt/primary-ro"
    assert config.primary_access("other", "filesystem", "/srv/other").location == "/srv/other"
    with pytest.raises(VaultConfigError, match=r"\[primary:p-none\]"):
        config.primary_access("p-none", "s3", "s3://primary/x")


def test_a_config_without_the_vault_or_keystone_is_refused(tmp_path):
    path = tmp_path / "vault.conf"
    path.write_text(CONFIG.replace("[vault]\nlocation", "[vault]\nplace"))
    with pytest.raises(VaultConfigError, match=r"\[vault\] location"):
        load(str(path))
    path.write_text(CONFIG.replace("auth_url", "url_of_auth"))
    with pytest.raises(VaultConfigError, match=r"\[keystone\] auth_url"):
        load(str(path))
