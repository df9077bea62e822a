#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What zstd settings cost and buy on the benchmark's text and on realistic file-system content.

    .venv/bin/python bench/zstd_params.py [--mib 64] [--repeat 3]

Each input is cut into 256 KiB blocks (the repository's default block size) and compressed block by block, as the
backup does, on one core. Inputs: the benchmark image's text (``bench/image.py``); **sources** (a tar of the Python
standard library and /usr/include); **binaries** (executables and shared libraries from /usr/bin and /usr/lib);
**logs** (generated OpenStack-style service logs: timestamps, request ids, UUIDs, a few dozen message templates);
**docs** (a tar of /usr/share/doc: text among .gz files). Speed is the best of ``--repeat`` runs (CPU time of the
compressing thread); the ratio is stored bytes / input bytes with the repository's rule (a block that does not
shrink by 1/32 is stored as it is).
"""
from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tarfile
import time
import uuid

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import image as image_module  # noqa: E402

BLOCK = 256 * 1024
MiB = 1024 * 1024

CONFIGS = {
    # label: (level, hash_log, min_match); None keeps the level's own value.
    "level 1 (zstd's own parameters for 256 KiB)": (1, None, None),
    "level 1, hash_log 12, min_match 7 (the repository's)": (1, 12, 7),
    "level 1, hash_log 12, min_match 6": (1, 12, 6),
    "level 1, hash_log 11, min_match 7": (1, 11, 7),
    "level 1, hash_log 13, min_match 7": (1, 13, 7),
    "level -1": (-1, None, None),
    "level 3": (3, None, None),
}


def tar_of(paths: list[str], limit: int, suffixes: tuple[str, ...] | None = None, min_size: int = 0) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for root in paths:
            for dirpath, _dirs, files in os.walk(root):
                for name in sorted(files):
                    path = os.path.join(dirpath, name)
                    if suffixes and not name.endswith(suffixes):
                        continue
                    try:
                        if not os.path.isfile(path) or os.path.islink(path) or os.path.getsize(path) < min_size:
                            continue
                        archive.add(path, recursive=False)
                    except OSError:
                        continue
                    if buffer.tell() >= limit:
                        return buffer.getvalue()[:limit]
    return buffer.getvalue()[:limit]


def service_logs(limit: int, seed: int = 5) -> bytes:
    rng = random.Random(seed)
    modules = ["nova.compute.manager", "cinder.volume.manager", "neutron.agent.l3.agent", "glance.api.v2.images",
               "keystonemiddleware.auth_token", "oslo_messaging._drivers.amqpdriver", "nova.scheduler.host_manager"]
    templates = [
        "[instance: {u}] Took {f:.2f} seconds to spawn the instance on the hypervisor.",
        "Attaching volume {u} to /dev/vd{c}",
        '{ip} "GET /v3/{h}/volumes/detail?all_tenants=1 HTTP/1.1" status: 200 len: {n} time: {f:.7f}',
        "Received unexpected event network-vif-plugged-{u} for instance with vm_state active and task_state None.",
        'Lock "compute_resources" acquired by "nova.compute.resource_tracker.ResourceTracker._update_available_'
        'resource" :: waited {f:.3f}s',
        "Router {u} is not found, deleting its namespace qrouter-{v}",
        "Volume {u}: snapshot snapshot-{v} created successfully in {f:.1f}s, size {m} GiB",
        "Token validation failure. The request you have made requires authentication. (HTTP 401) "
        "(Request-ID: req-{u})",
    ]
    out = bytearray()
    clock = 1732460000.0
    while len(out) < limit:
        clock += rng.expovariate(20)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(clock))
        line = (f"{stamp}.{int(clock * 1000) % 1000:03d} {rng.randint(1000, 40000)} "
                f"{rng.choice(['INFO', 'INFO', 'INFO', 'DEBUG', 'WARNING', 'ERROR'])} {rng.choice(modules)} "
                f"[req-{uuid.UUID(int=rng.getrandbits(128))} {rng.getrandbits(128):032x} "
                f"{rng.getrandbits(128):032x} - default default] ")
        line += rng.choice(templates).format(
            u=uuid.UUID(int=rng.getrandbits(128)), v=uuid.UUID(int=rng.getrandbits(128)), f=rng.random() * 30,
            c="bcdef"[rng.randrange(5)], h=f"{rng.getrandbits(128):032x}", n=rng.randint(100, 99999),
            m=rng.randint(1, 200), ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}")
        out += line.encode() + b"\n"
    return bytes(out[:limit])


def inputs(limit: int) -> dict[str, bytes]:
    python_lib = os.path.dirname(os.__file__)
    return {
        "bench text": image_module.TextSource(43).take(limit),
        "sources": tar_of([python_lib, "/usr/include"], limit, suffixes=(".py", ".h", ".c", ".txt", ".rst")),
        "binaries": tar_of(["/usr/bin", "/usr/lib/x86_64-linux-gnu"], limit, min_size=16 * 1024),
        "logs": service_logs(limit),
        "docs": tar_of(["/usr/share/doc"], limit),
    }


def compressor(level: int, hash_log: int | None, min_match: int | None) -> zstandard.ZstdCompressor:
    if hash_log is None and min_match is None:
        return zstandard.ZstdCompressor(level=level)
    parameters = zstandard.ZstdCompressionParameters.from_level(
        level, **({"hash_log": hash_log} if hash_log else {}), **({"min_match": min_match} if min_match else {}))
    return zstandard.ZstdCompressor(compression_params=parameters)


def measure(compress, data: bytes, repeat: int) -> tuple[float, float]:
    blocks = [data[at:at + BLOCK] for at in range(0, len(data), BLOCK)]
    best = float("inf")
    stored = 0
    for _ in range(repeat):
        started = time.thread_time()
        stored = 0
        for block in blocks:
            size = len(compress(block))
            stored += size if size < len(block) - (len(block) >> 5) else len(block)
        best = min(best, time.thread_time() - started)
    return len(data) / best / 1e6, stored / len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=64, help="MiB of each input (default 64)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = inputs(args.mib * MiB)
    print(f"{args.mib} MiB of each input in 256 KiB blocks; speed in MB/s of one core (best of {args.repeat}), "
          f"ratio = stored / input\n")
    print("| settings | " + " | ".join(f"{name} ({len(blob) // MiB} MiB)" for name, blob in data.items()) + " |")
    print("|---|" + "---|" * len(data))
    for label, (level, hash_log, min_match) in CONFIGS.items():
        compress = compressor(level, hash_log, min_match).compress
        cells = []
        for blob in data.values():
            speed, ratio = measure(compress, blob, args.repeat)
            cells.append(f"{speed:.0f} MB/s, {ratio:.3f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
