#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Backup and restore throughput to Ceph RGW S3 against the filesystem destination, with boto3's raw PUT/GET on the
same RGW as the ceiling, in one run.

    .venv/bin/python bench/s3_throughput.py [--size-gib 2] [--fraction 0.05] [--s3-env PATH] [--results FILE]

Unless ``--s3-env`` names the ``s3.env`` of a running RGW (what ``tools/ceph/start-rgw.sh`` writes), it starts its
own: the project's one-node Ceph (``tools/ceph/start.sh``, bluestore on a sparse file, its own folder under /tmp and
free loopback ports) and radosgw on it (``tools/ceph/start-rgw.sh`` with ``RGWX_CEPH_RUNNING=1``), and stops and
wipes both at the end, on failure too. Then, in one run:

(a) the ceiling: boto3 PUTs of objects the size of the repository's packs (16 MiB) with as many in flight as the
    engine's pack committers (2), with and without the Content-MD5 the destination sends, at twice that, and into
    an Object Lock bucket with retention on each PUT; GETs of the same objects with as many in flight as the
    engine's restore workers, and with two;
(b) a full backup of the image (the layout of ``bench/image.py``: half random, a quarter zeros, a quarter
    English-like text, in 32 MiB stripes; its text from ``rbd_changed_blocks.FastText``) to a filesystem repository,
    to an S3 bucket, and to an S3 bucket with Object Lock (COMPLIANCE, ``--lock-days``: per-object retention on
    every immutable object);
(c) an incremental of each after ``--fraction`` of the image is rewritten in 1 MiB pieces at random offsets;
(d) a restore of that incremental from each (checked byte for byte against the image, outside the time);
and what every step pays before its work on each destination (``repo list``: the process, its imports, the
repository opened, restore points listed).

