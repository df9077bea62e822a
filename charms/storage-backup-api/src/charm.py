#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""storage-backup-api: the control plane (REST API, control worker, beat) with the product's systemd units, haproxy
in front of the API, and the Redis every storage-backup process shares.

Relations, each with the keys of the interface Charmed OpenStack's charms speak:

- ``identity-credentials`` (keystone-credentials): we ask for a ``username``; keystone creates it in its service
  project with the admin role and answers ``credentials_username``/``_password``/``_project``, ``auth_host``,
  ``auth_port``, ``auth_protocol``, ``region``. The leader then registers the ``data-protection`` service and its
  endpoints itself (``register_endpoints.py``, openstacksdk): keystone's ``identity-service`` relation only
  registers the service types in its own built-in list, which has no data-protection.
- ``shared-db`` (mysql-shared, through mysql-router): we send ``database``/``username``/``hostname``, it answers
  ``db_host``, ``password``, ``allowed_units``. Or ``database`` (postgresql_client): we send ``database`` in our
  application's data, it answers ``endpoints``, ``username``, ``password``.
- ``certificates`` (tls-certificates, vault): we send ``common_name`` and ``sans``; vault answers
  ``<unit>.server.cert``/``.server.key`` and ``ca``. With them haproxy serves the API over HTTPS and Redis speaks
  TLS only.
