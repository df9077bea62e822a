# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""State-transition tests of storage-backup-api: install, every relation's request and answer, the leader's
secrets, Redis/haproxy/TLS, proxy key enrolment, the actions, stop. Files go under a temporary ROOT."""
from __future__ import annotations

import json
import os

import charm
import pytest
from charm_testing import CommandLog, make_charm_root
from ops import testing

CHARM = "storage-backup-api"
ADDRESS = "10.5.0.20"
KEYSTONE = {"credentials_username": "storage-backup", "credentials_password": "s3cret",
            "credentials_project": "services", "auth_host": "10.5.0.5", "auth_port": "5000",
            "auth_protocol": "https", "region": "RegionOne"}
VAULT = {"storage-backup-api_0.server.cert": "CERT", "storage-backup-api_0.server.key": "KEY", "ca": "CA"}


@pytest.fixture
def commands(monkeypatch, tmp_path) -> CommandLog:
    log = CommandLog()
    monkeypatch.setattr(charm, "run", log)
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setattr(charm, "ROOT", str(root))
    return log


def read(name: str) -> str:
    with open(charm.path(name), encoding="utf-8") as handle:
        return handle.read()


def context(tmp_path, wheel_dir) -> testing.Context:
    return testing.Context(charm.StorageBackupApiCharm, charm_root=make_charm_root(CHARM, tmp_path, wheel_dir))


def network() -> testing.Network:
    return testing.Network("cluster", bind_addresses=[testing.BindAddress([testing.Address(ADDRESS)])],
                           ingress_addresses=[ADDRESS])


def relations(db: str = "mysql", tls: bool = False, extra=()):
    found = [testing.PeerRelation("cluster"),
             testing.Relation("identity-credentials", remote_app_name="keystone", remote_units_data={0: KEYSTONE})]
    if db == "mysql":
        found.append(testing.Relation("shared-db", remote_app_name="mysql-router", remote_units_data={
            0: {"db_host": "127.0.0.1", "password": "dbpass", "allowed_units": "storage-backup-api/0"}}))
    elif db == "postgresql":
        found.append(testing.Relation("database", remote_app_name="postgresql", remote_app_data={
            "endpoints": "10.5.0.30:5432", "username": "relation-7", "password": "pgpass"}))
    if tls:
        found.append(testing.Relation("certificates", remote_app_name="vault", remote_units_data={0: VAULT}))
    return [*found, *extra]


def state(leader: bool = True, **kwargs) -> testing.State:
    return testing.State(leader=leader, relations=relations(**kwargs), networks={network()})


def env_file() -> dict[str, str]:
    return dict(line.split("=", 1) for line in read("/etc/storage-backup/storage-backup.env").splitlines())


def test_install_without_the_wheel_blocks(tmp_path, commands):
    ctx = context(tmp_path, None)
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.BlockedStatus("no storage_backup-*.whl in the charm: pack it with its wheel")
    assert commands == []


def test_install_puts_the_wheel_and_the_products_units_in_place(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.install(), testing.State(leader=True, relations=[testing.PeerRelation("cluster")],
                                                  networks={network()}))
    pip = commands.named(f"{charm.VENV}/bin/pip")[0]
    assert pip[-1].endswith("-py3-none-any.whl[api,postgresql,mariadb]")
    assert commands[0][:3] == ["apt-get", "install", "-y"] and "redis-server" in commands[0]
    for unit in charm.UNITS:
        assert "ExecStart=/opt/storage-backup/bin/" in read(f"/etc/systemd/system/{unit}")
    assert read("/etc/redis/redis.conf").endswith("include /etc/redis/storage-backup.conf\n")
    assert out.unit_status == testing.WaitingStatus("waiting for identity-credentials, shared-db or database")
    assert len(commands.named("useradd")) == 1
    # upgrade-charm installs the new wheel and units again, the user stays.
    commands.clear()
    ctx.run(ctx.on.upgrade_charm(), out)
    assert commands.named(f"{charm.VENV}/bin/pip") and not commands.named("useradd")


def test_relation_requests(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    keystone = testing.Relation("identity-credentials")
    out = ctx.run(ctx.on.relation_joined(keystone), testing.State(relations=[keystone], networks={network()}))
    assert out.get_relation(keystone.id).local_unit_data["username"] == "storage-backup"
    shared_db = testing.Relation("shared-db")
    out = ctx.run(ctx.on.relation_joined(shared_db), testing.State(relations=[shared_db], networks={network()}))
    data = out.get_relation(shared_db.id).local_unit_data
    assert (data["database"], data["username"], data["hostname"]) == ("storage_backup", "storage-backup", ADDRESS)
    database = testing.Relation("database")
    out = ctx.run(ctx.on.relation_joined(database), testing.State(leader=True, relations=[database]))
    assert out.get_relation(database.id).local_app_data == {"database": "storage_backup"}
    certificates = testing.Relation("certificates")
    out = ctx.run(ctx.on.relation_joined(certificates),
                  testing.State(relations=[certificates], networks={network()}))
    data = out.get_relation(certificates.id).local_unit_data
    assert data["common_name"] == ADDRESS and json.loads(data["sans"]) == [ADDRESS]


def test_leader_with_keystone_and_mysql_runs_the_service(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.config_changed(), state())
    env = env_file()
    assert env["STORAGE_BACKUP_DATABASE_URL"] == "mysql://storage-backup:dbpass@127.0.0.1:3306/storage_backup"
    assert env["STORAGE_BACKUP_AUTH_URL"] == "https://10.5.0.5:5000/v3"
    assert env["STORAGE_BACKUP_USERNAME"] == "storage-backup" and env["STORAGE_BACKUP_PASSWORD"] == "s3cret"
    assert env["STORAGE_BACKUP_REGION"] == "RegionOne" and env["STORAGE_BACKUP_LOG_LEVEL"] == "INFO"
    # The catalog key and the Redis password are the leader's Juju secrets, their IDs shared with the peers.
    catalog_key = out.get_secret(label=charm.CATALOG_KEY_LABEL).tracked_content["keys"]
    redis_password = out.get_secret(label=charm.REDIS_LABEL).tracked_content["password"]
    assert env["STORAGE_BACKUP_CATALOG_KEY"] == catalog_key and len(catalog_key) == 44
    assert env["STORAGE_BACKUP_BROKER_URL"] == f"redis://:{redis_password}@{ADDRESS}:6379/0"
    redis = read("/etc/redis/storage-backup.conf")
    assert f"requirepass {redis_password}" in redis and "port 6379" in redis and "tls-port" not in redis
    assert f"bind {ADDRESS}:8779\n" in read("/etc/haproxy/haproxy.cfg")
    assert oct(os.stat(charm.path("/etc/storage-backup/storage-backup.env")).st_mode & 0o777) == "0o640"
    register = commands.named("--service-type")[0]
    assert register[register.index("--service-type") + 1] == "data-protection"
    assert register[register.index("--public-url") + 1] == f"http://{ADDRESS}:8779/v1"
    assert commands.environments[commands.index(register)]["STORAGE_BACKUP_PASSWORD"] == "s3cret"
    assert commands.named("restart") and out.unit_status == testing.ActiveStatus(f"API on http://{ADDRESS}:8779/v1")
    assert {port.port for port in out.opened_ports} == {8779, 6379}
    peer = out.get_relation(next(r.id for r in out.relations if r.endpoint == "cluster")).local_app_data
    assert peer["catalog-key-secret-id"] and peer["redis-host"] == ADDRESS

    # Nothing changed: nothing restarts.
    commands.clear()
    ctx.run(ctx.on.update_status(), out)
    assert not commands.named("restart")


def test_tls_everywhere_with_vault(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.config_changed(), state(tls=True))
    env = env_file()
    assert env["STORAGE_BACKUP_BROKER_URL"].startswith("rediss://:")
    assert "ssl_ca_certs=/etc/storage-backup/tls/ca.pem" in env["STORAGE_BACKUP_BROKER_URL"]
    redis = read("/etc/redis/storage-backup.conf")
    assert "port 0\n" in redis and "tls-port 6379" in redis
    assert "ssl crt /etc/storage-backup/tls/server.pem" in read("/etc/haproxy/haproxy.cfg")
    assert read("/etc/storage-backup/tls/server.pem") == "CERT\nKEY"
    assert out.unit_status == testing.ActiveStatus(f"API on https://{ADDRESS}:8779/v1")


def test_postgresql_instead_of_mysql(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    ctx.run(ctx.on.config_changed(), state(db="postgresql"))
    assert env_file()["STORAGE_BACKUP_DATABASE_URL"] == \
        "postgresql://relation-7:pgpass@10.5.0.30:5432/storage_backup"


def test_waits_for_mysql_router_to_allow_this_unit(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    shared_db = testing.Relation("shared-db", remote_units_data={0: {"db_host": "127.0.0.1", "password": "x",
                                                                     "allowed_units": "storage-backup-api/1"}})
    base = state(db=None)
    out = ctx.run(ctx.on.config_changed(), testing.State(leader=True, relations=[*base.relations, shared_db],
                                                         networks={network()}))
    assert out.unit_status == testing.WaitingStatus("waiting for shared-db or database")


def test_config_options_reach_the_services_settings(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.config_changed(), state())
    commands.clear()
    changed = testing.State(leader=True, relations=out.relations, networks=out.networks, secrets=out.secrets,
                            config={"availability-zones": "az1,az2", "tick-seconds": 10.0, "log-level": "DEBUG"})
    ctx.run(ctx.on.config_changed(), changed)
    env = env_file()
    assert env["STORAGE_BACKUP_AVAILABILITY_ZONES"] == "az1,az2" and env["STORAGE_BACKUP_TICK_SECONDS"] == "10.0"
    assert env["STORAGE_BACKUP_LOG_LEVEL"] == "DEBUG" and commands.named("restart")


def test_a_follower_reads_the_leaders_secrets_and_runs_no_redis(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    led = ctx.run(ctx.on.config_changed(), state())
    leader_env = env_file()
    os.unlink(charm.path("/etc/redis/storage-backup.conf"))
    commands.clear()
    follower = testing.State(leader=False, relations=led.relations, networks=led.networks, secrets=led.secrets)
    out = ctx.run(ctx.on.config_changed(), follower)
    assert env_file()["STORAGE_BACKUP_CATALOG_KEY"] == leader_env["STORAGE_BACKUP_CATALOG_KEY"]
    assert not os.path.exists(charm.path("/etc/redis/storage-backup.conf"))
    assert not [c for c in commands.named("restart") if "redis-server.service" in c]
    assert not commands.named("--service-type") and out.unit_status.name == "active"


def test_proxies_get_the_broker_and_their_keys_are_enrolled(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    key = "x25519:" + "A" * 43 + "="
    proxies = testing.Relation("proxies", remote_app_name="storage-backup-proxy", remote_units_data={
        0: {"proxy-name": "proxy-az1-0", "queue": "proxy.az1", "public-keys": json.dumps([key])}})
    commands.replies["list"] = json.dumps([{"public_key": "x25519:other", "revoked": False}])
    out = ctx.run(ctx.on.relation_changed(proxies), state(extra=[proxies]))
    enrol = commands.named("enrol")
    assert len(enrol) == 1 and enrol[0][-6:] == ["enrol", "proxy-az1-0", "--queue", "proxy.az1", "--public-key", key]
    data = out.get_relation(proxies.id).local_app_data
    broker = out.get_secret(id=data["broker-secret-id"])
    assert broker.tracked_content["url"] == env_file()["STORAGE_BACKUP_BROKER_URL"]
    assert proxies.id in broker.remote_grants

    # Already enrolled: not again.
    commands.clear()
    commands.replies["list"] = json.dumps([{"public_key": key, "revoked": False}])
    ctx.run(ctx.on.relation_changed(out.get_relation(proxies.id)), out)
    assert not commands.named("enrol")


def test_backup_now(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.config_changed(), state())
    commands.replies["backup_now"] = "42\n"
    ctx.run(ctx.on.action("backup-now", params={"instance-id": "3f2a", "strategy": "full"}), out)
    command = commands.named("backup_now")[0]
    assert command[:3] == ["runuser", "-u", "storage-backup"]
    assert command[-4:] == ["backup_now", "3f2a", "--strategy", "full"]
    assert ctx.action_results == {"job": "42"}


def test_actions_fail_before_the_service_is_configured(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    with pytest.raises(testing.ActionFailed, match="relate identity-credentials and a database first"):
        ctx.run(ctx.on.action("backup-now", params={"instance-id": "3f2a"}), testing.State())
    with pytest.raises(testing.ActionFailed, match="relate identity-credentials"):
        ctx.run(ctx.on.action("rebuild-catalog"), testing.State())


def test_rebuild_catalog(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.config_changed(), state())
    commands.replies["rebuild_catalog"] = "destination d1: 3 restore points, 1 added\n"
    ctx.run(ctx.on.action("rebuild-catalog", params={"destination": "d1", "dry-run": True}), out)
    assert commands.named("rebuild_catalog")[0][-4:] == ["rebuild_catalog", "--destination", "d1", "--dry-run"]
    assert ctx.action_results == {"report": "destination d1: 3 restore points, 1 added"}


def test_rotate_catalog_key_puts_a_new_key_in_front(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    out = ctx.run(ctx.on.config_changed(), state())
    old_key = env_file()["STORAGE_BACKUP_CATALOG_KEY"]
    commands.clear()
    rotated = ctx.run(ctx.on.action("rotate-catalog-key"), out)
    keys = rotated.get_secret(label=charm.CATALOG_KEY_LABEL).latest_content["keys"].split(",")
    assert keys[1] == old_key and keys[0] != old_key
    assert env_file()["STORAGE_BACKUP_CATALOG_KEY"] == ",".join(keys) and commands.named("restart")
    assert ctx.action_results == {"keys": 2, "new-key-id": charm._key_id(keys[0])}
    with pytest.raises(testing.ActionFailed, match="on the leader unit"):
        ctx.run(ctx.on.action("rotate-catalog-key"), testing.State(leader=False))


def test_stop_disables_every_service(tmp_path, wheel_dir, commands):
    ctx = context(tmp_path, wheel_dir)
    ctx.run(ctx.on.stop(), testing.State())
    assert commands == [["systemctl", "disable", "--now", *charm.SERVICES]]
