#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of Ceph RBD changed-block incrementals, against the checksum incremental, a whole read and Benji.

    .venv/bin/python bench/rbd_changed_blocks.py [--size-gib 10] [--keep] [--results bench/RBD_RESULTS.md]

Needs root (it drops the page cache and mounts with FUSE) and about 5x the volume size of free disk in ``--workdir``
and ``CEPHX_DIR`` together (2.1x with ``--no-benji``; see the README's "Ceph changed-block incrementals"). It starts
the project's one-node Ceph (``tools/ceph/start.sh``, bluestore on a sparse file), writes an image of realistic
content (the stripes of ``bench/image.py``: random, zeros, random, text), snapshots it (``s0``) and backs it up in
full, reading it as the product's proxy reads an attached volume: a clone of the snapshot exposed as a file by
``rbd-fuse -r``. Then, for each fraction (0.1 %, 1 %, 10 %), it rewrites that part of the image in scattered pieces
of 4 KiB-1 MiB at random 4 KiB-aligned offsets, snapshots it (``sN``) and measures, each step from a cold state
(page cache dropped, a fresh ``rbd-fuse``):

(a) the changed-block incremental: extents from ``rbd.Image.diff_iterate(..., whole_object=True)`` between the two
    snapshots, then ``backup_volume(changed_extents=...)`` (the time includes the diff); and again from the exact
    diff (``whole_object=False``; ``--no-exact`` leaves it out);
(b) the checksum incremental: ``backup_volume(strategy="incremental")`` without extents, which reads everything;
(c) the physical read of the whole volume (16 MiB sequential reads of the FUSE file);
(d) Benji 0.17: ``benji backup --rbd-hints`` with the hints of ``rbd diff --whole-object --format=json``, on the same
    snapshots (Benji reads through librbd itself).

Bytes read are the OSD's own count (``op_out_bytes`` of ``perf dump``): what each step took out of Ceph, whoever read
it. (b) and both (a) back up the same snapshot against the same previous restore point; (b) and the exact-diff (a)
are deleted and pruned before the next runs, so that none finds the new blocks already stored. Their manifests must
be identical (checked). ``--profile`` adds a cProfile of every thread of each changed-block step to the results.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "backend"))
sys.path.insert(0, os.path.join(ROOT, "backend", "sandbox"))
sys.path.insert(0, HERE)
import image as image_module  # noqa: E402
from run import machine_busy  # noqa: E402 - bench/run.py's: CPU seconds the whole machine was busy
from storage_backup.repository import Repository  # noqa: E402
from storage_backup_sandbox import rbd_fuse  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
POOL = "rbd"
IMAGE = "bench"
BENJI_VERSION = "0.17.0"
BENJI_VENV = os.path.expanduser("~/.cache/storage-backup/benji-0.17")
#: Benji 0.17's own requirements, but ruamel.yaml: its pin (<0.16) does not build on Python 3.11; 0.17 still has
#: the ``ruamel.yaml.load(..., Loader=...)`` Benji calls (0.18 removed it).
BENJI_REQUIREMENTS = [
    "PrettyTable>=0.7.2,<1", "sqlalchemy>=1.4.14,<2", "setproctitle>=1.1.8,<2", "python-dateutil>=2.6.0,<3",
    "alembic>=1.0.5,<2", "ruamel.yaml>=0.16,<0.18", "psycopg2-binary>=2.7.4,<3", "argcomplete>=1.9.4,<2",
    "sparsebitfield>=0.2.3,<1", "cerberus>=1.2,<2", "pycryptodome>=3.6.1,<4", "pyparsing>=2.3.0,<3",
    "semantic-version>=2.8.1,<3", "dateparser>=1.1.1,<2", "structlog>=19.1.0", "colorama>=0.4.1,<1",
    "diskcache>=3.0.6", "attrs>=21.4.0,<22", "zstandard>=0.9.0"]
DEBIAN_PACKAGES = ["ceph-mon", "ceph-osd", "ceph-common", "python3-rbd", "python3-rados", "rbd-fuse", "fuse3"]
#: The project's Ceph for this benchmark: its own folder and ports, so that it never meets another test's cluster.
CEPH_DEFAULTS = {"CEPHX_DIR": os.path.join(tempfile.gettempdir(), "storage-backup-rbd-bench-ceph"),
                 "CEPHX_MON_PORT": "3330", "CEPHX_MON_PORT_V1": "6792",
                 "CEPHX_OSD_PORT_MIN": "7450", "CEPHX_OSD_PORT_MAX": "7499"}


