# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Vault-only restore points through the real REST API, Keystone tokens and the real vault worker process
(``storage-backup vault-worker --once``) on filesystem repositories: a restore point copied into the vault is
deleted through the API; its project (and no other) lists the orphaned copy and recovers it, same id, flagged
``vault_only``; such a point restores from the vault only, refuses what needs its primary (verify, files, revert,
lock) with 409, and its deletion removes the catalog row alone. A copy not complete, a point in the catalog, a
primary destination gone: 409 naming why. Retention and a catalog rebuild leave a vault-only point alone.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import (
    ACTIVE_JOB_STATES,
    Job,
    JobState,
    Policy,
    RestorePoint,
    RestorePointCopy,
)
from storage_backup.control import retention
from storage_backup.services import catalog_rebuild, quotas

from storage_backup_dashboard.client import BackupApiError
from tests.functional.control.test_catalog_rebuild import write_points
from tests.functional.rest.test_vault import VAULT_USER, _config, _index, _vault_worker, make_world

# The recovery locks the copy row and asks whether the point is in the catalog in one query: run again on PostgreSQL
# and MariaDB (tox functional-postgresql, -mariadb).
pytestmark = pytest.mark.catalog


def _refused(call) -> BackupApiError:
    with pytest.raises(BackupApiError) as raised:
        call()
    return raised.value


@pytest.fixture(scope="module")
def world(control_plane, tmp_path_factory):
    """Three demo restore points and one alt restore point on a filesystem primary, their policies naming a
    filesystem vault, and the vault worker's key enrolled; the vault worker copies them once."""
    world = make_world(control_plane, tmp_path_factory.mktemp("vault-recovery"), demo_points=3)
    demo_ids, alt_ids, primary = world["demo_ids"], world["alt_ids"], world["primary"]
    report = _vault_worker(_config(control_plane, world))
    assert {entry["restore_point_id"] for entry in report["copied"]} >= set(demo_ids + alt_ids), report
    yield world
    # The delete jobs made here wait for a data worker this module does not run: ended, so that they do not hold
    # the data workers' slots of the modules after this one in the same process.
    Job.objects.filter(destination=primary, state__in=ACTIVE_JOB_STATES).update(
        state=JobState.CANCELLED, finished_at=timezone.now())


