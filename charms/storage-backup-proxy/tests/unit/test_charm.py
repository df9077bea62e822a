# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""State-transition tests of storage-backup-proxy: install from the wheel and the product's unit, the key offered
for enrolment, the broker secret from the API, the service account secret, the read-only cephx key (role=diff only),
stop. Files go under a temporary ROOT."""
from __future__ import annotations

import json
import os

import charm
import pytest
from charm_testing import CommandLog, build_wheels, make_charm_root
from ops import testing

CHARM = "storage-backup-proxy"
KEY = "x25519:" + "B" * 43 + "="
ACCOUNT = {"auth-url": "https://10.5.0.5:5000/v3", "username": "backup-svc", "password": "pw", "project": "services"}


@pytest.fixture
def commands(monkeypatch, tmp_path) -> CommandLog:
    log = CommandLog()
    log.replies["proxy-key"] = json.dumps([{"key_id": "k1", "public_key": KEY}])
    monkeypatch.setattr(charm, "run", log)
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setattr(charm, "ROOT", str(root))
    return log


def read(name: str) -> str:
    with open(charm.path(name), encoding="utf-8") as handle:
        return handle.read()


def context(tmp_path, wheel_dir) -> testing.Context:
    return testing.Context(charm.StorageBackupProxyCharm, charm_root=make_charm_root(CHARM, tmp_path, wheel_dir))


def setup(role="proxy", zone="az1", broker=True, ceph=None, account=True):
    account_secret = testing.Secret(tracked_content=ACCOUNT)
    broker_secret = testing.Secret(tracked_content={"url": "rediss://:pw@10.5.0.20:6379/0"})
    api = testing.Relation("api", remote_app_name="storage-backup-api",
                           remote_app_data={"broker-secret-id": broker_secret.id, "ca": "CA"} if broker else {})
    relations = [api] + ([ceph] if ceph else [])
    config = {"role": role, "availability-zone": zone, "server-id": "9c1e"}
    if account:
        config["service-account"] = account_secret.id
    return api, testing.State(relations=relations, secrets=[account_secret, broker_secret], config=config)


def env_file() -> dict[str, str]:
    return dict(line.split("=", 1) for line in read("/etc/storage-backup/worker.env").splitlines())


def test_install_without_the_wheel_blocks(tmp_path, commands):
    ctx = context(tmp_path, None)
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.BlockedStatus("no storage_backup-*.whl in the charm: pack it with its wheel")


def test_install_uses_the_products_unit_and_runs_the_zones_worker(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    api, state = setup()
    out = ctx.run(ctx.on.install(), state)
    assert "-Q proxy.%i" in read("/etc/systemd/system/storage-backup-proxy@.service")
    assert "-Q ceph -n ceph@%H" in read("/etc/systemd/system/storage-backup-diff.service")
    env = env_file()
    assert env["STORAGE_BACKUP_BROKER_URL"] == "rediss://:pw@10.5.0.20:6379/0"
    assert env["STORAGE_BACKUP_PROXY_SERVER_ID"] == "9c1e" and env["STORAGE_BACKUP_PASSWORD"] == "pw"
    assert read("/etc/storage-backup/tls/ca.pem") == "CA"
    assert ["systemctl", "restart", "storage-backup-proxy@az1.service"] in commands
    data = out.get_relation(api.id).local_unit_data
    assert (data["proxy-name"], data["queue"], json.loads(data["public-keys"])) == ("proxy-az1-0", "proxy.az1", [KEY])
    assert out.unit_status == testing.ActiveStatus("proxy.az1, 1 key(s) offered for enrolment")


@pytest.mark.parametrize("change, message", [
    ({"zone": ""}, "set availability-zone (the AZ this proxy VM is in)"),
    ({"account": False}, "set service-account (juju add-secret, then juju config)"),
    ({"role": "mover"}, "role must be proxy or diff, not 'mover'"),
    ({"ceph": testing.Relation("ceph")}, "a proxy VM takes no cephx key: relate ceph to a role=diff unit"),
])
def test_config_mistakes_block_with_what_to_do(tmp_path, wheel_dir, commands, change, message):
    ctx = context(tmp_path, wheel_dir)
    _, state = setup(**change)
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.unit_status == testing.BlockedStatus(message)
    assert not commands.named("systemctl")


def test_server_id_from_cloud_init(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    charm.write_file("/var/lib/cloud/data/instance-id", "5d0b-from-nova\n")
    _, state = setup()
    state = testing.State(relations=state.relations, secrets=state.secrets,
                          config={**state.config, "server-id": ""})
    ctx.run(ctx.on.config_changed(), state)
    assert env_file()["STORAGE_BACKUP_PROXY_SERVER_ID"] == "5d0b-from-nova"


def test_waits_for_the_api_and_still_offers_its_key(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    api, state = setup(broker=False)
    out = ctx.run(ctx.on.relation_joined(api), state)
    assert out.unit_status == testing.WaitingStatus("waiting for storage-backup-api (relation api)")
    assert json.loads(out.get_relation(api.id).local_unit_data["public-keys"]) == [KEY]


def test_diff_role_asks_ceph_for_a_read_only_key_and_runs_the_ceph_queue(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    ceph = testing.Relation("ceph", remote_app_name="ceph-mon")
    _, state = setup(role="diff", zone="", ceph=ceph)
    out = ctx.run(ctx.on.relation_joined(ceph), state)
    request = json.loads(out.get_relation(ceph.id).local_unit_data["broker_req"])
    assert request["ops"][0]["permissions"] == ["mon", "profile rbd", "osd", "profile rbd-read-only"]
    assert out.unit_status == testing.WaitingStatus("waiting for a read-only cephx key (relation ceph)")

    answered = testing.Relation("ceph", id=ceph.id, remote_app_name="ceph-mon", remote_units_data={
        0: {"key": "AQBkey==", "ceph-public-address": "10.5.0.40"}, 1: {"ceph-public-address": "10.5.0.41"}})
    _, state = setup(role="diff", zone="", ceph=answered)
    out = ctx.run(ctx.on.relation_changed(answered, remote_unit=0), state)
    assert "mon host = 10.5.0.40,10.5.0.41" in read("/etc/ceph/ceph.conf")
    assert "key = AQBkey==" in read("/etc/ceph/ceph.client.storage-backup-diff.keyring")
    env = env_file()
    assert env["STORAGE_BACKUP_CEPH_CLIENT"] == "storage-backup-diff" and "PROXY_SERVER_ID" not in str(env)
    assert ["systemctl", "restart", "storage-backup-diff.service"] in commands
    assert out.unit_status == testing.ActiveStatus("ceph, 1 key(s) offered for enrolment")


def test_stop_disables_the_worker(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    _, state = setup()
    ctx.run(ctx.on.stop(), state)
    assert commands == [["systemctl", "disable", "--now", "storage-backup-proxy@az1.service"]]


def test_diff_unit_follows_the_products_unit():
    with open(os.path.join(build_wheels.SYSTEMD_UNITS, charm.TEMPLATE_UNIT), encoding="utf-8") as handle:
        template = handle.read()
    unit = charm.diff_unit(template)
    assert "NoNewPrivileges=yes" in unit and "%i" not in unit
    with pytest.raises(ValueError, match="update diff_unit"):
        charm.diff_unit(template.replace("-Q proxy.%i", "-Q proxy.%I"))
