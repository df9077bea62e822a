#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of the backup data path against borg and restic, on the same image, in the same run.

    .venv/bin/python bench/run.py [--size 2G] [--repeat 3] [--memory-check 50G] [--results bench/RESULTS.md]

The image (default 2 GiB) is half random, a quarter zeros, a quarter English-like text (``bench/image.py``).
Each tool, in turn: full backup -> 1 % of the image rewritten in 1 MiB pieces at random 4 KiB-aligned offsets ->
incremental backup -> restore of the incremental to a new file (checked byte for byte). Every step is a separate
process (the real ``storage-backup`` console script, ``borg``, ``restic``); its wall time is measured around it and
its peak RSS read with ``wait4``. The image is read once before each backup so every tool starts with it in the
page cache, after a ``sync`` so that no tool pays for the previous one's writes. Stored bytes are what the
repository directory grew by.

Settings (comparable on purpose): storage-backup default (256 KiB blocks, zstd level 1, no encryption, and again
with AES-256-GCM); borg ``-e none`` with ``--compression lz4`` (its default) and with ``zstd,1`` (the same codec
and level as ours); restic (always encrypted, repository v2 with its default ``auto`` compression).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import image as image_module  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
CLI = os.path.join(os.path.dirname(sys.executable), "storage-backup")
BORG_ENV = {"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes", "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
            "BORG_PASSPHRASE": ""}
PASSWORD = "benchmark-password"


@dataclass
class Step:
    seconds: float
    max_rss: int  # bytes
    stored: int = 0  # repository growth in bytes
    cpu: float = 0.0  # user + system seconds of the step's process


@dataclass
class ToolResult:
    name: str
    settings: str
    full: list[Step] = field(default_factory=list)
    incremental: list[Step] = field(default_factory=list)
    restore: list[Step] = field(default_factory=list)
    error: str | None = None


def parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = {"K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}.get(text[-1:], 1)
    return int(float(text[:-1] if text[-1:] in "KMGT" else text) * factor)


LAST_CPU = [0.0]
#: (seconds, CPU seconds other processes used meanwhile) of every timed step: how busy the shared machine was.
OTHERS: list[tuple[float, float]] = []


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (all but idle and I/O wait), from /proc/stat."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_measured(argv: list[str], env: dict | None = None, cwd: str | None = None) -> tuple[float, int, str]:
    """Run a child process; return (wall seconds, its peak RSS in bytes, its stdout). Its CPU time (user +
    system) is left in ``LAST_CPU[0]``, the CPU other processes used meanwhile appended to ``OTHERS``."""
    environment = dict(os.environ)
    environment.update(env or {})
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        busy = machine_busy()
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=environment, cwd=cwd)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would keep the maximum of every earlier child).
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        LAST_CPU[0] = usage.ru_utime + usage.ru_stime
        OTHERS.append((elapsed, max(0.0, machine_busy() - busy - LAST_CPU[0])))
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}: {err.strip()}")
    return elapsed, usage.ru_maxrss * 1024, out


def tree_bytes(path: str) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except FileNotFoundError:
                pass
    return total


def warm(path: str) -> None:
    """Read the file once so every tool starts with it in the page cache, and flush every dirty page of the
    machine first: otherwise the previous tool's unflushed restore (gigabytes) is written back during the next
    tool's backup and slows whichever tool comes next."""
    os.sync()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(16 * MiB)
        while handle.readinto(buffer):
            pass


def same_content(a: str, b: str) -> bool:
    def digest(path):
        hasher = hashlib.blake2b()
        with open(path, "rb", buffering=0) as handle:
            buffer = bytearray(16 * MiB)
            while True:
                n = handle.readinto(buffer)
                if not n:
                    return hasher.digest()
                hasher.update(memoryview(buffer)[:n])
    return os.path.getsize(a) == os.path.getsize(b) and digest(a) == digest(b)