def _cancelled(client, job_id: str) -> None:
    """Cancel a restore and wait until it has ended (one sent already ends when its worker sees the cancel)."""
    client.job_cancel(job_id)
    deadline = time.monotonic() + 60
    while client.job_get(job_id)["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, client.job_get(job_id)
        time.sleep(0.2)


def _orphaned(client, **filters) -> list[dict]:
    return client.request("GET", "/v1/vault-copies", params={"limit": 500, **filters})["results"]


def test_a_deleted_point_is_listed_by_its_own_project_and_recovered_as_vault_only(control_plane, world):
    member, other = control_plane.client("demo-member"), control_plane.client("alt-member")
    point_id = world["demo_ids"][0]
    before = member.restore_point_get(point_id)
    assert before["vault_only"] is False
    member.restore_point_delete(point_id)
    assert _refused(lambda: member.restore_point_get(point_id)).status == 404

    listed = {item["restore_point_id"]: item for item in _orphaned(member)}
    item = listed[point_id]
    assert item["state"] == "copied" and item["in_catalog"] is False and item["recoverable"] is True
    assert item["not_recoverable_reason"] == "" and item["vault_id"] == world["vault_id"]
    assert item["primary_destination_id"] == world["primary"].id and item["project_id"] == world["demo"]
    assert item["created_at"] and item["primary_deleted_at"] and item["strategy"] == before["strategy"]
    assert [i["restore_point_id"] for i in _orphaned(member, instance_name="no-such-name")] == []
    assert point_id in [i["restore_point_id"] for i in _orphaned(member, in_catalog="false", state="copied")]
    assert _refused(lambda: member.request("GET", "/v1/vault-copies", params={"state": "lost"})).field == "state"

    # Tenancy: another project sees nothing of it and cannot recover it (404, as for no such copy).
    assert point_id not in [i["restore_point_id"] for i in _orphaned(other, all_projects=1)]
    assert _refused(lambda: other.request("POST", f"/v1/vault-copies/{item['id']}/recover")).status == 404
    assert _refused(lambda: control_plane.client("demo-reader").request(
        "POST", f"/v1/vault-copies/{item['id']}/recover")).status == 403
    admin = control_plane.client("admin")
    assert point_id not in [i["restore_point_id"] for i in _orphaned(admin)]  # the admin's own project only
    assert point_id in [i["restore_point_id"] for i in _orphaned(admin, all_projects=1)]

    counted = quotas.usage(world["demo"])
    recovered = member.request("POST", f"/v1/vault-copies/{item['id']}/recover")
    assert recovered["id"] == point_id and recovered["vault_only"] is True
    # It takes nothing on the project's destination: not counted against its quota.
    assert quotas.usage(world["demo"]) == counted
    shown = member.restore_point_get(point_id)
    for name in ("instance_id", "instance_name", "availability_zone", "policy_id", "destination_id", "created_at",
                 "strategy", "consistency", "bytes_total", "bytes_stored", "volumes"):
        assert shown[name] == before[name], name
    assert [(copy["kind"], copy["state"]) for copy in shown["copies"]] == [("primary", "deleted"),
                                                                          ("vault", "copied")]
    # Of this module's points (other modules of the session recover copies of their own: the tenancy matrix does).
    ours = set(world["demo_ids"])
    assert [p["id"] for p in member.restore_point_list(vault_only="true") if p["id"] in ours] == [point_id]
    assert point_id not in [p["id"] for p in member.restore_point_list(vault_only="false")]
    again = _orphaned(member, in_catalog="true")
    assert [(i["restore_point_id"], i["recoverable"]) for i in again if i["restore_point_id"] in ours] \
        == [(point_id, False)]
    refused = _refused(lambda: member.request("POST", f"/v1/vault-copies/{item['id']}/recover"))
    assert refused.status == 409 and "in the catalog already" in refused.message


def test_a_vault_only_point_restores_from_the_vault_only_and_refuses_what_needs_its_primary(control_plane, world):
    member = control_plane.client("demo-member")
    point_id = world["demo_ids"][0]
    assert RestorePoint.objects.get(pk=point_id).vault_only  # recovered by the test above

    refused = _refused(lambda: member.restore(point_id, name="x", source="primary"))
    assert refused.status == 409 and "vault only" in refused.message
    job = member.restore(point_id, name="from-the-vault")  # no source: the vault
    row = Job.objects.get(pk=job["id"])
    assert row.request["source"] == "vault" and row.request["vault_id"] == world["vault_id"]
    assert row.destination_id == world["primary"].id  # the primary row: its repository secret opens the vault copy
    _cancelled(member, job["id"])
    volume = member.restore(point_id, volume_id="vol-a", name="one-volume")
    assert Job.objects.get(pk=volume["id"]).request["source"] == "vault"
    _cancelled(member, volume["id"])

    until = (timezone.now() + dt.timedelta(days=3)).isoformat()
    for call, what in ((lambda: member.verify(point_id), "verified"),
                       (lambda: member.file_list(point_id, "vol-a", "/"), "browsed"),
                       (lambda: member.revert(point_id, volume_id="vol-a", confirm=True), "reverted in place"),
                       (lambda: member.restore_point_lock(point_id, until), "locked")):
        refused = _refused(call)
        assert refused.status == 409 and "vault-only" in refused.message and what in refused.message, \
            refused.message
    assert RestorePoint.objects.get(pk=point_id).retention_lock_until is None

    # Deleting it removes the catalog row alone: no job on the primary; the vault copy stays, listed again.
    deletes = Job.objects.filter(type="delete", restore_point_id=point_id).count()
    member.restore_point_delete(point_id)
    assert not RestorePoint.objects.filter(pk=point_id).exists()
    assert Job.objects.filter(type="delete", restore_point_id=point_id).count() == deletes
    copy = RestorePointCopy.objects.get(restore_point_id=point_id)
    assert copy.state == "copied" and copy.primary_deleted_at is not None and copy.point_record["id"] == point_id
    item = next(i for i in _orphaned(member) if i["restore_point_id"] == point_id)
    assert item["in_catalog"] is False and item["recoverable"] is True
    assert member.request("POST", f"/v1/vault-copies/{item['id']}/recover")["vault_only"] is True


def test_recovery_is_refused_when_the_copy_is_not_complete_or_the_primary_destination_is_gone(control_plane,
                                                                                               world):
    member = control_plane.client("demo-member")
    # A restore point deleted before the vault worker copied it: its copy failed, there is nothing to recover.
    never_copied = write_points(str(world["base"] / "primary"), world["demo"], str(uuid.uuid4()), 1)
    _index(never_copied, world["demo"], world["primary"], Policy.objects.get(pk=world["policies"][world["demo"]]["id"]),
           age_days=1)
    member.restore_point_get(never_copied[0])  # in the catalog; its copy is queued at the vault worker's next look
    control_plane.client(VAULT_USER).request("GET", "/v1/vault/work", params={"vault": world["vault_id"]})
    member.restore_point_delete(never_copied[0])
    item = next(i for i in _orphaned(member) if i["restore_point_id"] == never_copied[0])
    assert item["state"] == "failed" and item["recoverable"] is False
    refused = _refused(lambda: member.request("POST", f"/v1/vault-copies/{item['id']}/recover"))
    assert refused.status == 409 and "failed, not complete" in refused.message

    # The primary destination deleted (the copy's link to it goes, on_delete SET_NULL): its secret is gone too.
    point_id = world["demo_ids"][1]
    member.restore_point_delete(point_id)
    copy = RestorePointCopy.objects.get(restore_point_id=point_id)
    RestorePointCopy.objects.filter(pk=copy.pk).update(primary=None)
    refused = _refused(lambda: member.request("POST", f"/v1/vault-copies/{copy.id}/recover"))
    assert refused.status == 409 and "primary destination" in refused.message and "secret" in refused.message
    assert not RestorePoint.objects.filter(pk=point_id).exists()


def test_retention_a_rebuild_and_another_vault_leave_a_vault_only_point_alone(control_plane, world, caplog):
    point_id = world["demo_ids"][0]
    point = RestorePoint.objects.get(pk=point_id)
    assert point.vault_only
    policy = Policy.objects.get(pk=world["policies"][world["demo"]]["id"])
    Policy.objects.filter(pk=policy.pk).update(keep_last=0, keep_daily=0, keep_weekly=0, keep_monthly=0,
                                               keep_yearly=0, min_age_days=0)
    policy.refresh_from_db()
    caplog.set_level(logging.INFO, logger=retention.LOG.name)
    # Not even considered (a delete job it tried would have been refused and deferred, and said so).
    assert retention.enforce_instance(policy, point.instance_id, timezone.now()) == []
    assert "deferred" not in caplog.text
    assert RestorePoint.objects.filter(pk=point_id).exists()

    # A rebuild of the primary: the vault-only point is not in its repository and stays; a point the repository no
    # longer holds leaves the catalog with its row kept on its vault copy, recoverable like a deleted one.
    lost = world["demo_ids"][2]
    report = catalog_rebuild.apply(world["primary"], documents=[], remove_missing=True)
    assert point_id not in report.removed and lost in report.removed
    assert RestorePoint.objects.filter(pk=point_id).exists()
    copy = RestorePointCopy.objects.get(restore_point_id=lost)
    assert copy.primary_deleted_at is not None and copy.point_record["id"] == lost
    recovered = control_plane.client("demo-member").request("POST", f"/v1/vault-copies/{copy.id}/recover")
    assert recovered["id"] == lost and recovered["vault_only"] is True

    # Its policy names another vault now: nothing is queued to copy it there (its primary holds nothing to copy).
    other = control_plane.client("admin").destination_create(name=f"vault-{uuid.uuid4().hex[:6]}",
                                                              path=str(world["base"] / "vault-2"), vault=True)
    Policy.objects.filter(pk=policy.pk).update(vault_destination_id=other["id"])
    control_plane.client(VAULT_USER).request("GET", "/v1/vault/work", params={"vault": other["id"]})
    assert not RestorePointCopy.objects.filter(vault_id=other["id"], restore_point_id__in=[point_id, lost]).exists()