@dataclass
class Measure:
    seconds: float
    read: int  # bytes the OSD sent out during the step
    engine_read: int | None = None  # what the reader itself says it read (engine or Benji stats)
    stored: int | None = None
    note: str = ""
    attach: float = 0.0  # seconds to clone the snapshot and mount it (not in ``seconds``: the proxy attaches anyway)
    diff: float = 0.0  # seconds of the step spent in the RBD diff
    busy: float = 0.0  # cores the whole machine kept busy during the step, on average (ours and everybody else's)


@dataclass
class Round:
    fraction: float
    written: int  # bytes the rewrite wrote
    pieces: int
    diff_extents: int = 0
    diff_bytes: int = 0
    exact_bytes: int = 0  # the same diff without whole_object
    diff_seconds: float = 0.0
    exact_seconds: float = 0.0
    results: dict[str, Measure] = field(default_factory=dict)


# -- the machine ----------------------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_packages() -> None:
    """Ceph's Debian packages: installed by tools/genuine/install.sh on this project's machines, else apt-get."""
    missing = [binary for binary in ("ceph-mon", "ceph-osd", "rbd", "rbd-fuse", "fusermount3")
               if shutil.which(binary) is None]
    if not missing and os.path.exists("/usr/lib/python3/dist-packages/rbd.cpython-311-x86_64-linux-gnu.so"):
        return
    log(f"installing Ceph's Debian packages ({', '.join(missing) or 'python3-rbd'} missing)")
    helper = os.path.join(ROOT, "tools", "ceph", "install.sh")
    if os.path.exists(helper):
        subprocess.run(["bash", helper], check=True)
        return
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=environment)
    # Another apt-get (the genuine tier's installer) may hold the lock: wait for it rather than fail.
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=900",
                    *DEBIAN_PACKAGES], check=True, env=environment)


