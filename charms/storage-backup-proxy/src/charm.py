#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""storage-backup-proxy: the proxy worker of one availability zone (``role=proxy``), or the changed-block worker
beside Ceph (``role=diff``), from the product's wheel and its ``storage-backup-proxy@.service`` unit.

- ``api`` (storage-backup-proxy, to storage-backup-api, cross-model where the proxies live in another model): we
  send ``proxy-name``, ``queue`` and ``public-keys`` (``storage-backup proxy-key create --json``: the worker's own key
  pair, made here, whose private half never leaves this host); the API's leader enrols them. It sends the broker URL
  as a Juju secret (``broker-secret-id``) and its CA.
- ``ceph`` (ceph-client, to ceph-mon; ``role=diff`` only): we ask for a read-only key (``profile rbd`` on the mons,
  ``profile rbd-read-only`` on the OSDs) and get ``key`` and ``ceph-public-address``. A proxy VM sits on tenant
  networks, so a role=proxy unit never takes a cephx key: the README's rule, enforced here.
- The service account comes from the ``service-account`` config, a Juju user secret (``juju add-secret``).
"""
from __future__ import annotations

import json
import logging
import os
import subprocess

import ops

LOG = logging.getLogger(__name__)
ROOT = "/"
VENV = "/opt/storage-backup"
WHEEL_PREFIX = "storage_backup-"
TEMPLATE_UNIT = "storage-backup-proxy@.service"
DIFF_UNIT = "storage-backup-diff.service"
SERVICE_USER = "storage-backup"
KEY_FILE = "/var/lib/storage-backup/proxy.key"
CEPH_USER = "storage-backup-diff"
COMMAND_TIMEOUT = 900
ACCOUNT_ENV = {"auth-url": "STORAGE_BACKUP_AUTH_URL", "username": "STORAGE_BACKUP_USERNAME",
               "password": "STORAGE_BACKUP_PASSWORD", "project": "STORAGE_BACKUP_PROJECT",
               "user-domain": "STORAGE_BACKUP_USER_DOMAIN", "project-domain": "STORAGE_BACKUP_PROJECT_DOMAIN"}


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    """One workload command; a failure raises (the hook errors and Juju retries it). Returns its stdout."""
    LOG.info("running %s", " ".join(command))
    return subprocess.run(command, check=True, timeout=COMMAND_TIMEOUT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}).stdout


def path(*parts: str) -> str:
    return os.path.join(ROOT, *(part.lstrip("/") for part in parts))


def write_file(name: str, content: str, mode: int = 0o644) -> bool:
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


class StorageBackupProxyCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        observe = framework.observe
        observe(self.on.install, self._on_install)
        observe(self.on.upgrade_charm, self._on_install)
        for event in (self.on.config_changed, self.on.secret_changed, self.on.update_status,
                      self.on.api_relation_changed, self.on.api_relation_broken, self.on.ceph_relation_changed,
                      self.on.ceph_relation_broken):
            observe(event, self._reconcile)
        observe(self.on.api_relation_joined, self._reconcile)
        observe(self.on.ceph_relation_joined, self._request_ceph_key)
        observe(self.on.stop, self._on_stop)

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
        run(["apt-get", "install", "-y", "python3-venv", "python3-rbd"], env={"DEBIAN_FRONTEND": "noninteractive"})
        if not os.path.exists(path("/etc/storage-backup/.user")):
            run(["useradd", "--system", "--home-dir", "/var/lib/storage-backup", "--shell", "/usr/sbin/nologin",
                 SERVICE_USER])
            write_file("/etc/storage-backup/.user", SERVICE_USER + "\n")
        # --system-site-packages: python3-rbd (Debian's) for the diff worker.
        run(["python3", "-m", "venv", "--system-site-packages", VENV])
        run([f"{VENV}/bin/pip", "install", wheel])
        with open(os.path.join(self.workload_dir(), TEMPLATE_UNIT), encoding="utf-8") as handle:
            template = handle.read()
        write_file(f"/etc/systemd/system/{TEMPLATE_UNIT}", template)
        write_file(f"/etc/systemd/system/{DIFF_UNIT}", diff_unit(template))
        run(["systemctl", "daemon-reload"])
        self._reconcile(event)

    # -- what this unit is -------------------------------------------------------------------------------------

    @property
    def role(self) -> str:
        return self.config["role"]

    @property
    def zone(self) -> str:
        return self.config["availability-zone"]

    def service(self) -> str:
        return f"storage-backup-proxy@{self.zone}.service" if self.role == "proxy" else DIFF_UNIT

    def queue(self) -> str:
        return f"proxy.{self.zone}" if self.role == "proxy" else "ceph"

    def proxy_name(self) -> str:
        return f"{self.queue().replace('.', '-')}-{self.unit.name.split('/')[-1]}"

    def server_id(self) -> str:
        if self.config["server-id"]:
            return self.config["server-id"]
        try:
            with open(path("/var/lib/cloud/data/instance-id"), encoding="utf-8") as handle:
                return handle.read().strip()
        except FileNotFoundError:
            return ""

    def service_account(self) -> dict[str, str] | None:
        secret_id = self.config.get("service-account")
        if not secret_id:
            return None
        content = self.model.get_secret(id=secret_id).get_content(refresh=True)
        return {variable: content[key] for key, variable in ACCOUNT_ENV.items() if content.get(key)}

    def broker(self) -> dict[str, str] | None:
        relation = self.model.get_relation("api")
        if relation is None or relation.app is None:
            return None
        data = relation.data[relation.app]
        if not data.get("broker-secret-id"):
            return None
        url = self.model.get_secret(id=data["broker-secret-id"]).get_content(refresh=True)["url"]
        return {"url": url, "ca": data.get("ca", "")}

    def ceph(self) -> dict[str, str] | None:
        relation = self.model.get_relation("ceph")
        for unit in relation.units if relation else ():
            data = relation.data[unit]
            if data.get("key"):
                monitors = sorted(relation.data[u].get("ceph-public-address", "") for u in relation.units)
                return {"key": data["key"], "mons": ",".join(m for m in monitors if m)}
        return None

    # -- hooks -----------------------------------------------------------------------------------------------

    def _request_ceph_key(self, event: ops.RelationJoinedEvent) -> None:
        if self.role != "diff":
            return
        request = {"api-version": 1, "request-id": f"{self.unit.name}-read-only", "ops": [
            {"op": "set-key-permissions", "client": CEPH_USER,
             "permissions": ["mon", "profile rbd", "osd", "profile rbd-read-only"]}]}
        event.relation.data[self.unit].update({"broker_req": json.dumps(request, sort_keys=True)})
        self._reconcile(event)

    def _reconcile(self, event: ops.EventBase) -> None:
        if self.wheel() is None:
            self.unit.status = ops.BlockedStatus("no storage_backup-*.whl in the charm: pack it with its wheel")
            return
        if self.role not in ("proxy", "diff"):
            self.unit.status = ops.BlockedStatus(f"role must be proxy or diff, not {self.role!r}")
            return
        if self.role == "proxy" and not self.zone:
            self.unit.status = ops.BlockedStatus("set availability-zone (the AZ this proxy VM is in)")
            return
        if self.role == "proxy" and self.model.get_relation("ceph") is not None:
            self.unit.status = ops.BlockedStatus("a proxy VM takes no cephx key: relate ceph to a role=diff unit")
            return
        account = self.service_account()
        if account is None:
            self.unit.status = ops.BlockedStatus("set service-account (juju add-secret, then juju config)")
            return
        if self.role == "proxy" and not self.server_id():
            self.unit.status = ops.BlockedStatus("set server-id (no cloud-init instance-id on this machine)")
            return
        keys = self._publish_keys()
        broker = self.broker()
        if broker is None:
            self.unit.status = ops.WaitingStatus("waiting for storage-backup-api (relation api)")
            return
        env = {"STORAGE_BACKUP_BROKER_URL": broker["url"], "STORAGE_BACKUP_PROXY_KEY_FILE": KEY_FILE,
               "STORAGE_BACKUP_PROXY_MAX_JOBS": str(self.config["max-jobs"]), **account}
        changed = False
        if broker["ca"]:
            changed |= write_file("/etc/storage-backup/tls/ca.pem", broker["ca"])
        if self.role == "proxy":
            env["STORAGE_BACKUP_PROXY_SERVER_ID"] = self.server_id()
        else:
            ceph = self.ceph()
            if ceph is None:
                self.unit.status = ops.WaitingStatus("waiting for a read-only cephx key (relation ceph)")
                return
            changed |= write_file("/etc/ceph/ceph.conf", f"[global]\nmon host = {ceph['mons']}\n")
            changed |= write_file(f"/etc/ceph/ceph.client.{CEPH_USER}.keyring",
                                  f"[client.{CEPH_USER}]\n    key = {ceph['key']}\n", 0o640)
            env.update({"STORAGE_BACKUP_CEPH_POOLS": self.config["ceph-pools"],
                        "STORAGE_BACKUP_CEPH_CLIENT": CEPH_USER, "STORAGE_BACKUP_CEPH_CONF": "/etc/ceph/ceph.conf",
                        "STORAGE_BACKUP_CEPH_KEYRING": f"/etc/ceph/ceph.client.{CEPH_USER}.keyring"})
        changed |= write_file("/etc/storage-backup/worker.env",
                              "".join(f"{name}={value}\n" for name, value in sorted(env.items())), 0o640)
        run(["systemctl", "enable", self.service()])
        run(["systemctl", "restart" if changed else "start", self.service()])
        self.unit.status = ops.ActiveStatus(f"{self.queue()}, {len(keys)} key(s) offered for enrolment")

    def _publish_keys(self) -> list[str]:
        """This worker's public keys (made on first use); given to the API, whose leader enrols them."""
        output = run(["runuser", "-u", SERVICE_USER, "--", f"{VENV}/bin/storage-backup", "proxy-key", "create",
                      "--key-file", KEY_FILE, "--json"])
        keys = [entry["public_key"] for entry in json.loads(output or "[]")]
        relation = self.model.get_relation("api")
        if relation is not None:
            relation.data[self.unit].update({"proxy-name": self.proxy_name(), "queue": self.queue(),
                                             "public-keys": json.dumps(keys)})
        return keys

    def _on_stop(self, event: ops.StopEvent) -> None:
        run(["systemctl", "disable", "--now", self.service()])


def diff_unit(template: str) -> str:
    """The changed-block worker's unit: the product's proxy unit with queue ``ceph`` and no AZ (the README's diff
    worker command), so both keep the same hardening and restart policy."""
    unit = template.replace("-Q proxy.%i -n proxy-%i@%H", "-Q ceph -n ceph@%H")
    unit = unit.replace("Description=Storage backup proxy worker for availability zone %i",
                        "Description=Storage backup changed-block (Ceph diff) worker")
    unit = unit.replace("EnvironmentFile=-/etc/storage-backup/proxy-%i.env\n", "")
    unit = unit.replace("Environment=STORAGE_BACKUP_PROXY_AZ=%i ", "Environment=")
    if "-Q ceph" not in unit or "%i" in unit:
        raise ValueError("the product's proxy unit changed: update diff_unit() to match it")
    return unit


if __name__ == "__main__":  # pragma: nocover
    ops.main(StorageBackupProxyCharm)
