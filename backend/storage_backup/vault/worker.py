# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker: on the vault's side, it reaches in and pulls.

Each round: ask the API for work (``GET /v1/vault/work``); for every restore the control plane waits on, issue a
time-limited read-only grant of the vault copy (``grant_for_restore``) and post it — at any time, a restore does not
wait for the window; inside the copy window only, copy each listed restore point's missing chunks from its primary
(read with read-only access) into the vault (``copy_restore_point``: verified by hash, never deleting) and report
it. The vault's credentials are in this worker's config alone; it holds nothing the primary side could use against
the vault, and the primary side calls nothing here.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from storage_backup import contract
from storage_backup.proxy import worker_key
from storage_backup.repository import Repository, copy_restore_point, grant_for_restore, open_destination, open_vault

from .client import VaultApi, VaultApiError
from .config import Access, VaultConfig, VaultConfigError

LOG = logging.getLogger(__name__)


@dataclass
class RoundReport:
    """What one round did (printed by ``--once``, asserted by the tests)."""

    in_window: bool = True
    copied: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"in_window": self.in_window, "copied": self.copied, "failed": self.failed,
                "granted": self.granted, "waiting": self.waiting}


def _destination(access: Access):
    return open_destination(access.location, access.credentials)


def _open_sealed(message: dict, record_type, keys):
    return record_type.from_message(contract.open_sealed(message, record_type, keys), record_type.__name__)


class VaultWorker:
    def __init__(self, config: VaultConfig, api: VaultApi | None = None):
        self.config = config
        self.api = api or VaultApi(config)

    def keys(self):
        keys = worker_key.load_keys(self.config.key_file)
        if not keys:
            raise VaultConfigError(f"no key in {self.config.key_file}: run storage-backup proxy-key create --key-file "
                                   f"{self.config.key_file} and have an administrator enrol it for queue "
                                   f"{contract.VAULT_QUEUE}")
        return keys

    def run_once(self, now: dt.datetime | None = None) -> RoundReport:
        now = now or dt.datetime.now(dt.UTC)
        report = RoundReport(in_window=self.config.window.contains(now))
        work = self.api.work()
        report.waiting = list(work.get("waiting") or [])
        keys = self.keys() if work.get("copies") or work.get("grants") else []
        for message in work.get("grants") or []:
            self._grant(message, keys, report)
        if not report.in_window:
            if work.get("copies"):
                LOG.info("%d restore point(s) to copy; outside the copy window (%s): nothing copied now",
                         len(work["copies"]), self.config.window.describe())
            return report
        for message in work.get("copies") or []:
            self._copy(message, keys, report)
        return report

    def _copy(self, message: dict, keys, report: RoundReport) -> None:
        copy_id = str(message.get("copy_id") or "")
        try:
            item = _open_sealed(message, contract.VaultCopyItem, keys)
        except contract.ContractError as error:
            self._failed(copy_id, message.get("restore_point_id"), f"the work item cannot be read: {error}", report)
            return
        try:
            self.api.report(item.copy_id, "copying")
        except VaultApiError as error:  # someone else took it, or the API is away: the next round tries again
            LOG.warning("copy of %s not started: %s", item.restore_point_id, error)
            return
        try:
            primary = item.primary
            access = self.config.primary_access(primary.id, primary.type, primary.path)
            source = Repository.open(_destination(access), password=item.repository_secret or None)
            vault = open_vault(_destination(self.config.vault), source)
            copied = copy_restore_point(source, vault, item.restore_point_id)
        except Exception as error:  # every failure is reported with its reason; the next round retries
            LOG.exception("copy of %s into the vault failed", item.restore_point_id)
            self._failed(item.copy_id, item.restore_point_id, f"{type(error).__name__}: {error}", report)
            return
        figures = {"chunks_total": copied.chunks_total, "chunks_copied": copied.chunks_copied,
                   "chunks_present": copied.chunks_present, "bytes_copied": copied.bytes_copied}
        self.api.report(item.copy_id, "copied", **figures)
        report.copied.append({"restore_point_id": item.restore_point_id, **figures,
                              "duration": getattr(copied, "duration", None)})
        LOG.info("restore point %s copied into the vault: %s", item.restore_point_id, figures)

    def _failed(self, copy_id: str, point_id, error: str, report: RoundReport) -> None:
        report.failed.append({"restore_point_id": point_id, "error": error})
        if not copy_id:
            return
        try:
            self.api.report(copy_id, "failed", error=error[:4000])
        except VaultApiError as failure:
            LOG.warning("could not report the failed copy of %s: %s", point_id, failure)

    def _grant(self, message: dict, keys, report: RoundReport) -> None:
        try:
            request = _open_sealed(message, contract.VaultGrantRequest, keys)
            vault = Repository.open(_destination(self.config.vault), password=request.repository_secret or None)
            grant = grant_for_restore(vault, [request.restore_point_id], expires_in=self.config.grant_seconds)
            self.api.grant(request.grant_id, grant)
        except Exception as error:  # the restore waits; the next round tries again
            LOG.exception("no grant for restore %s", message.get("grant_id"))
            report.failed.append({"grant_id": message.get("grant_id"), "error": f"{type(error).__name__}: {error}"})
            return
        report.granted.append(request.grant_id)

    def run_forever(self) -> None:
        LOG.info("vault worker of vault %s: copies %s, looks for work every %.0f s", self.config.vault_id,
                 self.config.window.describe(), self.config.interval)
        while True:
            try:
                self.run_once()
            except (VaultApiError, VaultConfigError) as error:
                LOG.error("%s", error)
            except Exception:
                LOG.exception("round failed")
            time.sleep(self.config.interval)
