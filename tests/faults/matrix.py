# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The fault matrix's bookkeeping: what each drill did, the four checks every drill ends with, and the results file
the README's "Reliability" table is generated from (``tools/reliability_table.py``).

A drill is one fault injected into the whole product (``tests.functional.e2e.support.Stack``: real proxy and data
workers, Redis, the control plane, the embedded cloud). It ends with the same four checks, whatever the fault:

1. no half-written restore point is visible: the instance's restore points in the catalog (through the API) are
   exactly the committed ones in the repository, and the job's failure added none;
2. nothing temporary is left once the sweeper has run: no snapshot, volume, attachment to a proxy or image;
3. the job ended with an error a user can act on (a sentence, no traceback), or succeeded after a retry where that
   is right;
4. the next backup of the same instance succeeds.

The times a drill records: ``ended`` (fault to the job's end: how long the product took to notice and give an
answer) and ``recovered`` (fault to the four checks passing: the product whole again, with a fresh restore point).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field

from tests.functional.e2e.support import ENDED, Stack, wait_until

RESULTS_JSON = os.path.join("test-artifacts", "reliability.json")


@dataclass
class Drill:
    """One row of the matrix: the fault, what became of the job, and how long recovery took."""

    case: str  # the test's name
    fault: str  # what was done, in words
    expected: str  # what the product should do, in words
    started: float = field(default_factory=time.monotonic)
    job_state: str = ""
    attempts: int = 0
    error: str = ""
    ended_seconds: float | None = None
    recovered_seconds: float | None = None
    passed: bool = False

    def restart_clock(self) -> None:
        """The fault is injected now (what came before was setting the scene)."""
        self.started = time.monotonic()

    def job_ended(self, job: dict) -> None:
        self.job_state, self.attempts, self.error = job["state"], int(job.get("attempts") or 0), job.get("error") or ""
        self.ended_seconds = round(time.monotonic() - self.started, 1)

    def recovered(self) -> None:
        """The product is whole again (a drill that ends other than with ``recover``'s four checks says so)."""
        self.recovered_seconds = round(time.monotonic() - self.started, 1)
        self.passed = True

    def as_row(self) -> dict:
        row = asdict(self)
        row.pop("started")
        return row


def points_of(stack: Stack, instance_id: str, user: str = "demo-member") -> set[str]:
    return {point["id"] for point in stack.client(user).restore_point_list(instance_id=instance_id)}


def committed_in_repository(stack: Stack, instance_id: str, repository: str | None = None) -> set[str]:
    """The restore points of ``instance_id`` that the repository (default the stack's; else the real directory
    ``repository``) itself holds, read as the data plane would."""
    from storage_backup.repository import Repository

    repository = Repository.open(repository or stack.repository)
    return {point.id for point in repository.list_restore_points(labels={"instance_id": instance_id})}


def check_actionable(job: dict) -> None:
    """Check 3 for a failed job: an error sentence a user can act on, not a traceback or an internal repr."""
    error = job.get("error") or ""
    assert job["state"] in ENDED, job
    if job["state"] == "failed":
        assert error.strip(), f"a failed job without an error: {job}"
        for internal in ("Traceback", "File \"/", "<class ", "object at 0x"):
            assert internal not in error, f"an error no user can act on: {error!r}"


def recover(stack: Stack, drill: Drill, instance_id: str, job: dict, points_before: set[str],
            user: str = "demo-member", sweep_timeout: float = 60, repository: str | None = None) -> dict:
    """The four checks (module docstring); returns the next backup's job. ``job`` is the drilled job, ended."""
    if drill.ended_seconds is None:
        drill.job_ended(job)
    check_actionable(job)
    # 1. Only committed restore points are visible; a failed job added none.
    visible = points_of(stack, instance_id, user)
    if job["state"] != "succeeded":
        assert visible == points_before, f"a failed job left restore points: {visible - points_before}"
    assert visible == committed_in_repository(stack, instance_id, repository), "the catalog and the repository disagree"
    # 2. Nothing temporary once the sweeper has run.
    wait_until(lambda: stack.leftovers() == {}, timeout=sweep_timeout, interval=0.5,
               what=f"the sweeper to remove what the job left: {stack.leftovers()}")
    # 4. The next backup of the same instance succeeds (the instance is not blocked, the repository is sound).
    following = stack.run_backup(instance_id, user=user, timeout=120)
    assert following["restore_point_id"] in committed_in_repository(stack, instance_id, repository)
    assert stack.leftovers() == {}
    drill.recovered()
    return following


