#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Build each charm's workload from this repository into ``charms/<charm>/workload/``: the wheel, and the product's
systemd units (``backend/etc/systemd``) for the charms that run them.

    python tools/charms/build_wheels.py [CHARM ...] [--out DIR]

``charmcraft pack`` puts ``workload/`` into the charm (the ``workload`` part of each charmcraft.yaml), and the charm
installs from it: so run this before packing. Only this repository's own distribution goes into a charm, without
its dependencies (``--no-deps``): the dashboard's come with Horizon, the service's come from PyPI (or the operator's
mirror) when the charm installs the wheel into its virtualenv.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: charm -> (the folder of its distribution in this repository, the wheel's file name prefix)
CHARM_DISTRIBUTIONS: dict[str, tuple[str, str]] = {
    "storage-backup-dashboard": (REPO_ROOT, "storage_backup_dashboard-"),
    "storage-backup-api": (os.path.join(REPO_ROOT, "backend"), "storage_backup-"),
    "storage-backup-proxy": (os.path.join(REPO_ROOT, "backend"), "storage_backup-"),
}
SYSTEMD_UNITS = os.path.join(REPO_ROOT, "backend", "etc", "systemd")
#: charm -> the product's units it runs
CHARM_UNITS: dict[str, tuple[str, ...]] = {
    "storage-backup-api": ("storage-backup-api.service", "storage-backup-control-worker.service",
                           "storage-backup-beat.service"),
    "storage-backup-proxy": ("storage-backup-proxy@.service",),
}
BUILD_TIMEOUT = float(os.environ.get("STORAGE_BACKUP_WHEEL_BUILD_TIMEOUT", "300"))


def build(charm: str, out_dir: str | None = None) -> str:
    """Build ``charm``'s wheel into ``out_dir`` (default ``charms/<charm>/workload``), copy its units beside it;
    return the wheel's path."""
    source, prefix = CHARM_DISTRIBUTIONS[charm]
    out_dir = out_dir or os.path.join(REPO_ROOT, "charms", charm, "workload")
    os.makedirs(out_dir, exist_ok=True)
    for unit in CHARM_UNITS.get(charm, ()):
        shutil.copy(os.path.join(SYSTEMD_UNITS, unit), os.path.join(out_dir, unit))
    for old in glob.glob(os.path.join(out_dir, prefix + "*.whl")):
        os.unlink(old)
    # No build isolation: the build backend (setuptools + pbr) is in the project's virtualenv already, and the
    # machine that packs charms may have no index to fetch it from.
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", out_dir, source], timeout=BUILD_TIMEOUT, cwd=source, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"pip wheel {source} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    built = glob.glob(os.path.join(out_dir, prefix + "*.whl"))
    if len(built) != 1:
        raise RuntimeError(f"expected one {prefix}*.whl in {out_dir}, found {built}")
    return built[0]


def build_all(charms: list[str], out_root: str | None = None) -> dict[str, str]:
    """Each charm's workload (``out_root/<charm>``, default ``charms/<charm>/workload``), each distribution built
    once (the API and proxy charms carry the same wheel); charm -> its wheel."""
    built: dict[str, str] = {}
    by_source: dict[str, str] = {}
    for charm in charms:
        out_dir = os.path.join(out_root, charm) if out_root else None
        source, prefix = CHARM_DISTRIBUTIONS[charm]
        if source in by_source:
            out_dir = out_dir or os.path.join(REPO_ROOT, "charms", charm, "workload")
            os.makedirs(out_dir, exist_ok=True)
            for old in glob.glob(os.path.join(out_dir, prefix + "*.whl")):
                os.unlink(old)
            built[charm] = shutil.copy(by_source[source], out_dir)
            for unit in CHARM_UNITS.get(charm, ()):
                shutil.copy(os.path.join(SYSTEMD_UNITS, unit), os.path.join(out_dir, unit))
        else:
            built[charm] = by_source[source] = build(charm, out_dir)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("charms", nargs="*", metavar="CHARM",
                        help=f"which charms (default: all of {', '.join(CHARM_DISTRIBUTIONS)})")
    parser.add_argument("--out", metavar="DIR", help="put each charm's workload in DIR/<charm> instead")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.charms) - set(CHARM_DISTRIBUTIONS))
    if unknown:
        parser.error(f"no charm named {', '.join(unknown)}: choose from {', '.join(CHARM_DISTRIBUTIONS)}")
    for charm, wheel in build_all(args.charms or list(CHARM_DISTRIBUTIONS), args.out).items():
        print(f"{charm}: {wheel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
