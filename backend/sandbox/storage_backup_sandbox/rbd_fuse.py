# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One RBD image as a file through ``rbd-fuse -r``: mounted for as long as it is needed, then unmounted.

Used by the embedded cloud on RBD (``rbd_store.py``: an attachment), by the genuine tier's device-view driver
(``tools/genuine/virt``, which puts ``backend/sandbox`` on its path for this module alone) and by the genuine tier's
tests (playing the guest). A mount of the
whole pool would not do: rbd-fuse keeps every image it has opened open, with a watcher, and Cinder refuses to delete
an image that has one (``ImageBusy``).
"""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence


def mount_image(pool: str, image: str, directory: str, ceph_conf: str, timeout: float = 60,
                client_args: Sequence[str] = ()) -> str:
    """Mount one RBD image with ``rbd-fuse -r`` at ``directory`` (its file is ``directory/<image>``); the daemon's pid
    goes to ``directory.pid`` so that the tier's stop can end it by pid. ``client_args``: Ceph's own options for a
    user other than the ceph.conf's default (``--id NAME --keyring PATH``)."""
    os.makedirs(directory, exist_ok=True)
    if os.path.ismount(directory):
        return directory
    process = subprocess.Popen(["rbd-fuse", "-f", "-c", ceph_conf, *client_args, "-p", pool, "-r", image,
                                directory],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    with open(directory + ".pid", "w") as handle:
        handle.write(str(process.pid))
    deadline = time.monotonic() + timeout
    while not os.path.exists(os.path.join(directory, image)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"rbd-fuse could not mount {pool}/{image} at {directory}")
        time.sleep(0.05)
    return directory


def unmount_image(directory: str, timeout: float = 30) -> None:
    """Unmount (rbd-fuse then closes the image and exits) and wait for the daemon to be gone."""
    if os.path.ismount(directory):
        if subprocess.run(["fusermount3", "-u", directory], capture_output=True).returncode != 0:
            subprocess.run(["fusermount3", "-u", "-z", directory], capture_output=True)
    pid_file = directory + ".pid"
    try:
        with open(pid_file) as handle:
            pid = int(handle.read())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
            os.kill(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
    os.unlink(pid_file)