- ``proxies`` (storage-backup-proxy): each proxy unit sends ``proxy-name``, ``queue`` and ``public-keys``; the
  leader enrols the keys (``python -m django proxy_keys enrol``, the product's own command) and gives every proxy
  the broker URL as a Juju secret (``broker-secret-id``) and the CA.

Redis is ours: ``openstack-base`` has none, Charmed OpenStack has no maintained machine Redis charm, and the product
needs Redis beside its control plane (Celery broker and results, cancel keys, job logs, liveness). It runs on the
leader with a generated password (a Juju secret) and, with certificates, TLS only.

The catalog key (``STORAGE_BACKUP_CATALOG_KEY``) is a Juju secret the leader creates; every unit reads it through the
peer relation; ``rotate-catalog-key`` puts a new key in front.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import subprocess

import ops

LOG = logging.getLogger(__name__)
#: Where files go; the tests point it at a temporary directory.
ROOT = "/"
VENV = "/opt/storage-backup"
WHEEL_PREFIX = "storage_backup-"
UNITS = ("storage-backup-api.service", "storage-backup-control-worker.service", "storage-backup-beat.service")
SERVICES = (*UNITS, "redis-server.service", "haproxy.service")
APT_PACKAGES = ("python3-venv", "redis-server", "haproxy")
API_LOCAL_PORT = 8779  # the unit files' --port; haproxy listens on the unit's own address
REDIS_PORT = 6379
SERVICE_TYPE = "data-protection"
SERVICE_NAME = "storage-backup"
SERVICE_USER = "storage-backup"
DATABASE = "storage_backup"
COMMAND_TIMEOUT = 900
CATALOG_KEY_LABEL = "catalog-key"
REDIS_LABEL = "redis-password"
BROKER_LABEL = "broker-url"
#: charm config -> the service's setting (backend/storage_backup/settings.py)
CONFIG_ENV = {
    "region": "STORAGE_BACKUP_REGION",
    "availability-zones": "STORAGE_BACKUP_AVAILABILITY_ZONES",
    "tick-seconds": "STORAGE_BACKUP_TICK_SECONDS",
    "sweeper-seconds": "STORAGE_BACKUP_SWEEPER_SECONDS",
    "proxy-down-after": "STORAGE_BACKUP_PROXY_DOWN_AFTER",
    "job-max-attempts": "STORAGE_BACKUP_JOB_MAX_ATTEMPTS",
    "log-level": "STORAGE_BACKUP_LOG_LEVEL",
}


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    """One workload command; a failure raises (the hook errors and Juju retries it). Returns its stdout."""
    LOG.info("running %s", " ".join(command))
    result = subprocess.run(command, check=True, timeout=COMMAND_TIMEOUT, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    return result.stdout


def path(*parts: str) -> str:
    return os.path.join(ROOT, *(part.lstrip("/") for part in parts))


def write_file(name: str, content: str, mode: int = 0o644) -> bool:
    """Write ``content`` to ``ROOT/name`` (atomically, with ``mode``); True when it changed."""
    target = path(name)
    try:
        with open(target, encoding="utf-8") as handle:
            if handle.read() == content:
                return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = target + ".tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(temporary, target)
    return True


def new_catalog_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


class StorageBackupApiCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        observe = framework.observe
        observe(self.on.install, self._on_install)
        observe(self.on.upgrade_charm, self._on_install)
        for event in (self.on.config_changed, self.on.leader_elected, self.on.secret_changed,
                      self.on.update_status, self.on.cluster_relation_changed,
                      self.on.identity_credentials_relation_changed, self.on.shared_db_relation_changed,
                      self.on.database_relation_changed, self.on.certificates_relation_changed,
                      self.on.proxies_relation_changed, self.on.identity_credentials_relation_broken,
                      self.on.shared_db_relation_broken, self.on.database_relation_broken,
                      self.on.certificates_relation_broken):
            observe(event, self._reconcile)
        observe(self.on.identity_credentials_relation_joined, self._request_credentials)
        observe(self.on.shared_db_relation_joined, self._request_database)
        observe(self.on.database_relation_joined, self._request_database)
        observe(self.on.certificates_relation_joined, self._request_certificate)
        observe(self.on.stop, self._on_stop)
        observe(self.on.backup_now_action, self._on_backup_now)
        observe(self.on.rebuild_catalog_action, self._on_rebuild_catalog)
        observe(self.on.rotate_catalog_key_action, self._on_rotate_catalog_key)

    # -- install -----------------------------------------------------------------------------------------------

    def workload_dir(self) -> str:
        return os.path.join(str(self.charm_dir), "workload")

    def wheel(self) -> str | None:
        try:
            names = sorted(n for n in os.listdir(self.workload_dir()) if n.startswith(WHEEL_PREFIX))
        except FileNotFoundError:
            return None
        return os.path.join(self.workload_dir(), names[-1]) if names else None

    def _on_install(self, event: ops.EventBase) -> None:
        wheel = self.wheel()
        if wheel is None:
            self.unit.status = ops.BlockedStatus("no storage_backup-*.whl in the charm: pack it with its wheel")
            return
        self.unit.status = ops.MaintenanceStatus("installing storage-backup")
        run(["apt-get", "install", "-y", *APT_PACKAGES], env={"DEBIAN_FRONTEND": "noninteractive"})
        if not os.path.exists(path("/etc/storage-backup/.user")):
            run(["useradd", "--system", "--home-dir", "/var/lib/storage-backup", "--shell", "/usr/sbin/nologin",
                 SERVICE_USER])
            write_file("/etc/storage-backup/.user", SERVICE_USER + "\n")
        run(["python3", "-m", "venv", VENV])
        run([f"{VENV}/bin/pip", "install", f"{wheel}[api,postgresql,mariadb]"])
        for unit in UNITS:
            with open(os.path.join(self.workload_dir(), unit), encoding="utf-8") as handle:
                write_file(f"/etc/systemd/system/{unit}", handle.read())
        self._include_redis_conf()
        run(["systemctl", "daemon-reload"])
        self._reconcile(event)

    @staticmethod
    def _include_redis_conf() -> None:
        """Debian's redis.conf includes ours last, so our bind, password and TLS win."""
        include = "include /etc/redis/storage-backup.conf\n"
        try:
            with open(path("/etc/redis/redis.conf"), encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = ""
        if include not in current:
            write_file("/etc/redis/redis.conf", current + ("" if current.endswith("\n") or not current else "\n")
                       + include, 0o640)

    # -- requests on the relations -------------------------------------------------------------------------------

    def address(self) -> str:
        binding = self.model.get_binding("cluster")
        return str(binding.network.ingress_address) if binding else "127.0.0.1"

    def _request_credentials(self, event: ops.RelationJoinedEvent) -> None:
        event.relation.data[self.unit].update({"username": SERVICE_NAME, "requested_roles": "admin"})

    def _request_database(self, event: ops.RelationJoinedEvent) -> None:
        if event.relation.name == "shared-db":
            event.relation.data[self.unit].update({"database": DATABASE, "username": SERVICE_NAME,
                                                   "hostname": self.address()})
        elif self.unit.is_leader():
            event.relation.data[self.app].update({"database": DATABASE})

    def _request_certificate(self, event: ops.RelationJoinedEvent) -> None:
        event.relation.data[self.unit].update({"common_name": self.address(), "sans": json.dumps([self.address()]),
                                               "unit_name": self.unit.name.replace("/", "_")})

    # -- what the relations gave -----------------------------------------------------------------------------

    def credentials(self) -> dict[str, str] | None:
        relation = self.model.get_relation("identity-credentials")
        for unit in relation.units if relation else ():
            data = relation.data[unit]
            if data.get("credentials_password") and data.get("auth_host"):
                return {"STORAGE_BACKUP_AUTH_URL": f"{data.get('auth_protocol', 'http')}://{data['auth_host']}:"
                                                   f"{data.get('auth_port', '5000')}/v3",
                        "STORAGE_BACKUP_USERNAME": data["credentials_username"],
                        "STORAGE_BACKUP_PASSWORD": data["credentials_password"],
                        "STORAGE_BACKUP_PROJECT": data.get("credentials_project", "services"),
                        "STORAGE_BACKUP_USER_DOMAIN": data.get("credentials_user_domain_id", "default"),
                        "STORAGE_BACKUP_PROJECT_DOMAIN": data.get("credentials_project_domain_id", "default")}
        return None

    def database_url(self) -> str | None:
        relation = self.model.get_relation("shared-db")
        for unit in relation.units if relation else ():
            data = relation.data[unit]
            allowed = data.get("allowed_units", "").split()
            if data.get("db_host") and data.get("password") and self.unit.name in allowed:
                return f"mysql://{SERVICE_NAME}:{data['password']}@{data['db_host']}:3306/{DATABASE}"
        relation = self.model.get_relation("database")
        if relation and relation.app:
            data = relation.data[relation.app]
            if data.get("endpoints") and data.get("password"):
                endpoint = data["endpoints"].split(",")[0]
                return f"postgresql://{data['username']}:{data['password']}@{endpoint}/{DATABASE}"
        return None

    def certificate(self) -> dict[str, str] | None:
        relation = self.model.get_relation("certificates")
        prefix = self.unit.name.replace("/", "_")
        for unit in relation.units if relation else ():
            data = relation.data[unit]
            if data.get(f"{prefix}.server.cert") and data.get(f"{prefix}.server.key") and data.get("ca"):
                return {"cert": data[f"{prefix}.server.cert"], "key": data[f"{prefix}.server.key"],
                        "ca": data["ca"]}
        return None

    # -- secrets the leader owns ---------------------------------------------------------------------------------

    def _peer_data(self) -> dict | None:
        relation = self.model.get_relation("cluster")
        return relation.data[self.app] if relation else None

    def _leader_secret(self, label: str, make) -> ops.Secret:
        """The leader's app secret ``label`` (created with ``make()`` the first time), its ID in the peer data."""
        try:
            secret = self.model.get_secret(label=label)
        except ops.SecretNotFoundError:
            secret = self.app.add_secret(make(), label=label)
        peer = self._peer_data()
        if peer is not None:
            peer[f"{label}-secret-id"] = secret.id or secret.get_info().id
        return secret

    def _shared_secret(self, label: str) -> dict[str, str] | None:
        """A secret's content on any unit: the leader's own, or through its ID in the peer data."""
        peer = self._peer_data()
        try:
            if self.unit.is_leader():
                return self.model.get_secret(label=label).get_content(refresh=True)
            if peer and peer.get(f"{label}-secret-id"):
                return self.model.get_secret(id=peer[f"{label}-secret-id"]).get_content(refresh=True)
        except (ops.SecretNotFoundError, ops.ModelError):
            return None
        return None

    # -- the one place everything is written from ---------------------------------------------------------------

    def _reconcile(self, event: ops.EventBase) -> None:
        if self.wheel() is None:
            self.unit.status = ops.BlockedStatus("no storage_backup-*.whl in the charm: pack it with its wheel")
            return
        if self.unit.is_leader():
            self._leader_secret(CATALOG_KEY_LABEL, lambda: {"keys": new_catalog_key()})
            self._leader_secret(REDIS_LABEL, lambda: {"password": secrets.token_urlsafe(32)})
            peer = self._peer_data()
            if peer is not None:
                peer["redis-host"] = self.address()
        missing = []
        credentials = self.credentials()
        database_url = self.database_url()
        catalog_key = self._shared_secret(CATALOG_KEY_LABEL)
        redis = self._shared_secret(REDIS_LABEL)
        peer = self._peer_data() or {}
        if credentials is None:
            missing.append("identity-credentials")
        if database_url is None:
            missing.append("shared-db or database")
        if catalog_key is None or redis is None:
            missing.append("the leader's secrets")
        if missing:
            self.unit.status = ops.WaitingStatus(f"waiting for {', '.join(missing)}")
            return
        certificate = self.certificate()
        changed = self._write_tls(certificate)
        broker_url = self.broker_url(redis["password"], peer.get("redis-host") or self.address(), certificate)
        env = {"STORAGE_BACKUP_DATABASE_URL": database_url, "STORAGE_BACKUP_BROKER_URL": broker_url,
               "STORAGE_BACKUP_CATALOG_KEY": catalog_key["keys"], **credentials}
        for option, variable in CONFIG_ENV.items():
            value = self.config.get(option)
            if value not in (None, ""):
                env[variable] = str(value)
        changed |= write_file("/etc/storage-backup/storage-backup.env",
                              "".join(f"{name}={value}\n" for name, value in sorted(env.items())), 0o640)
        if self.unit.is_leader():
            changed |= write_file("/etc/redis/storage-backup.conf",
                                  self.redis_conf(redis["password"], certificate), 0o640)
        changed |= write_file("/etc/haproxy/haproxy.cfg", self.haproxy_cfg(certificate))
        run(["systemctl", "enable", *(s for s in SERVICES if self.unit.is_leader() or not s.startswith("redis"))])
        if changed:
            run(["systemctl", "restart", *(s for s in SERVICES if self.unit.is_leader() or not s.startswith("redis"))])
        self.unit.set_ports(self.config["api-port"], *([REDIS_PORT] if self.unit.is_leader() else []))
        if self.unit.is_leader():
            self._register_endpoints(credentials, certificate)
            self._serve_proxies(broker_url, certificate)
        self.unit.status = ops.ActiveStatus(f"API on {self.public_url(certificate)}")

    def public_url(self, certificate: dict | None) -> str:
        scheme = "https" if certificate else "http"
        return self.config["public-url"] or f"{scheme}://{self.address()}:{self.config['api-port']}/v1"

    @staticmethod
    def broker_url(password: str, host: str, certificate: dict | None) -> str:
        if certificate:
            return (f"rediss://:{password}@{host}:{REDIS_PORT}/0?ssl_cert_reqs=required"
                    "&ssl_ca_certs=/etc/storage-backup/tls/ca.pem")
        return f"redis://:{password}@{host}:{REDIS_PORT}/0"

    def _write_tls(self, certificate: dict | None) -> bool:
        if certificate is None:
            return False
        changed = write_file("/etc/storage-backup/tls/ca.pem", certificate["ca"])
        changed |= write_file("/etc/storage-backup/tls/server.pem", certificate["cert"] + "\n" + certificate["key"],
                              0o640)
        changed |= write_file("/etc/storage-backup/tls/server.crt", certificate["cert"])
        changed |= write_file("/etc/storage-backup/tls/server.key", certificate["key"], 0o640)
        return changed

    def redis_conf(self, password: str, certificate: dict | None) -> str:
        lines = [f"bind {self.address()} 127.0.0.1", f"requirepass {password}", "protected-mode yes"]
        if certificate:
            # TLS only: the plain port is closed so that nothing reaches Redis in clear.
            lines += ["port 0", f"tls-port {REDIS_PORT}", "tls-cert-file /etc/storage-backup/tls/server.crt",
                      "tls-key-file /etc/storage-backup/tls/server.key",
                      "tls-ca-cert-file /etc/storage-backup/tls/ca.pem", "tls-auth-clients no"]
        else:
            lines.append(f"port {REDIS_PORT}")
        return "# written by the storage-backup-api charm; included from /etc/redis/redis.conf\n" + \
            "\n".join(lines) + "\n"

    def haproxy_cfg(self, certificate: dict | None) -> str:
        tls = " ssl crt /etc/storage-backup/tls/server.pem" if certificate else ""
        return ("# written by the storage-backup-api charm\n"
                "global\n    log /dev/log local0\n    maxconn 2000\n"
                "defaults\n    mode http\n    timeout connect 5s\n    timeout client 120s\n"
                "    timeout server 120s\n"
                f"frontend storage-backup-api\n    bind {self.address()}:{self.config['api-port']}{tls}\n"
                "    default_backend api\n"
                f"backend api\n    server api 127.0.0.1:{API_LOCAL_PORT} check\n")

    def _register_endpoints(self, credentials: dict[str, str], certificate: dict | None) -> None:
        script = os.path.join(str(self.charm_dir), "src", "register_endpoints.py")
        url = self.public_url(certificate)
        run([f"{VENV}/bin/python", script, "--service-type", SERVICE_TYPE, "--service-name", SERVICE_NAME,
             "--region", self.config["region"], "--public-url", url, "--internal-url", url, "--admin-url", url],
            env=credentials)

    # -- proxies ---------------------------------------------------------------------------------------------

    def _serve_proxies(self, broker_url: str, certificate: dict | None) -> None:
        relations = self.model.relations.get("proxies", [])
        if not relations:
            return
        broker = self._leader_secret(BROKER_LABEL, lambda: {"url": broker_url})
        if broker.get_content(refresh=True).get("url") != broker_url:
            broker.set_content({"url": broker_url})
        for relation in relations:
            broker.grant(relation)
            relation.data[self.app].update({"broker-secret-id": broker.id or broker.get_info().id,
                                            "ca": certificate["ca"] if certificate else "",
                                            "api-url": self.public_url(certificate)})
            for unit in relation.units:
                self._enrol(relation.data[unit])

    def _enrol(self, data) -> None:
        name, queue = data.get("proxy-name"), data.get("queue")
        if not name or not queue:
            return
        for public_key in json.loads(data.get("public-keys") or "[]"):
            # The product's own command; enrolling a key already enrolled for this proxy is refused, so only new ones.
            if public_key not in self._enrolled():
                self.manage(["proxy_keys", "enrol", name, "--queue", queue, "--public-key", public_key])

    def _enrolled(self) -> set[str]:
        listing = self.manage(["proxy_keys", "list", "--json"])
        return {key["public_key"] for key in json.loads(listing or "[]") if not key.get("revoked")}

    # -- actions -----------------------------------------------------------------------------------------------

    def manage(self, arguments: list[str]) -> str:
        """``python -m django …`` as the services run, with their settings (the env file) and user."""
        return run(["runuser", "-u", SERVICE_USER, "--", "env", "DJANGO_SETTINGS_MODULE=storage_backup.settings",
                    "STORAGE_BACKUP_DATA_DIR=/var/lib/storage-backup", "sh", "-c",
                    'set -a; . /etc/storage-backup/storage-backup.env; exec "$@"', "manage",
                    f"{VENV}/bin/python", "-m", "django", *arguments])

    def _ready(self, event: ops.ActionEvent) -> bool:
        if not os.path.exists(path("/etc/storage-backup/storage-backup.env")):
            event.fail("the service is not configured yet: relate identity-credentials and a database first")
            return False
        return True

    def _on_backup_now(self, event: ops.ActionEvent) -> None:
        if not self._ready(event):
            return
        arguments = ["backup_now", event.params["instance-id"]]
        if event.params.get("strategy"):
            arguments += ["--strategy", event.params["strategy"]]
        try:
            output = self.manage(arguments)
        except subprocess.CalledProcessError as error:
            event.fail(f"backup-now failed: {(error.stderr or error.stdout or '').strip()}")
            return
        event.set_results({"job": output.strip()})

    def _on_rebuild_catalog(self, event: ops.ActionEvent) -> None:
        if not self._ready(event):
            return
        arguments = ["rebuild_catalog"]
        if event.params.get("destination"):
            arguments += ["--destination", event.params["destination"]]
        if event.params.get("dry-run"):
            arguments.append("--dry-run")
        try:
            output = self.manage(arguments)
        except subprocess.CalledProcessError as error:
            event.fail(f"rebuild-catalog failed: {(error.stderr or error.stdout or '').strip()}")
            return
        event.set_results({"report": output.strip()})

    def _on_rotate_catalog_key(self, event: ops.ActionEvent) -> None:
        if not self.unit.is_leader():
            event.fail("run rotate-catalog-key on the leader unit (juju run storage-backup-api/leader ...)")
            return
        secret = self.model.get_secret(label=CATALOG_KEY_LABEL)
        keys = secret.get_content(refresh=True)["keys"].split(",")
        new_key = new_catalog_key()
        # The new key first (it encrypts); the old ones stay so that every sealed value still opens.
        secret.set_content({"keys": ",".join([new_key, *keys])})
        self._reconcile(event)
        event.set_results({"keys": len(keys) + 1, "new-key-id": _key_id(new_key)})

    def _on_stop(self, event: ops.StopEvent) -> None:
        run(["systemctl", "disable", "--now", *SERVICES])


def _key_id(key: str) -> str:
    """The product's key id (storage_backup.catalog.secrets.key_id), as its logs and errors name a key."""
    return hashlib.sha256(b"storage-backup catalog key\0" + base64.b64decode(key)).hexdigest()[:8]


if __name__ == "__main__":  # pragma: nocover
    ops.main(StorageBackupApiCharm)