def write_results(drills: list[Drill], path: str = RESULTS_JSON) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump({"drills": [drill.as_row() for drill in drills]}, handle, indent=1)
        handle.write("\n")


# -- the scene ---------------------------------------------------------------------------------------------------

def protected_instance(stack: Stack, policy: dict, name: str, data_mib: int = 4, user: str = "demo-member") -> dict:
    """A new boot-from-volume instance in ``nova`` (its own, so no drill blocks another's), ``data_mib`` of random
    data written by its guest, protected by ``policy``. Returns the server (with ``root_volume_id``)."""
    from tests.support.instances import create_instance

    server = create_instance(stack.handle.session(user), name=name)
    assert server["status"] == "ACTIVE", server
    server["root_volume_id"] = server["os-extended-volumes:volumes_attached"][0]["id"]
    write_guest_data(stack, server, data_mib)
    stack.client(user).protect(server["id"], policy["id"])
    return server


def own_destination(stack: Stack, name: str, user: str = "demo-member", **policy_fields) -> tuple[dict, str]:
    """``(policy, real directory)``: a destination of its own (so a drill that damages it harms no other) and a
    policy of ``user``'s project on it."""
    path, real = stack.new_repository(name)
    destination = stack.client("admin").destination_create(name=name, path=path)
    policy_fields.setdefault("strategy", "incremental")
    policy = stack.client(user).policy_create(destination_id=destination["id"], name=name, **policy_fields)
    return policy, real


def write_guest_data(stack: Stack, server: dict, mib: int, offset_mib: int = 1) -> bytes:
    """The guest writes ``mib`` MiB of random data to its root disk at ``offset_mib``; returns the data."""
    data = os.urandom(mib << 20)
    with open(stack.volume_file(server["root_volume_id"]), "r+b") as disk:  # the bytes the guest's disk holds
        disk.seek(offset_mib << 20)
        disk.write(data)
        disk.flush()
        os.fsync(disk.fileno())
    return data


def wait_step(stack: Stack, job_id: str, step: str, user: str = "demo-member", timeout: float = 60) -> dict:
    """Until the job reports ``step`` (the drill pauses there: ``STORAGE_BACKUP_DRILL_PAUSE``)."""
    return wait_until(lambda: (job := stack.client(user).job_get(job_id))["progress"].get("step") == step and job,
                      timeout=timeout, interval=0.1, what=f"job {job_id} to reach step {step}")


def backup_under_fault(stack: Stack, drill: Drill, server: dict, operation: str, mode: str) -> dict:
    """Arm the cloud's next ``operation`` to ``mode`` (``faults.py``), back ``server`` up, and return the ended job."""
    stack.arm_fault(operation, mode)
    drill.restart_clock()
    return stack.wait_job(stack.client().backup_create(server["id"])["id"], timeout=90)


def kill_worker_at(stack: Stack, drill: Drill, start_job, step: str, zone: str = "nova") -> dict:
    """Hold ``zone``'s jobs at ``step``, start one (``start_job()`` returns it), SIGKILL the worker there, start a
    plain one as its supervisor would, and return the job once it ended."""
    pausing_worker(stack, zone, f"{step}=60")
    job = start_job()
    wait_step(stack, job["id"], step)
    drill.restart_clock()
    stack.kill_worker(zone)
    plain_worker(stack, zone)
    return stack.wait_job(job["id"], timeout=90)


def pausing_worker(stack: Stack, zone: str, pauses: str) -> None:
    """Restart ``zone``'s proxy worker holding each job at the start of the steps ``pauses`` names ("read=30")."""
    _replace_worker(stack, zone, {"STORAGE_BACKUP_DRILL_PAUSE": pauses})


def plain_worker(stack: Stack, zone: str) -> None:
    """(Re)start ``zone``'s proxy worker as production runs it (no drill pause)."""
    _replace_worker(stack, zone, None)


def _replace_worker(stack: Stack, zone: str, env: dict | None) -> None:
    supervisor = getattr(stack, "supervisor", None)
    worker = stack.workers.get(zone)
    if worker is not None:
        if supervisor is not None:
            supervisor.forget(worker)
        worker.stop()
    new = stack.start_worker(zone, env=env)
    if supervisor is not None:
        supervisor.watch(new)
    stack.wait_for_proxies()