Every step of (b)-(d) is the real ``storage-backup`` console script in a process of its own (``image backup``,
``image restore``, credentials in ``AWS_*``), as ``bench/run.py`` runs it; (a) is a process of this script. Wall
time is measured around the process (its start included: the same for every destination), its peak RSS read from
its ``VmHWM``, the CPU seconds of the process, radosgw and the OSD from ``/proc``, and how busy the whole machine was
from ``/proc/stat``. Bytes sent and requests are radosgw's own counters (``perf dump``: ``put_b``, ``get_b``,
``req``), the filesystem repository's growth for the filesystem destination. Before each backup the image is read
once (all destinations start with it in the page cache) after a ``sync`` (no step pays for an earlier one's writes).
``--repeat`` runs (a)-(d) again with new repositories and reports each step's median round. ``--profile`` adds py-spy
profiles of an S3 full backup, incremental and restore in a new bucket (``.venv/bin/pip install py-spy`` first).
About 5 minutes per round at 2 GiB on 2 quiet cores (10 on a busy shared host).
"""
from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "backend"))
sys.path.insert(0, os.path.join(ROOT, "backend", "sandbox"))
sys.path.insert(0, HERE)
import image as image_module  # noqa: E402
from run import machine_busy, tree_bytes, warm  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
CLI = os.path.join(os.path.dirname(sys.executable), "storage-backup")
TICK = os.sysconf("SC_CLK_TCK")
CEPH_DIR = os.path.join(tempfile.gettempdir(), "storage-backup-s3-bench-ceph")
#: The engine's concurrency, which the ceiling copies: its pack committers on backup (the PUTs in flight,
#: ``PackWriter(committers=2)``), its restore workers on restore (the GETs in flight, ``workers.restore_workers``:
#: twice the cores counted between 2 and 8). Written out here: a benchmark imports only the repository package's
#: public names (tests/unit/repository/test_public_api.py).
PACK_COMMITTERS = 2
RESTORE_WORKERS = 2 * max(2, min(8, os.cpu_count() or 2))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the machine ----------------------------------------------------------------------------------------------------

def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (0 when it is not there)."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def read_env(path: str) -> dict[str, str]:
    values = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("export ") and "=" in line:
                key, value = line[len("export "):].strip().split("=", 1)
                values[key] = value
    return values


class Rgw:
    """A radosgw to measure: ours (started and stopped here) or one named by an ``s3.env``."""

    def __init__(self, s3_env: str | None, capacity: int) -> None:
        self.own = s3_env is None
        self.dir = CEPH_DIR if self.own else os.path.dirname(read_env(s3_env).get("CEPH_CONF", s3_env))
        self.s3_env = s3_env or os.path.join(self.dir, "s3.env")
        self.capacity = capacity
        self.env = dict(os.environ)
        self.endpoint = ""
        self.credentials: dict[str, str] = {}

    def start(self) -> None:
        if self.own:
            from storage_backup_sandbox.launch import free_port, free_range

            first = free_range(41)
            self.env.update(CEPHX_DIR=self.dir, CEPHX_STORE="bluestore", CEPHX_SIZE=str(self.capacity),
                            CEPHX_MON_PORT=str(free_port()), CEPHX_MON_PORT_V1=str(free_port()),
                            CEPHX_OSD_PORT_MIN=str(first), CEPHX_OSD_PORT_MAX=str(first + 39),
                            CEPHX_RGW_PORT=str(first + 40), RGWX_CEPH_RUNNING="1")
            if not shutil.which("radosgw"):
                subprocess.run(["bash", os.path.join(ROOT, "tools", "ceph", "install.sh")], check=True)
            log(f"starting Ceph in {self.dir} (bluestore on a sparse file of {self.capacity / GiB:.0f} GiB)")
            self._run("start.sh")
            log("starting radosgw")
            self._run("start-rgw.sh")  # its output names the keys: kept out of the log, read from s3.env
        values = read_env(self.s3_env)
        self.endpoint = values["S3_ENDPOINT"]
        self.credentials = {"AWS_ACCESS_KEY_ID": values["AWS_ACCESS_KEY_ID"],
                            "AWS_SECRET_ACCESS_KEY": values["AWS_SECRET_ACCESS_KEY"]}

    def _run(self, script: str) -> None:
        done = subprocess.run(["bash", os.path.join(ROOT, "tools", "ceph", script)], env=self.env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"tools/ceph/{script} failed ({done.returncode}): {done.stderr[-2000:]}")

    def stop(self, keep: bool) -> None:
        if not self.own:
            return
        if keep:
            log(f"Ceph and radosgw left running: {self.s3_env}; stop them with CEPHX_DIR={self.dir} CEPHX_WIPE=1 "
                f"bash tools/ceph/stop-rgw.sh")
            return
        subprocess.run(["bash", os.path.join(ROOT, "tools", "ceph", "stop-rgw.sh")],
                       env=dict(self.env, CEPHX_WIPE="1"), capture_output=True, timeout=120)

    def pid(self, name: str) -> int | None:
        try:
            with open(os.path.join(self.dir, f"{name}.pid")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def counters(self) -> dict[str, int]:
        """radosgw's request counters (``perf dump``): every request, PUTs and GETs of objects and their bytes."""
        socket_path = os.path.join(self.dir, "run", "ceph-client.rgw.x.asok")
        try:
            out = subprocess.run(["ceph", "--admin-daemon", socket_path, "perf", "dump"], capture_output=True,
                                 text=True, check=True, timeout=30).stdout
            rgw = json.loads(out)["rgw"]
        except (OSError, subprocess.SubprocessError, ValueError, KeyError):
            return {}
        return {key: int(rgw.get(key, 0)) for key in ("req", "put", "put_b", "get", "get_b", "failed_req")}

    def cpu(self) -> dict[str, float]:
        return {"rgw": process_cpu(self.pid("rgw")), "osd": process_cpu(self.pid("osd")),
                "mon": process_cpu(self.pid("mon"))}

    def client(self):
        """A boto3 client as the destination makes it, for setup and cleanup."""
        from storage_backup.repository import S3Credentials, S3Destination, S3Settings

        settings = S3Settings(bucket="unused", endpoint_url=self.endpoint, region="default", path_style=True)
        return S3Destination(settings, S3Credentials(self.credentials["AWS_ACCESS_KEY_ID"],
                                                     self.credentials["AWS_SECRET_ACCESS_KEY"])).client


# -- a measured step ------------------------------------------------------------------------------------------------

@dataclass
class Step:
    name: str
    destination: str
    seconds: float = 0.0
    inner: float = 0.0  # what the process itself says it took (its start and repository opening not included)
    source: int = 0  # bytes of the volume the step covers
    sent: int = 0  # bytes PUT (backup) or fetched (restore)
    rss: int = 0
    cpu_client: float = 0.0
    cpu_rgw: float = 0.0
    cpu_osd: float = 0.0
    busy: float = 0.0  # cores the whole machine kept busy, on average
    others: float = 0.0  # of which, cores used by processes other than the client, radosgw, the OSD and the mon
    requests: dict[str, int] = field(default_factory=dict)
    note: str = ""
    output: dict = field(default_factory=dict)


class PeakRss(threading.Thread):
    """A child's peak RSS, from its ``VmHWM`` (the high-water mark of its own memory since its exec), read every
    20 ms until it exits. Not ``wait4``'s ``ru_maxrss``: Linux counts into it the parent's RSS at the fork (this
    process, some 140 MiB with boto3 and the image's text pool), which hid every child smaller than that."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.value, self.done = pid, 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(OSError, ValueError):
                with open(f"/proc/{self.pid}/status") as handle:
                    for line in handle:
                        if line.startswith("VmHWM:"):
                            self.value = max(self.value, int(line.split()[1]) * KiB)
            self.done.wait(0.02)

    def stop(self) -> None:
        self.done.set()
        self.join()


def measured(rgw: Rgw, step: Step, argv: list[str], env: dict[str, str] | None = None) -> Step:
    """Run ``argv`` as a child process; fill ``step`` with its wall time, peak RSS and CPU, radosgw's and the OSD's
    CPU, the machine's busy cores and radosgw's counters over the step; its stdout (JSON) into ``step.output``."""
    environment = dict(os.environ, **rgw.credentials, **(env or {}))
    counters, cpu, busy = rgw.counters(), rgw.cpu(), machine_busy()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=environment)
        peak = PeakRss(process.pid)
        # wait4: this child's own rusage (RUSAGE_CHILDREN would keep the largest of every earlier child).
        _pid, status, usage = os.wait4(process.pid, 0)
        peak.stop()
        step.seconds = time.perf_counter() - started
        step.busy = (machine_busy() - busy) / step.seconds
        after_cpu, after = rgw.cpu(), rgw.counters()
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} ... exited with {os.waitstatus_to_exitcode(status)}: "
                           f"{err.strip()[-3000:]}")
    step.rss = peak.value or usage.ru_maxrss * KiB
    step.cpu_client = usage.ru_utime + usage.ru_stime
    step.cpu_rgw, step.cpu_osd = after_cpu["rgw"] - cpu["rgw"], after_cpu["osd"] - cpu["osd"]
    ours = step.cpu_client + step.cpu_rgw + step.cpu_osd + after_cpu["mon"] - cpu["mon"]
    step.others = max(0.0, step.busy - ours / step.seconds)
    step.requests = {key: after.get(key, 0) - counters.get(key, 0) for key in after}
    output = json.loads(out) if out.strip() else {}
    step.output = output if isinstance(output, dict) else {"items": output}
    step.inner = float(step.output.get("elapsed", step.output.get("seconds", 0.0)))
    return step


# -- (a) the ceiling: raw boto3 PUT and GET -------------------------------------------------------------------------

def raw_child(args) -> int:
    """In a process of its own: PUT or GET ``--count`` objects of ``--object-size`` bytes, ``--concurrency`` at a
    time, with one boto3 client made as the destination makes it (so the same pool, retries and checksum settings);
    prints the seconds the transfers took."""
    from storage_backup.repository import S3Credentials, S3Destination, S3Settings

    settings = S3Settings(bucket=args.bucket, endpoint_url=os.environ["S3_ENDPOINT"], region="default",
                          path_style=True)
    # The destination's own client (same pool, retries, timeouts and checksum settings).
    client = S3Destination(settings, S3Credentials.from_environment()).client
    keys = [f"ceiling/{number:05d}" for number in range(args.count)]
    body = os.urandom(args.object_size)  # one body for every key: RGW neither deduplicates nor compresses

    lock = {}
    if args.retain_days:
        import datetime as dt

        lock = {"ObjectLockMode": "COMPLIANCE",
                "ObjectLockRetainUntilDate": dt.datetime.now(dt.UTC) + dt.timedelta(days=args.retain_days)}

    def put(key: str) -> int:
        # Computed per PUT, as the destination does, so that its cost is in the time.
        extra = {"ContentMD5": base64.b64encode(hashlib.md5(body).digest()).decode()} if args.md5 else {}
        extra.update(lock)
        client.put_object(Bucket=args.bucket, Key=key, Body=body, **extra)
        return len(body)

    def get(key: str) -> int:
        return len(client.get_object(Bucket=args.bucket, Key=key)["Body"].read())

    client.head_bucket(Bucket=args.bucket)  # the connection made before the clock starts, as a pool has it
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        moved = sum(pool.map(put if args.raw == "put" else get, keys))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "bytes": moved}))
    return 0


def ceiling(rgw: Rgw, count: int, object_size: int, restore_workers: int, lock_days: float) -> list[Step]:
    """The raw runs: PUTs as the committers make them (with and without Content-MD5, and twice as many in flight),
    the same into an Object Lock bucket with retention on each PUT, then GETs of whole objects."""
    client = rgw.client()
    bucket, locked = f"bench-ceiling-{uuid.uuid4().hex[:8]}", f"bench-ceiling-locked-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    client.create_bucket(Bucket=locked, ObjectLockEnabledForBucket=True)
    steps = []
    runs = [("put", PACK_COMMITTERS, False, False), ("put", PACK_COMMITTERS, True, False),
            ("put", 2 * PACK_COMMITTERS, True, False), ("put", PACK_COMMITTERS, True, True),
            ("get", restore_workers, False, False), ("get", PACK_COMMITTERS, False, False)]
    try:
        for operation, concurrency, md5, lock in runs:
            label = (f"raw {operation.upper()} of {count} x {object_size // MiB} MiB, {concurrency} in flight"
                     + (", Content-MD5" if md5 else "") + (", retention (Object Lock)" if lock else ""))
            step = Step(label, "S3 (raw boto3)", source=count * object_size)
            argv = [sys.executable, os.path.abspath(__file__), "--raw", operation, "--bucket",
                    locked if lock else bucket, "--count", str(count), "--object-size", str(object_size),
                    "--concurrency", str(concurrency)]
            argv += (["--md5"] if md5 else []) + (["--retain-days", str(lock_days)] if lock else [])
            measured(rgw, step, argv, {"S3_ENDPOINT": rgw.endpoint})
            step.sent = step.requests.get("put_b" if operation == "put" else "get_b", 0) or step.output["bytes"]
            steps.append(step)
            log(f"  {label}: {step.inner:.2f} s, {step.source / step.inner / 1e6:.0f} MB/s")
    finally:
        with contextlib.suppress(Exception):  # the locked bucket stays until its retention ends (or Ceph goes)
            empty_bucket(client, bucket)
            client.delete_bucket(Bucket=bucket)
    return steps


def empty_bucket(client, bucket: str) -> None:
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        objects = [{"Key": item["Key"], "VersionId": item["VersionId"]}
                   for item in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if objects:
            client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


# -- (b)-(d) the engine ---------------------------------------------------------------------------------------------

@dataclass
class Target:
    """A destination the engine backs up to: its label, its location (what ``--repo`` takes), and how to count
    what a step sent there (radosgw's counters, or the filesystem repository's growth)."""

    label: str
    location: str
    path: str | None = None  # the filesystem repository's folder
    bucket: str | None = None
    last_id: str | None = None


def make_targets(rgw: Rgw, workdir: str, lock_days: float, round_number: int) -> list[Target]:
    """A new repository on each destination (a new bucket for each S3 one), so that no round finds another's data."""
    from storage_backup.repository import Repository, S3Credentials, S3Destination, S3Settings

    credentials = S3Credentials(rgw.credentials["AWS_ACCESS_KEY_ID"], rgw.credentials["AWS_SECRET_ACCESS_KEY"])
    path = os.path.join(workdir, f"repository-{round_number}")
    Repository.init(path)
    targets = [Target("filesystem", path, path=path)]
    suffix = uuid.uuid4().hex[:8]
    for label, bucket, lock in (("S3", f"bench-plain-{suffix}", {}),
                                (f"S3 + Object Lock COMPLIANCE {lock_days:g} d", f"bench-locked-{suffix}",
                                 {"lock_mode": "COMPLIANCE", "lock_days": lock_days})):
        settings = S3Settings(bucket=bucket, endpoint_url=rgw.endpoint, region="default", path_style=True, **lock)
        destination = S3Destination(settings, credentials)
        destination.ensure_bucket()
        Repository.init(destination)
        targets.append(Target(label, settings.location, bucket=bucket))
    return targets


def open_and_list(rgw: Rgw, target: Target) -> Step:
    """What every step pays before its work: the process, its imports, the repository opened, restore points
    listed (``repo list``): the fixed cost that the small steps show."""
    step = Step("start, open, list", target.label)
    return measured(rgw, step, [CLI, "repo", "list", "--repo", target.location, "--json"])


def backup(rgw: Rgw, target: Target, image: str, full: bool, size: int) -> Step:
    step = Step("full backup" if full else "incremental", target.label, source=size)
    before = tree_bytes(target.path) if target.path else 0
    warm(image)
    measured(rgw, step, [CLI, "image", "backup", "--repo", target.location, "--name", "bench", "--json",
                         *(["--full"] if full else []), image])
    target.last_id = step.output["id"]
    step.sent = tree_bytes(target.path) - before if target.path else step.requests.get("put_b", 0)
    return step


def generate_image(path: str, size: int, seed: int = 42) -> dict:
    """``bench/image.py``'s layout (32 MiB stripes: random, zeros, random, text; zeros written), with the text of
    ``rbd_changed_blocks.FastText`` (a pool of ``image.TextSource`` prose read at random unaligned offsets: no block
    repeats another, it compresses like text), which is ten times faster to make than ``image.generate``'s."""
    from rbd_changed_blocks import FastText

    rng = random.Random(seed)
    text = FastText(seed + 1)
    counts = dict.fromkeys(image_module.PATTERN, 0)
    with open(path, "wb") as handle:
        for offset in range(0, size, 4 * MiB):
            kind = image_module.PATTERN[offset // image_module.STRIPE % len(image_module.PATTERN)]
            length = min(4 * MiB, size - offset)
            counts[kind] += length
            handle.write(bytes(length) if kind == "zeros" else rng.randbytes(length) if kind == "random"
                         else text.take(length))
    return counts


def digest(path: str) -> bytes:
    hasher = hashlib.blake2b()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(16 * MiB)
        while n := handle.readinto(buffer):
            hasher.update(memoryview(buffer)[:n])
    return hasher.digest()


def restore(rgw: Rgw, target: Target, image_digest: bytes, workdir: str, size: int) -> Step:
    step = Step("restore", target.label, source=size)
    restored = os.path.join(workdir, "restored.img")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(restored)
    os.sync()
    try:
        measured(rgw, step, [CLI, "image", "restore", "--repo", target.location, "--json", target.last_id,
                             restored])
        step.sent = step.output.get("bytes_fetched", 0) if target.path else step.requests.get("get_b", 0)
        if os.path.getsize(restored) != size or digest(restored) != image_digest:
            raise RuntimeError(f"the image restored from {target.label} differs from the one backed up")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(restored)
    return step


# -- the profile ----------------------------------------------------------------------------------------------------

def profiled(rgw: Rgw, target: Target, image: str, workdir: str, kind: str) -> str:
    """A py-spy profile (100 Hz, every thread, idle ones too: where each thread spends its time, running or waiting)
    of one more step of ``kind`` (full, incremental, restore) on ``target``."""
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    raw = os.path.join(workdir, "profile.txt")
    restored = os.path.join(workdir, "restored-profile.img")
    if kind == "restore":
        listing = subprocess.run([CLI, "repo", "list", "--repo", target.location, "--json"], check=True, text=True,
                                 capture_output=True, env=dict(os.environ, **rgw.credentials)).stdout
        os.sync()
        command = [CLI, "image", "restore", "--repo", target.location, json.loads(listing)[-1]["id"], restored]
    else:
        warm(image)
        command = [CLI, "image", "backup", "--repo", target.location, "--name", "bench", image]
        command += ["--full"] if kind == "full" else []
    try:
        started = time.perf_counter()
        subprocess.run([py_spy, "record", "--idle", "--threads", "--rate", "100", "--format", "raw", "--output",
                        raw, "--", *command], env=dict(os.environ, **rgw.credentials), check=True,
                       capture_output=True, timeout=600)
        return summarize_profile(raw, time.perf_counter() - started)
    finally:
        for path in (raw, restored):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def thread_kind(frame: str) -> str:
    """``thread (1234): restore_3`` -> ``restore``: threads of one pool under one name."""
    if "): " not in frame:
        return "(a thread py-spy had not named yet: the main thread's start, imports)"
    name = frame.split("): ", 1)[1]
    return name.rstrip("0123456789").rstrip("_-") or name


def summarize_profile(path: str, seconds: float, per_kind: int = 6) -> str:
    """From py-spy's collapsed stacks: for each kind of thread, the seconds its threads spent (summed) and the
    frames where its samples end (self time: running there, or waiting there)."""
    kinds: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with open(path) as handle:
        for line in handle:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            leaf = frames[-1].strip() if len(frames) > 1 else "(no Python frame)"
            kinds[thread_kind(frames[0])][leaf] += int(count_text)
    lines = [f"step: {seconds:.1f} s under py-spy; thread-seconds per kind of thread (100 samples = 1 s), "
             f"then where they end:"]
    for kind, leaves in sorted(kinds.items(), key=lambda item: -sum(item[1].values())):
        total = sum(leaves.values())
        lines.append(f"{kind}: {total / 100:.1f} s")
        for leaf, count in leaves.most_common(per_kind):
            lines.append(f"    {count / total:6.1%}  {leaf}")
    return "\n".join(lines)


# -- the run --------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=2, help="image size in GiB (default 2)")
    parser.add_argument("--fraction", type=float, default=0.05, help="part rewritten before the incremental")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of (a)-(d); the median is reported")
    parser.add_argument("--lock-days", type=float, default=0.01,
                        help="retention of the Object Lock bucket's objects (default 0.01 day: 14 minutes)")
    parser.add_argument("--ceiling-objects", type=int, default=64, help="objects of each raw PUT/GET run")
    parser.add_argument("--s3-env", default=None, help="an s3.env of a running RGW (default: start our own)")
    parser.add_argument("--workdir", default="/var/tmp", help="where the image and repository go")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy profiles of an S3 full backup, incremental and restore (pip install py-spy)")
    parser.add_argument("--keep", action="store_true", help="leave our Ceph and radosgw running at the end")
    parser.add_argument("--results", default=None, help="write the Markdown results here (e.g. bench/S3_RESULTS.md)")
    # A process of this script doing the raw PUTs or GETs of (a).
    parser.add_argument("--raw", choices=("put", "get"), help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--object-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--md5", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--retain-days", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw:
        return raw_child(args)
    # A kill (timeout, CI) still stops radosgw and Ceph and removes the work folder: the ``finally`` below runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from storage_backup.repository import DEFAULT_BLOCK_SIZE, RepositoryConfig

    pack_size = next(item.default for item in dataclasses.fields(RepositoryConfig) if item.name == "pack_size")

    size = int(args.size_gib * GiB) // MiB * MiB
    # Bluestore holds the S3 repositories (about 0.65x the image each, two per round), the ceiling's objects and
    # the incrementals; the file is sparse, so the nominal size costs nothing.
    rgw = Rgw(args.s3_env, capacity=max(16 * GiB, (2 * args.repeat + 2) * size + 8 * GiB))
    workdir = tempfile.mkdtemp(prefix="storage-backup-s3-bench-", dir=args.workdir)
    # An installed package has its bytecode compiled; a source checkout may not (PYTHONDONTWRITEBYTECODE).
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "backend")], check=False,
                   capture_output=True)
    load_before = os.getloadavg()
    started_run = time.time()
    steps: list[Step] = []
    profiles: dict[str, str] = {}
    try:
        rgw.start()
        base = os.path.join(workdir, "base.img")
        image = os.path.join(workdir, "disk.img")
        log(f"generating a {size / GiB:.2f} GiB image in {workdir}")
        counts = generate_image(base, size)
        for round_number in range(1, args.repeat + 1):
            log(f"round {round_number}/{args.repeat}: (a) the ceiling, raw boto3 PUT and GET")
            steps += ceiling(rgw, args.ceiling_objects, pack_size, RESTORE_WORKERS, args.lock_days)
            shutil.copyfile(base, image)
            targets = make_targets(rgw, workdir, args.lock_days, round_number)
            log("(b) full backups")
            for target in targets:
                steps.append(backup(rgw, target, image, True, size))
                log(f"  {target.label}: {steps[-1].seconds:.2f} s")
            changed = image_module.rewrite(image, fraction=args.fraction, seed=7 + round_number)
            log(f"(c) incrementals after {changed / MiB:.0f} MiB rewritten")
            for target in targets:
                steps.append(backup(rgw, target, image, False, size))
                log(f"  {target.label}: {steps[-1].seconds:.2f} s")
            log("(d) restores of the incremental")
            image_digest = digest(image)
            for target in targets:
                steps.append(restore(rgw, target, image_digest, workdir, size))
                log(f"  {target.label}: {steps[-1].seconds:.2f} s")
            for target in targets:
                steps.append(open_and_list(rgw, target))
            log(f"  starts: {', '.join(f'{step.seconds:.2f} s' for step in steps[-len(targets):])}")
            if args.profile and round_number == args.repeat:
                log("profiles of an S3 full backup, incremental and restore (py-spy), in a new bucket")
                shutil.copyfile(base, image)
                target = make_targets(rgw, workdir, args.lock_days, 0)[1]
                profiles["S3 full backup"] = profiled(rgw, target, image, workdir, "full")
                image_module.rewrite(image, fraction=args.fraction, seed=1)
                profiles["S3 incremental"] = profiled(rgw, target, image, workdir, "incremental")
                profiles["S3 restore"] = profiled(rgw, target, image, workdir, "restore")
            shutil.rmtree(targets[0].path, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        rgw.stop(args.keep)
    report = render(args, size, counts, changed, steps, profiles, DEFAULT_BLOCK_SIZE, pack_size,
                    RESTORE_WORKERS, (load_before, os.getloadavg()), time.time() - started_run)
    print(report)
    if args.results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(args.results, "w") as handle:
            handle.write(report)
        log(f"written to {args.results}")
    return 0


def ceph_version() -> str:
    with contextlib.suppress(OSError, IndexError):
        return subprocess.run(["ceph", "--version"], capture_output=True, text=True).stdout.split()[2]
    return "?"


def median_steps(steps: list[Step]) -> list[tuple[Step, list[Step]]]:
    """Per (step, destination), in the order of the first round: the round with the median wall time, and all."""
    groups: dict[tuple[str, str], list[Step]] = {}
    for step in steps:
        groups.setdefault((step.name, step.destination), []).append(step)
    return [(sorted(group, key=lambda step: step.seconds)[(len(group) - 1) // 2], group)
            for group in groups.values()]


def render(args, size: int, counts: dict, changed: int, steps: list[Step], profiles: dict[str, str],
           block_size: int, pack_size: int, workers: int, loads, seconds: float) -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    out = ["# S3 (Ceph RGW) against the filesystem destination: benchmark results\n"]
    command = (f"bench/s3_throughput.py --size-gib {args.size_gib:g} --fraction {args.fraction:g} "
               f"--repeat {args.repeat}" + (" --profile" if args.profile else ""))
    out.append(f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
               f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, Ceph {ceph_version()} "
               f"(one OSD on bluestore on a sparse file, radosgw with beast on 127.0.0.1 over http, auth none), "
               f"load average {loads[0][0]:.2f} before and {loads[1][0]:.2f} after; the whole run took "
               f"{seconds / 60:.1f} min. The client, radosgw and the OSD share the same {os.cpu_count()} cores, with "
               f"whatever else runs on this shared host.\n")
    out.append(f"Image: {size / GiB:.2f} GiB = {counts['random'] / MiB:.0f} MiB random, {counts['zeros'] / MiB:.0f} "
               f"MiB zeros, {counts['text'] / MiB:.0f} MiB text (`bench/image.py`'s stripes, `FastText`'s text); the "
               f"incremental follows a "
               f"rewrite of {changed / MiB:.0f} MiB ({args.fraction:.0%}) in 1 MiB pieces at random 4 KiB-aligned "
               f"offsets. Repository defaults: {block_size // KiB} KiB blocks, zstd 1, no encryption, "
               f"{pack_size // MiB} MiB packs, {PACK_COMMITTERS} pack committers (PUTs in flight), {workers} "
               f"restore workers (GETs in flight). Each round: the ceiling, then every destination's full backup, "
               f"incremental and restore, interleaved; new repositories and buckets every round; the round with "
               f"the median wall time of each step is shown (of {args.repeat}), the range of the wall times in "
               f"brackets.\n")
    out.append("**wall**: the step's process from start to exit (its start, imports and the repository's opening "
               "included); **in step**: what the step itself timed (the raw transfers; the backup or restore call). "
               "**MB/s**: the image's size over the wall time. **sent**: bytes PUT to radosgw (`put_b` of its perf "
               "counters), or the filesystem repository's growth; on restore, bytes fetched (radosgw's `get_b`; "
               "the restore's own count for the filesystem). **CPU**: seconds of the client process / radosgw / "
               "the OSD. **busy**: cores the whole machine kept busy on average, of which **others**: processes "
               "other than these (other work on this shared host). **requests**: radosgw's `req` (PUTs / GETs "
               "of objects among them). **peak RSS**: the step's process (its `VmHWM`).\n")
    out.append("| step | destination | wall | in step | MB/s of image | sent | MB/s sent | CPU client / rgw / osd | "
               "busy (others) | peak RSS | requests (PUT / GET) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for step, group in median_steps(steps):
        raw = step.destination.startswith("S3 (raw")
        timed = step.inner if raw else step.seconds
        spread = (f" ({min(s.seconds for s in group):.1f}-{max(s.seconds for s in group):.1f})"
                  if len(group) > 1 else "")
        image_rate = f"{step.source / timed / 1e6:.0f}" if step.source and not raw else "-"
        sent = f"{step.sent / MiB:.0f} MiB" if step.sent else "-"
        sent_rate = f"{step.sent / timed / 1e6:.0f}" if step.sent else "-"
        requests = (f"{step.requests.get('req', 0)} ({step.requests.get('put', 0)} / {step.requests.get('get', 0)})"
                    if step.requests and step.destination != "filesystem" else "-")
        out.append(f"| {step.name} | {step.destination} | {step.seconds:.2f} s{spread} | {step.inner:.2f} s | "
                   f"{image_rate} | {sent} | {sent_rate} | "
                   f"{step.cpu_client:.1f} / {step.cpu_rgw:.1f} / {step.cpu_osd:.1f} s | "
                   f"{step.busy:.2f} ({step.others:.2f}) | {step.rss / MiB:.0f} MiB | {requests} |")
    out.append("")
    out.append("Raw rows: MB/s sent over the transfers' own time (in step), without the process start; the "
               "engine's rows over the wall time.\n")
    for title, text in profiles.items():
        out.append(f"### py-spy: {title}\n")
        out.append("```\n" + text.strip() + "\n```\n")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
