# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The proxy VMs' user-data (backend/etc/cloud-init/proxy-user-data.yaml, as ``storage-backup proxy-vm create``
fills it) against cloud-init's own schema: ``cloud-init schema --config-file``, Debian's cloud-init
(tools/charms/install.sh), the same check cloud-init runs at boot."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from storage_backup import proxy_vm

ACCOUNT = {"STORAGE_BACKUP_AUTH_URL": "https://keystone.example:5000/v3", "STORAGE_BACKUP_USERNAME": "backup-svc",
           "STORAGE_BACKUP_PASSWORD": "s3cret", "STORAGE_BACKUP_PROJECT": "services"}
CLOUD_INIT = shutil.which("cloud-init")
SCHEMA_TIMEOUT = 60


def schema_check(path) -> subprocess.CompletedProcess:
    assert CLOUD_INIT, "cloud-init is not installed: bash tools/charms/install.sh"
    return subprocess.run([CLOUD_INIT, "schema", "--config-file", str(path)], capture_output=True, text=True,
                          timeout=SCHEMA_TIMEOUT)


def rendered(ca: str | None = None) -> str:
    return proxy_vm.render_user_data("az2", "rediss://:pw@10.5.0.20:6379/0?ssl_cert_reqs=required", ACCOUNT,
                                     "storage-backup==1.2.0", ca)


@pytest.mark.parametrize("ca", [None, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"])
def test_the_filled_user_data_is_valid_cloud_config(tmp_path, ca):
    user_data = tmp_path / "user-data"
    user_data.write_text(rendered(ca))
    result = schema_check(user_data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_the_template_itself_is_valid_cloud_config():
    result = schema_check(proxy_vm.shared_file(proxy_vm.TEMPLATE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_what_the_vm_gets():
    text = rendered("CA PEM\n")
    assert text.startswith("#cloud-config\n")
    config = yaml.safe_load(text)
    files = {entry["path"]: entry for entry in config["write_files"]}
    env = files["/etc/storage-backup/worker.env"]
    assert env["permissions"] == "0600"
    assert "STORAGE_BACKUP_PROXY_AZ=az2\n" in env["content"] and "STORAGE_BACKUP_PASSWORD=s3cret\n" in env["content"]
    assert "-Q proxy.%i" in files["/etc/systemd/system/storage-backup-proxy@.service"]["content"]
    assert files["/etc/storage-backup/tls/ca.pem"]["content"] == "CA PEM\n"
    assert ["systemctl", "enable", "--now", "storage-backup-proxy@az2"] in config["runcmd"]
    assert ["/opt/storage-backup/bin/pip", "install", "storage-backup==1.2.0"] in config["runcmd"]
    assert "@" not in " ".join(str(command) for command in config["runcmd"]).replace("proxy@az2", "")


def test_the_check_refuses_a_broken_user_data(tmp_path):
    config = yaml.safe_load(rendered())
    config["runcmd"] = {"start": "storage-backup"}
    config["write_files"][0]["permissions"] = 600
    user_data = tmp_path / "user-data"
    user_data.write_text("#cloud-config\n" + yaml.safe_dump(config))
    result = schema_check(user_data)
    assert result.returncode != 0 and "runcmd" in result.stdout + result.stderr