def ensure_benji() -> str:
    """Benji 0.17 in its own cached venv over Debian's Python (whose rbd/rados modules it imports)."""
    benji = os.path.join(BENJI_VENV, "bin", "benji")
    if os.path.exists(benji):
        return benji
    log(f"installing Benji {BENJI_VERSION} into {BENJI_VENV}")
    shutil.rmtree(BENJI_VENV, ignore_errors=True)
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", BENJI_VENV], check=True)
    pip = [os.path.join(BENJI_VENV, "bin", "pip"), "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + BENJI_REQUIREMENTS, check=True)
    subprocess.run(pip + ["--no-deps", f"benji=={BENJI_VERSION}"], check=True)
    return benji


class Clock:
    """Wall time of a step and how busy the (shared) machine was meanwhile: a slow step on a machine that other
    work kept busy says little about the step."""

    def __enter__(self) -> Clock:
        self.busy_before = machine_busy()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.busy = (machine_busy() - self.busy_before) / self.seconds if self.seconds else 0.0


def drop_caches() -> None:
    """A cold-ish start: dirty pages written, then the page cache (the bluestore file's included) dropped."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as handle:
            handle.write("3\n")
    except OSError:
        pass  # not root: the OSD reads with O_DIRECT anyway; only the FUSE side stays warm


def human(size: int) -> str:
    return f"{size // MiB} MiB" if size % MiB == 0 else f"{size // KiB} KiB"


def check_disk(workdir: str, ceph_dir: str, size: int, benjis: int) -> None:
    """Refuse to start without room. Measured at 10 GiB: the bluestore file grows to 1.13x the volume, the product's
    repository to 0.82x, Benji's to 0.84x (256 KiB blocks) and 1.37x (4 MiB blocks: every changed block again)."""
    need_work = int(size * (0.85 + 1.4 * benjis)) + GiB
    need_ceph = int(size * 1.2) + GiB
    parent = os.path.dirname(ceph_dir.rstrip("/")) or "/"
    same = os.stat(workdir).st_dev == os.stat(parent).st_dev
    checks = [(workdir, need_work + need_ceph)] if same else [(workdir, need_work), (parent, need_ceph)]
    for path, need in checks:
        free = shutil.disk_usage(path).free
        if free < need:
            raise SystemExit(f"{path} has {free / GiB:.1f} GiB free; this run needs about {need / GiB:.1f} GiB")


def allocated(path: str) -> int:
    try:
        return os.stat(path).st_blocks * 512
    except FileNotFoundError:
        return 0


def tree_allocated(path: str) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            total += allocated(os.path.join(dirpath, name))
    return total


# -- Ceph -----------------------------------------------------------------------------------------------------------

class Ceph:
    """The project's one-node Ceph (tools/ceph/start.sh) with bluestore on a sparse file, and a pool."""

    def __init__(self, capacity: int) -> None:
        self.env = dict(os.environ)
        for key, value in CEPH_DEFAULTS.items():
            self.env.setdefault(key, value)
        self.env.update(CEPHX_STORE="bluestore", CEPHX_SIZE=str(capacity), CEPHX_POOL=POOL)
        self.dir = self.env["CEPHX_DIR"]
        self.capacity = capacity
        self.conf = os.path.join(self.dir, "ceph.conf")
        self.block = os.path.join(self.dir, "osd.0.block")
        self.cluster = None
        self.ioctx = None
        self.peak_block = 0

    def start(self) -> None:
        subprocess.run(["bash", os.path.join(ROOT, "tools", "ceph", "start.sh")], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        sys.path.insert(0, os.path.join(self.dir, "pylib"))  # Debian's rbd/rados modules, as env.sh exposes them
        import rados
        self.cluster = rados.Rados(conffile=self.conf)
        self.cluster.connect(timeout=30)
        self.ioctx = self.cluster.open_ioctx(POOL)

    def stop(self, wipe: bool) -> None:
        if self.ioctx is not None:
            self.ioctx.close()
        if self.cluster is not None:
            self.cluster.shutdown()
        env = dict(self.env, CEPHX_WIPE="1" if wipe else "0")
        subprocess.run(["bash", os.path.join(ROOT, "tools", "ceph", "stop.sh")], env=env, check=False,
                       stdout=subprocess.DEVNULL)

    def bytes_out(self) -> int:
        """Bytes the OSD has sent to readers since it started (``op_out_bytes``)."""
        out = subprocess.run(["ceph", "--admin-daemon", os.path.join(self.dir, "run", "ceph-osd.0.asok"),
                              "perf", "dump"], capture_output=True, text=True, check=True).stdout
        return int(json.loads(out)["osd"]["op_out_bytes"])

    def note_allocation(self) -> None:
        self.peak_block = max(self.peak_block, allocated(self.block))


# -- the image ------------------------------------------------------------------------------------------------------

class FastText:
    """Text stripes fast enough for 10 GiB: one pool of ``image.TextSource`` prose, read from a random unaligned
    offset for every 4 MiB, so that no block repeats another (no dedup) while compressing like text."""

    def __init__(self, seed: int) -> None:
        self.pool = image_module.TextSource(seed).take(32 * MiB)
        self.rng = random.Random(seed)

    def take(self, size: int) -> bytes:
        start = self.rng.randrange(0, len(self.pool) - size)
        return self.pool[start:start + size]


def write_window(image, pieces, window: int = 8) -> None:
    """Write ``(offset, data)`` pieces with up to ``window`` asynchronous writes in flight."""
    pending = []
    for offset, data in pieces:
        pending.append(image.aio_write(data, offset, None))
        if len(pending) >= window:
            pending.pop(0).wait_for_complete_and_cb()
    for completion in pending:
        completion.wait_for_complete_and_cb()


def fill(image, size: int, seed: int) -> dict:
    """The stripes of ``bench/image.py`` (32 MiB each: random, zeros, random, text), zeros written, not left out:
    a guest's disk has them allocated."""
    rng = random.Random(seed)
    text = FastText(seed + 1)
    counts = dict.fromkeys(image_module.PATTERN, 0)

    def pieces():
        for offset in range(0, size, 4 * MiB):
            kind = image_module.PATTERN[offset // image_module.STRIPE % len(image_module.PATTERN)]
            length = min(4 * MiB, size - offset)
            counts[kind] += length
            yield offset, (bytes(length) if kind == "zeros" else rng.randbytes(length) if kind == "random"
                           else text.take(length))
    write_window(image, pieces())
    return counts


def rewrite(image, size: int, fraction: float, seed: int) -> tuple[int, int]:
    """Scattered guest writes: pieces of 4 KiB-1 MiB (log-uniform: many small, some large) at random 4 KiB-aligned
    offsets, random data, until ``fraction`` of the volume is written. Returns (bytes written, pieces)."""
    rng = random.Random(seed)
    target = int(size * fraction)
    plan = []
    written = 0
    while written < target:
        piece = 4 * KiB * round(2 ** rng.uniform(0, 8))
        piece = min(piece, -(-(target - written) // (4 * KiB)) * 4 * KiB)
        offset = rng.randrange(0, (size - piece) // (4 * KiB)) * 4 * KiB
        plan.append((offset, piece))
        written += piece
    write_window(image, ((offset, rng.randbytes(piece)) for offset, piece in plan))
    image.flush()
    return written, len(plan)


def diff_extents(ioctx, snapshot: str, since: str, size: int, whole_object: bool) -> list[tuple[int, int]]:
    import rbd
    extents = []
    with rbd.Image(ioctx, IMAGE, snapshot=snapshot, read_only=True) as image:
        image.diff_iterate(0, size, since, lambda offset, length, exists: extents.append((offset, length)),
                           whole_object=whole_object)
    return extents


@contextlib.contextmanager
def attached(ceph: Ceph, snapshot: str, workdir: str):
    """The snapshot as the proxy sees an attached volume: a clone of it, one file through a fresh ``rbd-fuse -r``
    (a fresh daemon: nothing of the image in librbd's cache)."""
    import rbd
    clone = f"{IMAGE}-{snapshot}-clone"
    rbd.RBD().clone(ceph.ioctx, IMAGE, snapshot, ceph.ioctx, clone)
    directory = os.path.join(workdir, "fuse-" + clone)
    try:
        rbd_fuse.mount_image(POOL, clone, directory, ceph.conf)
        try:
            yield os.path.join(directory, clone)
        finally:
            rbd_fuse.unmount_image(directory)
    finally:
        rbd.RBD().remove(ceph.ioctx, clone)


# -- the measured steps ---------------------------------------------------------------------------------------------

class Profiled:
    """cProfile of every thread of a step (the engine reads in worker threads), kept if the step is slow."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.profiles: list[cProfile.Profile] = []

    def __enter__(self):
        if self.enabled:
            def start(*_args):
                profile = cProfile.Profile()
                self.profiles.append(profile)
                profile.enable()  # replaces this hook in this thread only
            threading.setprofile(start)
            main = cProfile.Profile()
            self.profiles.append(main)
            main.enable()
        return self

    def __exit__(self, *_exc) -> None:
        if self.enabled:
            threading.setprofile(None)
            for profile in self.profiles:
                profile.disable()

    def text(self, limit: int = 25) -> str:
        if not self.profiles:
            return ""
        buffer = io.StringIO()
        stats = pstats.Stats(self.profiles[0], stream=buffer)
        for profile in self.profiles[1:]:
            stats.add(profile)
        stats.sort_stats("tottime").print_stats(limit)
        return buffer.getvalue()


def product_backup(ceph: Ceph, repo: Repository, snapshot: str, workdir: str, *, previous: str | None,
                   strategy: str, since: str | None = None, whole_object: bool = True,
                   profile: bool = False) -> tuple[Measure, str, dict]:
    """One restore point of the volume through the engine; returns (measure, restore point id, volume entry).
    With ``since``, a changed-block incremental: the extents of the RBD diff from that snapshot, in the time."""
    drop_caches()
    attach_started = time.perf_counter()
    with attached(ceph, snapshot, workdir) as path:
        attach = time.perf_counter() - attach_started
        before = ceph.bytes_out()
        with Clock() as clock, Profiled(profile) as profiler:
            extents = None
            diff_started = time.perf_counter()
            if since is not None:
                extents = diff_extents(ceph.ioctx, snapshot, since, os.path.getsize(path), whole_object)
            diff_seconds = time.perf_counter() - diff_started
            writer = repo.start_restore_point({"name": "rbd-bench", "snapshot": snapshot})
            with writer:
                entry = writer.backup_volume("vda", path, strategy=strategy, previous=previous,
                                             changed_extents=extents)
                point = writer.commit()
        read = ceph.bytes_out() - before
    ceph.note_allocation()
    measure = Measure(clock.seconds, read, entry.stats["bytes_read"], entry.stats["bytes_stored"], attach=attach,
                      diff=diff_seconds, busy=clock.busy)
    if profiler.profiles:
        measure.note = profiler.text()
    return measure, point, {"manifest": entry.manifest, "strategy": entry.strategy, "notes": entry.notes}


def physical_read(ceph: Ceph, snapshot: str, workdir: str) -> Measure:
    drop_caches()
    with attached(ceph, snapshot, workdir) as path:
        before = ceph.bytes_out()
        total = 0
        buffer = bytearray(16 * MiB)
        with Clock() as clock, open(path, "rb", buffering=0) as handle:
            while n := handle.readinto(buffer):
                total += n
        read = ceph.bytes_out() - before
    return Measure(clock.seconds, read, total, busy=clock.busy)


class Benji:
    """Benji 0.17 with a file storage and a sqlite database in the work folder, zstd level 1 (as the product)."""

    def __init__(self, executable: str, ceph: Ceph, workdir: str, block_size: int) -> None:
        self.executable = executable
        self.ceph = ceph
        self.dir = os.path.join(workdir, f"benji-{block_size // KiB}k")
        self.storage = os.path.join(self.dir, "storage")
        os.makedirs(self.storage)
        self.block_size = block_size
        self.name = f"Benji {human(block_size)}"
        self.config = os.path.join(self.dir, "benji.yaml")
        with open(self.config, "w") as handle:
            handle.write(f"""configurationVersion: '1'
databaseEngine: sqlite:///{self.dir}/benji.sqlite
defaultStorage: file
blockSize: {block_size}
logFile: {self.dir}/benji.log
storages:
  - name: file
    storageId: 1
    module: file
    configuration:
      path: {self.storage}
      activeTransforms: [zstd]
transforms:
  - name: zstd
    module: zstd
    configuration:
      level: 1
ios:
  - name: rbd
    module: rbd
    configuration:
      cephConfigFile: {ceph.conf}
      clientIdentifier: admin
""")
        self.run(["database-init"])
        self.last_uid: str | None = None

    def run(self, arguments: list[str]) -> str:
        env = dict(os.environ, CEPH_CONF=self.ceph.conf)
        env.pop("PYTHONPATH", None)  # its venv sees Debian's rbd/rados through --system-site-packages
        process = subprocess.run([self.executable, "-c", self.config, "-m", "--log-level", "ERROR", *arguments],
                                 capture_output=True, text=True, env=env, cwd=self.dir)
        if process.returncode != 0:
            raise RuntimeError(f"benji {' '.join(arguments)} exited with {process.returncode}: "
                               f"{process.stderr.strip()[-2000:]}")
        return process.stdout

    def startup_seconds(self) -> float:
        started = time.perf_counter()
        self.run(["ls"])
        return time.perf_counter() - started

    def backup(self, snapshot: str, since: str | None) -> Measure:
        """``benji backup --rbd-hints`` of ``pool/image@snapshot``; the hints (``rbd diff --whole-object``, from
        ``since`` if given) are made inside the timed step, as (a)'s diff is."""
        drop_caches()
        hints = os.path.join(self.dir, f"hints-{snapshot}.json")
        before = self.ceph.bytes_out()
        before_storage = tree_allocated(self.storage)
        with Clock() as clock:
            diff = ["rbd", "-c", self.ceph.conf, "diff", "--whole-object", "--format=json"]
            if since is not None:
                diff += ["--from-snap", since]
            with open(hints, "w") as handle:
                subprocess.run(diff + [f"{POOL}/{IMAGE}@{snapshot}"], stdout=handle, check=True)
            arguments = ["backup", "--snapshot", snapshot, "--rbd-hints", hints]
            if self.last_uid is not None:
                arguments += ["--base-version", self.last_uid]
            out = self.run(arguments + [f"rbd:{POOL}/{IMAGE}@{snapshot}", IMAGE])
        read = self.ceph.bytes_out() - before
        versions = json.loads(out)["versions"]
        version = versions[0]
        self.last_uid = version["uid"]
        engine_read = version.get("bytes_read")
        if engine_read is None:
            listing = json.loads(self.run(["ls", f"uid == '{self.last_uid}'"]))["versions"][0]
            engine_read = listing.get("bytes_read")
        return Measure(clock.seconds, read, engine_read, tree_allocated(self.storage) - before_storage,
                       busy=clock.busy)


# -- the run --------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=10, help="volume size in GiB (default 10)")
    parser.add_argument("--fractions", default="0.001,0.01,0.1", help="parts of the volume rewritten, in turn")
    parser.add_argument("--workdir", default="/var/tmp", help="where the repositories go (default /var/tmp)")
    parser.add_argument("--no-benji", action="store_true", help="leave Benji out")
    parser.add_argument("--benji-block-sizes", default="product,4194304",
                        help="Benji's block sizes in bytes, one Benji run each; 'product' is the product's "
                             "repository block size (default: product,4194304 - Benji's own default)")
    parser.add_argument("--no-exact", action="store_true",
                        help="leave out the changed-block incremental from the exact (not whole-object) diff")
    parser.add_argument("--profile", action="store_true", help="cProfile every changed-block incremental")
    parser.add_argument("--keep", action="store_true", help="leave Ceph running (and its folder) at the end")
    parser.add_argument("--results", default=None, help="write the Markdown results here (e.g. bench/RBD_RESULTS.md)")
    args = parser.parse_args()
    # A kill (timeout, CI) still unmounts, stops Ceph and removes the work folder: the ``finally`` below runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    size = int(args.size_gib * GiB) // (4 * MiB) * (4 * MiB)
    fractions = [float(value) for value in args.fractions.split(",")]
    if os.geteuid() != 0:
        log("not root: the page cache cannot be dropped and rbd-fuse may need /dev/fuse rights")
    ensure_packages()
    benji_executable = None if args.no_benji else ensure_benji()
    # Bluestore capacity: the image, the old objects the snapshots keep, and room to spare (the file is sparse).
    ceph = Ceph(capacity=int(size * (1.5 + sum(fractions))) + 4 * GiB)
    benji_sizes = [] if args.no_benji else args.benji_block_sizes.split(",")
    check_disk(args.workdir, ceph.dir, size, len(benji_sizes))
    workdir = tempfile.mkdtemp(prefix="storage-backup-rbd-bench-", dir=args.workdir)
    repo_dir = os.path.join(workdir, "repository")
    rounds: list[Round] = []
    load_before = os.getloadavg()
    started_run = time.time()
    try:
        log(f"starting Ceph in {ceph.dir} (bluestore on a sparse file)")
        ceph.start()
        import rbd
        rbd.RBD().create(ceph.ioctx, IMAGE, size, order=22)
        with rbd.Image(ceph.ioctx, IMAGE) as image:
            log(f"writing a {size / GiB:.2f} GiB image")
            t0 = time.perf_counter()
            counts = fill(image, size, seed=42)
            image.flush()
            fill_seconds = time.perf_counter() - t0
            image.create_snap("s0")
            image.protect_snap("s0")
        ceph.note_allocation()
        log(f"written in {fill_seconds:.1f} s; full backup of s0")
        repo = Repository.init(repo_dir)
        block_size = repo.config.block_size
        full, base, _ = product_backup(ceph, repo, "s0", workdir, previous=None, strategy="full")
        log(f"  product full: {full.seconds:.1f} s, {full.read / MiB:.0f} MiB read")
        full_physical = physical_read(ceph, "s0", workdir)
        log(f"  physical read: {full_physical.seconds:.1f} s")
        benjis: list[Benji] = []
        benji_full: dict[str, Measure] = {}
        benji_startup = 0.0
        for value in benji_sizes:
            benji = Benji(benji_executable, ceph, workdir, block_size if value == "product" else int(value))
            benjis.append(benji)
            benji_startup = benji.startup_seconds()
            benji_full[benji.name] = measure = benji.backup("s0", None)
            log(f"  {benji.name} full: {measure.seconds:.1f} s, {measure.read / MiB:.0f} MiB read")
        ceph.note_allocation()
        previous_snapshot = "s0"
        for number, fraction in enumerate(fractions, 1):
            snapshot = f"s{number}"
            with rbd.Image(ceph.ioctx, IMAGE) as image:
                written, pieces = rewrite(image, size, fraction, seed=1000 + number)
                image.create_snap(snapshot)
                image.protect_snap(snapshot)
            this = Round(fraction, written, pieces)
            rounds.append(this)
            t0 = time.perf_counter()
            whole = diff_extents(ceph.ioctx, snapshot, previous_snapshot, size, whole_object=True)
            this.diff_seconds = time.perf_counter() - t0
            this.diff_extents, this.diff_bytes = len(whole), sum(length for _offset, length in whole)
            t0 = time.perf_counter()
            exact_extents = diff_extents(ceph.ioctx, snapshot, previous_snapshot, size, whole_object=False)
            this.exact_seconds = time.perf_counter() - t0
            this.exact_bytes = sum(length for _offset, length in exact_extents)
            log(f"{snapshot}: {fraction:.1%} rewritten ({written / MiB:.1f} MiB in {pieces} pieces); the diff names "
                f"{this.diff_extents} extents, {this.diff_bytes / MiB:.0f} MiB")
            checksum, checksum_point, checksum_entry = product_backup(
                ceph, repo, snapshot, workdir, previous=base, strategy="incremental")
            this.results["checksum"] = checksum
            log(f"  checksum incremental: {checksum.seconds:.1f} s, {checksum.read / MiB:.0f} MiB read")
            # Out again before (a): (a) must store its new blocks itself, not find them stored by (b).
            prune_started = time.perf_counter()
            repo.delete_restore_point(checksum_point)
            repo.prune()
            log(f"  (deleted and pruned in {time.perf_counter() - prune_started:.1f} s)")
            if not args.no_exact:
                exact, exact_point, exact_entry = product_backup(
                    ceph, repo, snapshot, workdir, previous=base, strategy="incremental", since=previous_snapshot,
                    whole_object=False, profile=args.profile)
                this.results["exact"] = exact
                log(f"  changed-block incremental, exact diff: {exact.seconds:.1f} s, {exact.read / MiB:.0f} MiB "
                    f"read")
                if exact_entry["manifest"] != checksum_entry["manifest"]:
                    raise RuntimeError(f"{snapshot}: the exact-diff and the checksum incremental hold different data")
                repo.delete_restore_point(exact_point)
                repo.prune()
            changed, base, changed_entry = product_backup(ceph, repo, snapshot, workdir, previous=base,
                                                          strategy="incremental", since=previous_snapshot,
                                                          profile=args.profile)
            this.results["changed"] = changed
            log(f"  changed-block incremental: {changed.seconds:.1f} s, {changed.read / MiB:.0f} MiB read")
            if changed_entry["strategy"] != "changed-extents":
                raise RuntimeError(f"the changed-block backup ran as {changed_entry['strategy']}: "
                                   f"{changed_entry['notes']}")
            if changed_entry["manifest"] != checksum_entry["manifest"]:
                raise RuntimeError(f"{snapshot}: the changed-block and the checksum incremental hold different data")
            this.results["physical"] = physical_read(ceph, snapshot, workdir)
            log(f"  physical read: {this.results['physical'].seconds:.1f} s")
            for benji in benjis:
                this.results[benji.name] = measure = benji.backup(snapshot, previous_snapshot)
                log(f"  {benji.name} incremental: {measure.seconds:.1f} s, {measure.read / MiB:.0f} MiB read")
            ceph.note_allocation()
            previous_snapshot = snapshot
        repository_bytes = tree_allocated(repo_dir)
        benji_bytes = {benji.name: tree_allocated(benji.dir) for benji in benjis}
    finally:
        for directory in os.listdir(workdir) if os.path.isdir(workdir) else []:
            if directory.startswith("fuse-"):
                rbd_fuse.unmount_image(os.path.join(workdir, directory))
        shutil.rmtree(workdir, ignore_errors=True)
        if args.keep:
            log(f"Ceph left running: source {ceph.dir}/env.sh; stop it with CEPHX_DIR={ceph.dir} CEPHX_WIPE=1 "
                f"bash tools/ceph/stop.sh")
        else:
            ceph.stop(wipe=True)
    report = render(args, size, counts, fill_seconds, full, full_physical, benji_full, benji_startup, rounds,
                    block_size, ceph.peak_block, ceph.capacity, repository_bytes, benji_bytes,
                    (load_before, os.getloadavg()), time.time() - started_run)
    print(report)
    if args.results:
        with open(args.results, "w") as handle:
            handle.write(report)
        log(f"written to {args.results}")
    return 0


def seconds_ratio(measure: Measure, reference: Measure) -> str:
    return f"{measure.seconds / reference.seconds:.3f}" if reference.seconds else "-"


def rate(measure: Measure) -> str:
    return f"{measure.read / measure.seconds / 1e6:.0f} MB/s" if measure.seconds else "-"


def render(args, size, counts, fill_seconds, full, full_physical, benji_full, benji_startup, rounds, block_size,
           peak_block, capacity, repository_bytes, benji_bytes, loads, total_seconds) -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as handle:
        cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    command = f"bench/rbd_changed_blocks.py --size-gib {args.size_gib:g}" + (
        f" --fractions {args.fractions}" if args.fractions != "0.001,0.01,0.1" else "")
    benji_names = list(benji_full)
    out = ["# Ceph changed-block incrementals: benchmark results\n"]
    out.append(f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
               f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, Ceph {ceph_version()}, one OSD "
               f"on bluestore on a sparse file, auth none; load average {loads[0][0]:.2f} before and "
               f"{loads[1][0]:.2f} after (a shared machine: times move by ±30 %). The whole run took "
               f"{total_seconds / 60:.0f} min.\n")
    attach = [m.attach for m in [full] + [r.results[k] for r in rounds for k in ("changed", "exact", "checksum")
                                           if k in r.results]]
    out.append(f"Volume: {size / GiB:.2f} GiB RBD image (4 MiB objects) = {counts['random'] / GiB:.2f} GiB random, "
               f"{counts['zeros'] / GiB:.2f} GiB zeros (written, so allocated), {counts['text'] / GiB:.2f} GiB "
               f"English-like text, in 32 MiB stripes (written in {fill_seconds:.0f} s). Each rewrite is random data "
               f"in pieces of 4 KiB-1 MiB (log-uniform) at random 4 KiB-aligned offsets, then a snapshot.\n")
    out.append("Each step starts cold: page cache dropped; the product reads a clone of the snapshot through a fresh "
               "`rbd-fuse -r` (as the proxy reads an attached volume; cloning and mounting took "
               f"{min(attach):.1f}-{max(attach):.1f} s, not in the times). **read** is what the OSD sent out during "
               "the step (`op_out_bytes` of its perf counters), whoever asked. **machine busy**: cores the whole "
               f"machine (ours, the OSD, rbd-fuse and any other work on this shared host; {os.cpu_count()} in all) "
               "kept busy during the step, from /proc/stat. **diff names**: the extents "
               "`Image.diff_iterate(whole_object=True)` gives between the two snapshots (RBD's fast-diff object "
               "map: whole 4 MiB objects); **exact**: the same diff without `whole_object`. The product: its "
               f"repository defaults ({human(block_size)} blocks, zstd 1, no encryption), called in-process "
               "(`RestorePointWriter.backup_volume`); the checksum incremental is deleted and pruned before the "
               "changed-block ones run, so that they store their new blocks themselves; all three produce the same "
               "manifest (checked). "
               + (f"Benji {BENJI_VERSION}: file storage, sqlite, zstd level 1, its defaults otherwise (3 "
                  "simultaneous reads through librbd, BLAKE2b-256), once with the product's block size and once "
                  "with its own default; its times include the `rbd diff --whole-object --format=json` for the "
                  f"hints and its process start (`benji ls`: {benji_startup:.1f} s)." if benji_names else
                  "Benji: not run.") + "\n")
    out.append("| full backup of s0 | read | time | rate | vs whole read | stored | machine busy |")
    out.append("|---|---|---|---|---|---|---|")
    out.append(f"| product, full | {full.read / MiB:.0f} MiB | {full.seconds:.1f} s | {rate(full)} | "
               f"{seconds_ratio(full, full_physical)} | {full.stored / MiB:.0f} MiB | {full.busy:.1f} cores |")
    out.append(f"| physical read (16 MiB reads of the FUSE file) | {full_physical.read / MiB:.0f} MiB | "
               f"{full_physical.seconds:.1f} s | {rate(full_physical)} | 1 | - | {full_physical.busy:.1f} cores |")
    for name, measure in benji_full.items():
        out.append(f"| {name} blocks, `backup --rbd-hints` (all allocated objects) | {measure.read / MiB:.0f} MiB | "
                   f"{measure.seconds:.1f} s | {rate(measure)} | {seconds_ratio(measure, full_physical)} | "
                   f"{measure.stored / MiB:.0f} MiB | {measure.busy:.1f} cores |")
    out.append("")
    out.append("| changed | diff names | step | read | time | read / whole | time / whole read | stored | machine busy "
               "|")
    out.append("|---|---|---|---|---|---|---|---|---|")
    names = {"changed": "**product, changed-block** (diff + backup)",
             "exact": "product, changed-block from the exact diff",
             "checksum": "product, checksum incremental", "physical": "physical read of the whole volume"}
    names.update({name: f"{name} blocks, `backup --rbd-hints` (diff + backup)" for name in benji_names})
    for this in rounds:
        whole = this.results["physical"]
        first = True
        for key in ("changed", "exact", "checksum", "physical", *benji_names):
            if key not in this.results:
                continue
            measure = this.results[key]
            head = (f"| {this.fraction:.1%}: {this.written / MiB:.1f} MiB in {this.pieces} pieces | "
                    f"{this.diff_extents} extents, {this.diff_bytes / MiB:.0f} MiB (exact: "
                    f"{this.exact_bytes / MiB:.1f} MiB); diff {this.diff_seconds:.2f} s, exact "
                    f"{this.exact_seconds:.2f} s |") if first else "| | |"
            first = False
            stored = f"{measure.stored / MiB:.1f} MiB" if measure.stored is not None else "-"
            out.append(f"{head} {names[key]} | {measure.read / MiB:.0f} MiB | {measure.seconds:.2f} s | "
                       f"{measure.read / whole.read:.3f} | {seconds_ratio(measure, whole)} | {stored} | "
                       f"{measure.busy:.1f} cores |")
    out.append("")
    out.append("Does the time follow the changed bytes? The changed-block incremental's time against the bytes it "
               "had to read (what the diff named), and the rate of the full read:\n")
    out.append("| changed | diff names | read | time | of which the diff | rate | time if read at the full backup's "
               "rate |")
    out.append("|---|---|---|---|---|---|---|")
    for this in rounds:
        for key in ("changed", "exact"):
            if key in this.results:
                measure = this.results[key]
                named = this.diff_bytes if key == "changed" else this.exact_bytes
                expected = measure.read / (full.read / full.seconds) if full.read else 0
                out.append(f"| {this.fraction:.1%}{'' if key == 'changed' else ' (exact diff)'} | "
                           f"{named / MiB:.1f} MiB | {measure.read / MiB:.0f} MiB | {measure.seconds:.2f} s | "
                           f"{measure.diff:.2f} s | {rate(measure)} | {expected:.2f} s |")
    out.append("")
    total_benji = sum(benji_bytes.values())
    out.append(f"Disk: the bluestore file peaked at {peak_block / GiB:.1f} GiB allocated (a sparse file of "
               f"{capacity / GiB:.0f} GiB), the product's repository ended at "
               f"{repository_bytes / GiB:.1f} GiB"
               + "".join(f", {name}'s storage and database at {value / GiB:.1f} GiB"
                         for name, value in benji_bytes.items())
               + f": {(peak_block + repository_bytes + total_benji) / GiB:.1f} GiB at the peak.\n")
    profiles = [(this.fraction, key, this.results[key].note) for this in rounds for key in ("changed", "exact")
                if key in this.results and this.results[key].note]
    for fraction, key, text in profiles:
        out.append(f"### Profile of the changed-block incremental{' from the exact diff' if key == 'exact' else ''}, "
                   f"{fraction:.1%} changed\n")
        out.append("```\n" + text.strip() + "\n```\n")
    return "\n".join(out) + "\n"


def ceph_version() -> str:
    with contextlib.suppress(OSError, IndexError):
        return subprocess.run(["ceph", "--version"], capture_output=True, text=True).stdout.split()[2]
    return "?"


if __name__ == "__main__":
    sys.exit(main())