def data_extents(path: str) -> list[tuple[int, int]]:
    extents = []
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        position = 0
        while position < size:
            try:
                start = os.lseek(fd, position, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            extents.append((start, end))
            position = end
    finally:
        os.close(fd)
    return extents


def same_sparse_content(a: str, b: str) -> bool:
    """Compare two sparse files by reading only where either has data (holes read as zeros in both)."""
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    ranges = sorted(data_extents(a) + data_extents(b))
    with open(a, "rb") as first, open(b, "rb") as second:
        for start, end in ranges:
            first.seek(start)
            second.seek(start)
            if first.read(end - start) != second.read(end - start):
                return False
    return True


# -- the tools ------------------------------------------------------------------------------------------------------

class StorageBackup:
    def __init__(self, encrypt: bool) -> None:
        self.encrypt = encrypt
        self.name = "storage-backup" + (" (aes-gcm)" if encrypt else "")
        self.settings = "256 KiB blocks, zstd 1, " + ("AES-256-GCM" if encrypt else "no encryption")
        self.env = {"STORAGE_BACKUP_PASSWORD": PASSWORD} if encrypt else {}
        self.last_id = None

    def init(self, repo: str) -> None:
        run_measured([CLI, "repo", "init", repo, *(["--encrypt"] if self.encrypt else [])], self.env)

    def backup(self, repo: str, image: str, label: str) -> Step:
        seconds, rss, out = run_measured([CLI, "image", "backup", "--repo", repo, "--name", "bench", "--json", image],
                                         self.env)
        self.last_id = json.loads(out)["id"]
        return Step(seconds, rss)

    def restore(self, repo: str, target_dir: str, image: str) -> tuple[Step, str]:
        target = os.path.join(target_dir, "restored.img")
        seconds, rss, _ = run_measured([CLI, "image", "restore", "--repo", repo, self.last_id, target], self.env)
        return Step(seconds, rss), target


class Borg:
    def __init__(self, compression: str) -> None:
        self.compression = compression
        self.name = f"borg {compression}"
        self.settings = f"borg {borg_version()}, -e none, --compression {compression}"

    def init(self, repo: str) -> None:
        run_measured(["borg", "init", "-e", "none", repo], BORG_ENV)

    def backup(self, repo: str, image: str, label: str) -> Step:
        seconds, rss, _ = run_measured(["borg", "create", "--compression", self.compression, f"{repo}::{label}",
                                        os.path.basename(image)], BORG_ENV, cwd=os.path.dirname(image))
        self.last = label
        return Step(seconds, rss)

    def restore(self, repo: str, target_dir: str, image: str) -> tuple[Step, str]:
        seconds, rss, _ = run_measured(["borg", "extract", "--sparse", f"{repo}::{self.last}"], BORG_ENV,
                                       cwd=target_dir)
        return Step(seconds, rss), os.path.join(target_dir, os.path.basename(image))


class Restic:
    name = "restic"

    def __init__(self) -> None:
        self.settings = f"restic {restic_version()}, repository v2, compression auto, AES-256-CTR+Poly1305"
        self.env = {"RESTIC_PASSWORD": PASSWORD, "RESTIC_CACHE_DIR": ""}

    def init(self, repo: str) -> None:
        self.env["RESTIC_CACHE_DIR"] = repo + ".cache"
        run_measured(["restic", "init", "--repo", repo, "--repository-version", "2"], self.env)

    def backup(self, repo: str, image: str, label: str) -> Step:
        seconds, rss, _ = run_measured(["restic", "--repo", repo, "backup", "--quiet", os.path.basename(image)],
                                       self.env, cwd=os.path.dirname(image))
        return Step(seconds, rss)

    def restore(self, repo: str, target_dir: str, image: str) -> tuple[Step, str]:
        seconds, rss, _ = run_measured(["restic", "--repo", repo, "restore", "latest", "--target", target_dir],
                                       self.env)
        return Step(seconds, rss), os.path.join(target_dir, os.path.basename(image))


def borg_version() -> str:
    try:
        return subprocess.run(["borg", "--version"], capture_output=True, text=True).stdout.split()[-1]
    except OSError:
        return "?"


def restic_version() -> str:
    try:
        return subprocess.run(["restic", "version"], capture_output=True, text=True).stdout.split()[1]
    except OSError:
        return "?"


# -- the run --------------------------------------------------------------------------------------------------------

def run_tool(tool, workdir: str, base: str, rewrite_seed: int, result: ToolResult, fraction: float) -> int:
    """One full -> rewrite -> incremental -> restore sequence; returns the bytes the rewrite changed."""
    tool_dir = os.path.join(workdir, tool.name.replace(" ", "_").replace("(", "").replace(")", ""))
    shutil.rmtree(tool_dir, ignore_errors=True)
    shutil.rmtree(tool_dir + "_repo.cache", ignore_errors=True)
    os.makedirs(tool_dir)
    image = os.path.join(tool_dir, "disk.img")
    repo = os.path.join(workdir, "repo-" + os.path.basename(tool_dir))
    shutil.rmtree(repo, ignore_errors=True)
    shutil.rmtree(repo + ".cache", ignore_errors=True)
    try:
        shutil.copyfile(base, image)
        tool.init(repo)
        before = tree_bytes(repo)
        warm(image)
        step = tool.backup(repo, image, "full")
        step.cpu = LAST_CPU[0]
        step.stored = tree_bytes(repo) - before
        result.full.append(step)
        changed = image_module.rewrite(image, fraction=fraction, seed=rewrite_seed)
        before = tree_bytes(repo)
        warm(image)
        step = tool.backup(repo, image, "incremental")
        step.cpu = LAST_CPU[0]
        step.stored = tree_bytes(repo) - before
        result.incremental.append(step)
        target_dir = os.path.join(tool_dir, "restore")
        os.makedirs(target_dir)
        os.sync()
        step, restored = tool.restore(repo, target_dir, image)
        step.cpu = LAST_CPU[0]
        result.restore.append(step)
        if not same_content(image, restored):
            raise RuntimeError(f"{tool.name}: the restored image differs from the backed-up one")
        return changed
    finally:
        shutil.rmtree(tool_dir, ignore_errors=True)
        shutil.rmtree(repo, ignore_errors=True)
        shutil.rmtree(repo + ".cache", ignore_errors=True)


def median_step(steps: list[Step]) -> Step:
    return Step(statistics.median(s.seconds for s in steps), max(s.max_rss for s in steps),
                int(statistics.median(s.stored for s in steps)), statistics.median(s.cpu for s in steps))


def best_ratios(ours: ToolResult, theirs: ToolResult) -> tuple[float, float]:
    """Fastest run against fastest run: what is left when other processes on the machine interfere least."""
    return (min(s.seconds for s in ours.full) / min(s.seconds for s in theirs.full),
            min(s.seconds for s in ours.incremental) / min(s.seconds for s in theirs.incremental))


def memory_check(workdir: str, size: int, read_all_size: int) -> list[str]:
    """A large sparse volume with data sprinkled: peak RSS of backup and restore; then a backup that reads every
    byte of the first ``read_all_size`` bytes, holes included (as from a block device), to show the data path."""
    path = os.path.join(workdir, "sparse.img")
    repo = os.path.join(workdir, "repo-sparse")
    shutil.rmtree(repo, ignore_errors=True)
    with open(path, "wb") as handle:
        handle.truncate(size)
        step = 512 * MiB
        for offset in range(0, size - MiB, step):
            handle.seek(offset + (offset // step % 7) * 4096)
            handle.write(os.urandom(MiB))
    data_bytes = (size - MiB + step - 1) // step * MiB
    lines = []
    try:
        run_measured([CLI, "repo", "init", repo])
        seconds, rss, _ = run_measured([CLI, "image", "backup", "--repo", repo, "--name", "sparse", path])
        lines.append(f"| backup, sparse-aware (holes skipped) | {seconds:.1f} s | {rss / MiB:.0f} MiB |")
        script = ("import sys; from storage_backup.repository import Repository; r = Repository.open(sys.argv[1]); "
                  "w = r.start_restore_point({'name': 'sparse-read-all'}); w.backup_volume('image', sys.argv[2], "
                  "size=int(sys.argv[3]), detect_holes=False, strategy='full'); w.commit()")
        if read_all_size:
            seconds, rss, _ = run_measured([sys.executable, "-c", script, repo, path, str(read_all_size)],
                                           {"PYTHONPATH": os.path.dirname(HERE)})
            lines.append(f"| backup of the first {read_all_size / GiB:.0f} GiB reading every byte, holes too "
                         f"({read_all_size / seconds / 1e9:.1f} GB/s) | {seconds:.1f} s | {rss / MiB:.0f} MiB |")
        listing = json.loads(run_measured([CLI, "repo", "list", "--repo", repo, "--name", "sparse", "--json"])[2])
        target = os.path.join(workdir, "sparse-restored.img")
        seconds, rss, _ = run_measured([CLI, "image", "restore", "--repo", repo, listing[-1]["id"], target])
        lines.append(f"| restore (writes only the {data_bytes / MiB:.0f} MiB of data) | {seconds:.1f} s | "
                     f"{rss / MiB:.0f} MiB |")
        if not same_sparse_content(path, target):
            raise RuntimeError("the restored sparse volume differs")
        os.unlink(target)
    finally:
        os.unlink(path)
        shutil.rmtree(repo, ignore_errors=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="2G", help="image size (default 2G)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is reported")
    parser.add_argument("--fraction", type=float, default=0.01, help="part of the image rewritten (default 0.01)")
    parser.add_argument("--workdir", default=None, help="scratch directory on the disk to measure (default: /var/tmp)")
    parser.add_argument("--tools", default="storage-backup,storage-backup-aes,borg-lz4,borg-zstd,restic",
                        help="comma-separated subset of the tools")
    parser.add_argument("--memory-check", default="50G", help="size of the sparse volume for the RSS check (0: skip)")
    parser.add_argument("--read-all", default="8G", help="how much of it to back up again reading every byte")
    parser.add_argument("--results", default=None, help="write the Markdown results here (e.g. bench/RESULTS.md)")
    args = parser.parse_args()
    size = parse_size(args.size)
    workdir = tempfile.mkdtemp(prefix="storage-backup-bench-", dir=args.workdir or "/var/tmp")
    wanted = set(args.tools.split(","))
    tools = []
    if "storage-backup" in wanted:
        tools.append(StorageBackup(encrypt=False))
    if "storage-backup-aes" in wanted:
        tools.append(StorageBackup(encrypt=True))
    if shutil.which("borg"):
        tools += [Borg(c) for c, key in (("lz4", "borg-lz4"), ("zstd,1", "borg-zstd")) if key in wanted]
    if shutil.which("restic") and "restic" in wanted:
        tools.append(Restic())
    missing = [name for name, binary in (("borg", "borg"), ("restic", "restic")) if not shutil.which(binary)]
    results = {tool.name: ToolResult(tool.name, tool.settings) for tool in tools}
    # An installed package has its bytecode compiled; a source checkout may not (PYTHONDONTWRITEBYTECODE).
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(os.path.dirname(HERE), "backend")],
                   check=False, capture_output=True)
    load_before = os.getloadavg()
    try:
        base = os.path.join(workdir, "base.img")
        print(f"generating a {size / GiB:.2f} GiB image in {workdir} ...", flush=True)
        counts = image_module.generate(base, size)
        changed = 0
        for repetition in range(args.repeat):
            for tool in tools:
                print(f"run {repetition + 1}/{args.repeat}: {tool.name} ...", flush=True)
                try:
                    changed = run_tool(tool, workdir, base, 7 + repetition, results[tool.name], args.fraction)
                except RuntimeError as error:
                    results[tool.name].error = str(error)
                    print(f"  failed: {error}", flush=True)
        memory_lines = []
        if parse_size(args.memory_check) > 0:
            print(f"memory check on a {args.memory_check} sparse volume ...", flush=True)
            memory_lines = memory_check(workdir, parse_size(args.memory_check),
                                        min(parse_size(args.read_all), parse_size(args.memory_check)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    report = render(results, size, counts, changed, args, (load_before, load_after), missing, memory_lines)
    print(report)
    if args.results:
        with open(args.results, "w") as handle:
            handle.write(report)
        print(f"written to {args.results}")
    return 0


def others_text() -> str:
    timed = sum(seconds for seconds, _cpu in OTHERS)
    if not timed:
        return "nothing measurable"
    busiest = max((cpu / seconds for seconds, cpu in OTHERS if seconds >= 0.5), default=0.0)  # ticks of 10 ms
    return (f"{sum(cpu for _seconds, cpu in OTHERS) / timed:.2f} cores on average and up to {busiest:.2f} during "
            f"a step")


def render(results: dict, size: int, counts: dict, changed: int, args, loads, missing, memory_lines) -> str:
    out = []
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    out.append("# Benchmark results\n")
    out.append(f"Generated by `bench/run.py --size {args.size} --repeat {args.repeat}` on "
               f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {os.cpu_count()} cores ({cpu}), "
               f"Python {platform.python_version()}, load average {loads[0][0]:.2f} before the run and "
               f"{loads[1][0]:.2f} after it (the machine is shared: figures move by ±30 % between runs; other "
               f"processes used {others_text()} while the steps ran).\n")
    out.append(f"Image: {size / GiB:.2f} GiB = {counts['random'] / MiB:.0f} MiB random, {counts['zeros'] / MiB:.0f} "
               f"MiB zeros, {counts['text'] / MiB:.0f} MiB text; the incremental follows a rewrite of "
               f"{changed / MiB:.0f} MiB ({args.fraction:.0%}) in 1 MiB pieces at random 4 KiB-aligned offsets. "
               f"Median of {args.repeat} run(s) per tool, runs of the tools interleaved; "
               f"CPU is user + system time and RSS the peak, both of the step's own process.\n")
    out.append("| tool | full backup | CPU | RSS | stored | incremental | CPU | RSS | stored | "
               "restore | CPU | rate | RSS |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    medians = {}
    for name, result in results.items():
        if result.error or not result.restore:
            out.append(f"| {name} | failed: {result.error} ||||||||||||")
            continue
        full, inc, restore = (median_step(result.full), median_step(result.incremental),
                              median_step(result.restore))
        medians[name] = (full, inc, restore)
        out.append(f"| {name} | {full.seconds:.2f} s ({size / full.seconds / 1e6:.0f} MB/s) | {full.cpu:.2f} s | "
                   f"{full.max_rss / MiB:.0f} MiB | {full.stored / MiB:.0f} MiB | {inc.seconds:.2f} s | "
                   f"{inc.cpu:.2f} s | {inc.max_rss / MiB:.0f} MiB | {inc.stored / MiB:.1f} MiB | "
                   f"{restore.seconds:.2f} s | {restore.cpu:.2f} s | {size / restore.seconds / 1e6:.0f} MB/s | "
                   f"{restore.max_rss / MiB:.0f} MiB |")
    out.append("")
    out.append("Settings: " + "; ".join(f"**{r.name}**: {r.settings}" for r in results.values()) + ".")
    if missing:
        out.append(f"Not installed, so not compared: {', '.join(missing)} (`apt-get install -y borgbackup restic`).")
    out.append("")
    ours = medians.get("storage-backup")
    if ours:
        full, inc, restore = ours
        out.append("## Targets\n")
        out.append("| target | measured | verdict |")
        out.append("|---|---|---|")
        for borg_name in ("borg lz4", "borg zstd,1"):
            if borg_name in medians:
                borg_full, borg_inc, _ = medians[borg_name]
                ratio = full.seconds / borg_full.seconds
                out.append(f"| full backup ≤ ¼ of {borg_name}'s time | {full.seconds:.2f} s / "
                           f"{borg_full.seconds:.2f} s = {ratio:.2f} | {'met' if ratio <= 0.25 else 'NOT met'} |")
                ratio = inc.seconds / borg_inc.seconds
                out.append(f"| incremental ≤ ⅛ of {borg_name}'s time | {inc.seconds:.2f} s / "
                           f"{borg_inc.seconds:.2f} s = {ratio:.3f} | {'met' if ratio <= 0.125 else 'NOT met'} |")
                out.append(f"| (for reference) CPU time vs {borg_name}: full, incremental | "
                           f"{full.cpu / borg_full.cpu:.2f}, {inc.cpu / borg_inc.cpu:.3f} | - |")
                best = best_ratios(results["storage-backup"], results[borg_name])
                out.append(f"| (for reference) best run of each vs {borg_name}: full, incremental | "
                           f"{best[0]:.2f}, {best[1]:.3f} | - |")
        rate = size / restore.seconds / 1e6
        out.append(f"| restore ≥ 500 MB/s | {rate:.0f} MB/s | {'met' if rate >= 500 else 'NOT met'} |")
        peak = max(full.max_rss, inc.max_rss, restore.max_rss)
        out.append(f"| peak RSS < 300 MiB | {peak / MiB:.0f} MiB | {'met' if peak < 300 * MiB else 'NOT met'} |")
        ratio = inc.stored / changed if changed else 0
        out.append(f"| incremental stored ≤ 1.5 × changed | {inc.stored / MiB:.1f} MiB / {changed / MiB:.0f} MiB = "
                   f"{ratio:.2f} | {'met' if ratio <= 1.5 else 'NOT met'} |")
        out.append("")
    if memory_lines:
        out.append(f"## Memory on a large volume ({args.memory_check} sparse, 1 MiB of data every 512 MiB)\n")
        out.append("| step | time | peak RSS |")
        out.append("|---|---|---|")
        out.extend(memory_lines)
        out.append("")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
