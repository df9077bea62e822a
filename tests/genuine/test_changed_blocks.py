# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Ceph changed blocks on the genuine services (issue 12): Cinder's own RBD driver makes the volumes, the snapshots
(``snapshot-<id>`` on ``volume-<id>``) and the clones the proxy reads, so its names and its snapshot rules (a
snapshot with a clone cannot go; a volume with snapshots cannot go) are the real ones.

A volume-booted server is backed up full → changed-block → checksum → changed-block, the guest writing different
data before each. The checksum step is forced as an operator would meet it: the data volume's kept base snapshot is
deleted through Cinder, so the plan says the base is gone (the root volume, whose base is still there, stays
changed-block). After every backup each volume has exactly one base in Cinder (renamed, tagged, available; the one
before it deleted); every restore point restores, byte for byte, what the volume held at its step. The sweeper leaves
the live bases alone; it removes a base once its volume is detached from the instance (until then Cinder refuses the
tenant's delete of the volume: it has a snapshot) and the rest once the instance is no longer protected; then
nothing holds the volumes and the tenant deletes them.

The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import os
import re

import pytest
from storage_backup.cloud import (
    BASE_INSTANCE_TAG,
    BASE_TAG,
    TEMPORARY_TAG,
    BadRequest,
    ResourceNotFound,
    base_name,
)
from storage_backup.repository import SAMPLE_UNCHANGED

from tests.functional.e2e.support import wait_until
from tests.functional.pipeline.support import volume_digest
from tests.genuine.instances import boot_from_volume

MIB = 1024 * 1024
BLOCK = 256 * 1024  # the repository's block size
OBJECT = 4 * MIB  # Cinder's RBD images keep rbd_store_chunk_size's 4 MiB objects; Ceph's diff is per object
VOLUME = 1024 * MIB
STATE: dict = {"points": [], "digests": [], "writes": []}
pytestmark = pytest.mark.timeout(600)


def _write(path: str, writes: list[tuple[int, int]]) -> None:
    """The guest writes fresh random bytes (``(offset, length)`` each) to its disk."""
    with open(path, "r+b") as device:
        for offset, length in writes:
            device.seek(offset)
            device.write(os.urandom(length))
        device.flush()
        os.fsync(device.fileno())


def _objects(writes: list[tuple[int, int]]) -> int:
    """How many 4 MiB RBD objects the writes touch: what Ceph's whole-object diff names as changed."""
    return len({block for offset, length in writes for block in range(offset // OBJECT,
                                                                        (offset + length - 1) // OBJECT + 1)})


def _blocks(writes: list[tuple[int, int]]) -> int:
    """How many of the repository's blocks the writes touch."""
    return len({block for offset, length in writes for block in range(offset // BLOCK,
                                                                      (offset + length - 1) // BLOCK + 1)})


def _gone(stack, snapshot_id: str) -> bool:
    try:
        stack.service.block_storage.get_snapshot(snapshot_id)
    except ResourceNotFound:
        return True
    return False


def _volume_status(stack, volume_id: str) -> str | None:
    try:
        return stack.service.block_storage.get_volume(volume_id).status
    except ResourceNotFound:
        return None


def _volumes(point: dict) -> dict:
    return {volume["volume_id"]: volume for volume in point["volumes"]}


def _changed_bytes(reason: str) -> int:
    match = re.search(r"(\d+) bytes changed", reason)
    assert match, reason
    return int(match.group(1))


def _backup(stack, step: str) -> dict:
    """Back the server up; record what each volume held at this step, the restore point and its job."""
    server = STATE["server"]
    STATE["digests"].append({volume: volume_digest(stack.guest_device(server.id, volume))
                             for volume in (STATE["root"], STATE["data"])})
    job = stack.run_backup(server.id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    by_job = {volume["volume_id"]: volume for volume in job["result"]["volumes"]}
    for volume_id, volume in _volumes(point).items():  # the catalog says what the job said
        for key in ("strategy", "strategy_reason", "sampled_blocks", "sample_mismatches", "bytes_read"):
            assert volume[key] == by_job[volume_id][key], (step, key, volume, by_job[volume_id])
    STATE["points"].append(point)
    STATE.setdefault("figures", {})[step] = {
        "data" if volume_id == STATE["data"] else "root": (volume["strategy"], volume["bytes_read"])
        for volume_id, volume in _volumes(point).items()}
    assert stack.leftovers() == {}
    return point


def _one_base_each(stack, previous: dict | None) -> dict:
    """Exactly one base snapshot per volume, named and tagged as the product keeps them, available; the ones the
    previous step kept are gone from Cinder. Returns ``{volume id: base snapshot id}``."""
    server = STATE["server"]
    found = stack.bases(server.id)
    assert set(found) == {STATE["root"], STATE["data"]}, found
    bases = {}
    for volume_id, snapshots in found.items():
        assert len(snapshots) == 1, (volume_id, [(s.id, s.name, s.status) for s in snapshots])
        snapshot = snapshots[0]
        assert (snapshot.name, snapshot.status, snapshot.volume_id) == (base_name(volume_id), "available", volume_id)
        assert snapshot.metadata[BASE_TAG] == volume_id and snapshot.metadata[BASE_INSTANCE_TAG] == server.id
        assert TEMPORARY_TAG not in snapshot.metadata, snapshot.metadata  # no job's leftover: the sweeper keeps it
        bases[volume_id] = snapshot.id
    for volume_id, snapshot_id in (previous or {}).items():
        assert snapshot_id != bases[volume_id] and _gone(stack, snapshot_id), (volume_id, snapshot_id)
    STATE.setdefault("bases", []).append(bases)
    return bases


def _assert_changed_blocks(volume: dict, writes: list[tuple[int, int]], base_id: str) -> None:
    """Read only what Ceph named (whole 4 MiB objects) plus the sample of unchanged blocks re-read and compared."""
    assert volume["strategy"] == "changed-extents", volume
    assert volume["strategy_reason"].startswith("changed blocks from Ceph: ") and \
        f"since base snapshot {base_id} " in volume["strategy_reason"], volume["strategy_reason"]
    changed = _changed_bytes(volume["strategy_reason"])
    # Ceph's exact diff names the written ranges (as the page cache flushed them), a whole-object one their 4 MiB
    # objects: either way at least what was written and at most those objects.
    assert sum(length for _, length in writes) <= changed <= _objects(writes) * OBJECT, (changed, writes)
    assert (volume["sampled_blocks"], volume["sample_mismatches"]) == (SAMPLE_UNCHANGED, 0), volume
    # What was read besides the sample: the blocks under Ceph's extents, no fewer than the written ones cover.
    extents_read = volume["bytes_read"] - volume["sampled_blocks"] * BLOCK
    assert extents_read % BLOCK == 0 and _blocks(writes) * BLOCK <= extents_read <= _objects(writes) * OBJECT, volume
    assert extents_read <= changed + 2 * BLOCK * len(writes), (changed, volume)  # each extent rounded to blocks
    assert volume["bytes_read"] < VOLUME / 20, volume


def test_a_volume_booted_server_is_protected(stack):
    demo = stack.connect("demo-member")
    server, root, data = boot_from_volume(stack, demo, "cbt-1", zone="nova")
    STATE.update(server=server, root=root, data=data)
    _write(stack.guest_device(server.id, root), [(0, 4096), (200 * MIB, 3 * BLOCK)])
    _write(stack.guest_device(server.id, data), [(4096, BLOCK), (700 * MIB, 9000)])
    policy = stack.client().policy_create(name="genuine-cbt", destination_id=stack.destination()["id"],
                                          strategy="incremental", keep_last=10, retention_lock_days=0)
    stack.client().protect(server.id, policy["id"])


def test_the_full_backup_keeps_each_snapshot_as_the_base(stack):
    point = _backup(stack, "full")
    assert point["strategy"] == "full"
    bases = _one_base_each(stack, None)
    for volume_id, volume in _volumes(point).items():
        assert volume["strategy"] == "full", volume
        assert volume["strategy_reason"] == (f"full: no earlier restore point holds it; snapshot {bases[volume_id]} "
                                             "kept as the Ceph base of the next backup"), volume
        assert volume["bytes_read"] >= 2 * MIB, volume


def test_a_changed_block_backup_reads_what_ceph_names(stack):
    server, data = STATE["server"], STATE["data"]
    writes = [(64 * MIB + 512, 4096), (500 * MIB, 6 * MIB), (1020 * MIB, BLOCK)]
    _write(stack.guest_device(server.id, data), writes)
    point = _backup(stack, "changed-1")
    previous = STATE["bases"][-1]
    bases = _one_base_each(stack, previous)
    volumes = _volumes(point)
    _assert_changed_blocks(volumes[data], writes, previous[data])
    _assert_changed_blocks(volumes[STATE["root"]], [], previous[STATE["root"]])  # untouched: the sample only
    assert volumes[data]["blocks_new"] == _blocks(writes)
    assert bases[data] != previous[data] and bases[STATE["root"]] != previous[STATE["root"]]
    assert volumes[data]["parent"] == STATE["points"][0]["id"]


def test_a_base_deleted_through_cinder_makes_a_checksum_backup(stack):
    server, root, data = STATE["server"], STATE["root"], STATE["data"]
    _write(stack.guest_device(server.id, data), [(64 * MIB, 4096), (300 * MIB, 2 * MIB)])
    _write(stack.guest_device(server.id, root), [(200 * MIB, 4096)])
    gone = STATE["bases"][-1][data]
    stack.service.block_storage.delete_snapshot(gone)  # an operator tidies up Cinder's snapshots
    wait_until(lambda: _gone(stack, gone), timeout=120, interval=1, what=f"Cinder to delete snapshot {gone}")
    point = _backup(stack, "checksum")
    previous = STATE["bases"][-1]
    bases = _one_base_each(stack, {root: previous[root]})
    volume = _volumes(point)[data]
    assert volume["strategy"] == "incremental", volume
    assert volume["strategy_reason"] == (f"checksum: its base snapshot {gone} is gone; snapshot {bases[data]} kept "
                                         "as the Ceph base of the next backup"), volume
    assert volume["bytes_read"] >= VOLUME / 2 and volume["sampled_blocks"] == 0, volume  # every block compared
    _assert_changed_blocks(_volumes(point)[root], [(200 * MIB, 4096)], previous[root])


def test_the_next_backup_is_changed_blocks_again(stack):
    server, data = STATE["server"], STATE["data"]
    writes = [(4096, 8192), (900 * MIB, OBJECT)]
    _write(stack.guest_device(server.id, data), writes)
    point = _backup(stack, "changed-2")
    previous = STATE["bases"][-1]
    _one_base_each(stack, previous)
    volumes = _volumes(point)
    _assert_changed_blocks(volumes[data], writes, previous[data])
    _assert_changed_blocks(volumes[STATE["root"]], [], previous[STATE["root"]])
    assert volumes[data]["parent"] == STATE["points"][2]["id"]


def test_every_restore_point_restores_what_the_volume_held(stack):
    data = STATE["data"]
    assert len({digests[data] for digests in STATE["digests"]}) == 4  # the data differed at every step
    # Into either zone in turn: both zones' proxies restore at once (and a restore point of one zone's volume
    # restores in the other).
    zones = ("nova", "az2")
    jobs = [stack.client().restore(point["id"], volume_id=data, name=f"cbt-1-data-{step}",
                                   availability_zone=zones[step % 2])["id"]
            for step, point in enumerate(STATE["points"])]
    for step, job_id in enumerate(jobs):
        job = stack.wait_job(job_id)
        assert job["state"] == "succeeded" and job["proxy"].startswith(f"proxy-{zones[step % 2]}@"), job
        with stack.cloud.volume_file(job["result"]["volume_id"]) as path:
            assert volume_digest(path) == STATE["digests"][step][data], f"restore point of step {step}"
    assert stack.leftovers() == {}


def test_the_sweeper_keeps_live_bases_and_removes_orphaned_ones(stack):
    server, live = STATE["server"], STATE["bases"][-1]
    root, data = STATE["root"], STATE["data"]
    # Each module's stack has its catalog of its own: the bases of instances that other modules protected (in
    # their own catalogs) are orphans to this one and may go in the same sweep. This instance's stay.
    report = stack.sweep()
    assert set(report["bases"]).isdisjoint(live.values()) and not report["errors"], report
    assert {volume: [s.id for s in snapshots] for volume, snapshots in stack.bases(server.id).items()} == \
        {volume: [snapshot] for volume, snapshot in live.items()}

    # Cinder's rule: a volume with a snapshot cannot be deleted, and the base is the backup service's snapshot.
    # The tenant detaches the data volume: it is refused until the sweeper finds that base orphaned.
    demo = stack.connect("demo-member")
    demo.compute.delete_volume_attachment(server.id, data)
    wait_until(lambda: _volume_status(stack, data) == "available", timeout=180, interval=1,
               what="the data volume to be detached")
    with pytest.raises(BadRequest, match="snapshots"):
        demo.block_storage.delete_volume(data)
    report = stack.sweep()
    assert live[data] in report["bases"] and live[root] not in report["bases"] and not report["errors"], report
    assert {volume: [s.id for s in snapshots] for volume, snapshots in stack.bases(server.id).items()} == \
        {root: [live[root]]}
    demo.block_storage.delete_volume(data)

    stack.client().unprotect(server.id)
    report = stack.sweep()
    assert live[root] in report["bases"] and not report["errors"], report
    wait_until(lambda: stack.bases(server.id) == {}, timeout=120, interval=1, what="the bases to be deleted")
    # Nothing of the product's holds the volumes any more (no Cinder snapshot, no RBD snapshot or clone that
    # Cinder's driver would refuse to delete the image for): the tenant deletes the server and then its volume.
    demo.compute.delete_server(server.id)
    wait_until(lambda: _volume_status(stack, root) == "available", timeout=180, interval=1,
               what="the root volume to be detached")
    demo.block_storage.delete_volume(root)
    wait_until(lambda: {_volume_status(stack, v) for v in (root, data)} <= {None, "error_deleting"},
               timeout=180, interval=1, what="Cinder to delete the volumes")
    assert {_volume_status(stack, v) for v in (root, data)} == {None}
    print("changed-block chain (volume: strategy, bytes read):", STATE["figures"])
