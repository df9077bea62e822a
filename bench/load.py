#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Load: many instances on one policy due the same minute, two proxies with a concurrency cap.

``python bench/load.py [--instances 100] [--results test-artifacts/load-results.md]``

1. starts the whole product as the e2e tests do (``tests.functional.e2e.support.Stack``: the embedded cloud, Redis,
   a proxy worker per availability zone with two processes each, the data worker, the REST API, the control worker
   and beat on SQLite), every proxy capped at ``STORAGE_BACKUP_PROXY_MAX_JOBS`` jobs;
2. creates ``--instances`` boot-from-volume servers, half in each zone, protects them all with one policy whose
   schedule names one minute (two minutes ahead), and waits for the scheduler to start them all in that minute;
3. while they run, a client of the demo project reads the panels' REST calls (jobs, restore points, protected
   instances) over and over and times each answer;
4. checks and prints: every job ended succeeded; no job ran twice (one attempt each, one ``received`` line per job
   in the proxies' logs, one restore point per instance); the cap was never exceeded (the most jobs whose
   ``started_at``–``finished_at`` overlap in a zone, against the zone's proxies' cap); the API's p50/p95/p99.

A benchmark, not a test: nothing here is timed against a limit. Figures go to ``--results`` and the README.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
CAP_PER_PROXY = 2
ZONES = ("nova", "az2")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (a start at the instant another ends does not overlap it)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda event: (event[0], event[1]))
    best = current = 0
    for _, change in events:
        current += change
        best = max(best, current)
    return best


def when(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class Reader(threading.Thread):
    """The panels' reads, over and over, as one tenant with Horizon open: each answer's time recorded."""

    def __init__(self, client) -> None:
        super().__init__(daemon=True)
        self.client, self.times, self.errors, self.stopped = client, [], 0, threading.Event()

    def run(self) -> None:
        calls = [lambda: self.client.job_page(limit=20), lambda: self.client.restore_point_page(limit=20),
                 lambda: self.client.protected_instance_list(limit=20)]
        while not self.stopped.is_set():
            for call in calls:
                started = time.perf_counter()
                try:
                    call()
                except Exception:
                    self.errors += 1
                self.times.append(time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--results", default=os.path.join(REPO_ROOT, "test-artifacts", "load-results.md"))
    args = parser.parse_args()
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    from tests.functional.e2e.support import Stack
    from tests.support.instances import create_instance, raise_volume_quota

    base = tempfile.mkdtemp(prefix="storage-backup-load-")
    stack = Stack(base, settings={"STORAGE_BACKUP_PROXY_MAX_JOBS": str(CAP_PER_PROXY),
                                  "STORAGE_BACKUP_RETENTION_SECONDS": "3600"})
    stack.start()
    try:
        member = stack.client()
        raise_volume_quota(stack.handle.session("admin"), stack.project_id("demo-member"), volumes=args.instances * 3)
        session = stack.handle.session("demo-member")
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            servers = list(pool.map(lambda n: create_instance(session, name=f"load-{n:03d}",
                                                              availability_zone=ZONES[n % 2]),
                                    range(args.instances)))
        print(f"{len(servers)} instances in {time.monotonic() - started:.0f} s", flush=True)
        due = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
        policy = stack.policy(name="load", strategy="incremental", schedule=f"{due.minute} {due.hour} * * *",
                              timezone="UTC")
        for server in servers:
            member.protect(server["id"], policy["id"])
        reader = Reader(stack.client("demo-member"))
        print(f"all protected; due at {due:%H:%M} UTC", flush=True)
        while dt.datetime.now(dt.UTC) < due:
            time.sleep(1)
        reader.start()
        deadline = time.monotonic() + 1800
        ids = {server["id"] for server in servers}
        while time.monotonic() < deadline:
            jobs = [job for job in member.job_list(limit=1000) if job["instance_id"] in ids]
            if len(jobs) >= len(ids) and all(job["state"] in ("succeeded", "failed", "cancelled") for job in jobs):
                break
            time.sleep(2)
        reader.stopped.set()
        reader.join()
        wall = time.monotonic() - started
        jobs = [job for job in member.job_list(limit=1000) if job["instance_id"] in ids]
        return report(args, stack, jobs, ids, reader, due, wall)
    finally:
        stack.stop()
        shutil.rmtree(base, ignore_errors=True)


def report(args, stack, jobs: list[dict], ids: set[str], reader: Reader, due: dt.datetime, wall: float) -> int:
    states: dict[str, int] = {}
    for job in jobs:
        states[job["state"]] = states.get(job["state"], 0) + 1
    received: dict[str, int] = {}
    for path in glob.glob(os.path.join(stack.base_dir, "logs", "*.log")):
        with open(path, errors="replace") as handle:
            for match in re.finditer(r"Task proxy\.backup_instance\[([0-9a-f-]+)\] received", handle.read()):
                received[match.group(1)] = received.get(match.group(1), 0) + 1
    twice = sorted(job["id"] for job in jobs if job["attempts"] != 1 or received.get(job["id"], 0) > 1)
    per_instance = dict.fromkeys(ids, 0)
    for point in stack.client().restore_point_list():
        if point["instance_id"] in per_instance:
            per_instance[point["instance_id"]] += 1
    zones = {server.id: server.availability_zone for server in stack.service.compute.servers(all_projects=True)}
    overlap = {}
    for zone in ZONES:
        intervals = [(when(job["started_at"]), when(job["finished_at"])) for job in jobs
                     if zones.get(job["instance_id"]) == zone and job["started_at"] and job["finished_at"]]
        overlap[zone] = most_at_once(intervals)
    ends = [when(job["finished_at"]) for job in jobs if job["finished_at"]]
    span = (max(ends) - due.timestamp()) if ends else float("nan")
    times = [t * 1000 for t in reader.times]
    lines = [
        f"# Load: {args.instances} instances on one policy due the same minute",
        "",
        f"Two proxies (one per zone), each capped at {CAP_PER_PROXY} jobs; {os.cpu_count()} CPUs; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d}.",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| jobs | {len(jobs)} for {len(ids)} instances: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        + " |",
        f"| backup tasks the proxies received | {sum(received.values())} |",
        f"| ran twice (attempts > 1 or received twice) | {len(twice)} |",
        f"| instances with exactly one restore point | {sum(1 for n in per_instance.values() if n == 1)} |",
        f"| most jobs at once, nova / az2 (cap {CAP_PER_PROXY} each) | {overlap['nova']} / {overlap['az2']} |",
        f"| from the due minute to the last job's end | {span:.0f} s |",
        f"| REST reads during the load | {len(times)} ({reader.errors} errors) |",
        f"| REST latency p50 / p95 / p99 / max | {percentile(times, 0.5):.0f} / {percentile(times, 0.95):.0f} / "
        f"{percentile(times, 0.99):.0f} / {max(times):.0f} ms |" if times else "| REST latency | no reads |",
        f"| whole run (instances created to last job) | {wall:.0f} s |",
    ]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as handle:
        handle.write(text + "\n")
    ok = (states.get("succeeded") == len(ids) == len(jobs) == sum(received.values()) and not twice
          and all(value <= CAP_PER_PROXY for value in overlap.values()))
    print("OK" if ok else "NOT OK: see above", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
