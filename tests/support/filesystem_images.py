# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Real filesystem and disk images for file-level restore's tests, made without mounting anything: ``mkfs.ext4
-d DIR`` (e2fsprogs) populates an ext4 from a directory, ``mkfs.xfs -p protofile`` (xfsprogs) an XFS, ``sgdisk``
(gdisk) writes a GPT; an MBR is written here (sixteen bytes an entry)."""
from __future__ import annotations

import os
import pathlib
import stat
import struct
import subprocess

MiB = 1024 * 1024
TOOLS = {"mkfs.ext4": "e2fsprogs", "e2fsck": "e2fsprogs", "mkfs.xfs": "xfsprogs", "sgdisk": "gdisk"}


def tool(name: str) -> str:
    for directory in (*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/sbin"):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(f"{name} is missing: apt-get install -y {TOOLS[name]} (tools/bootstrap.sh installs it)")


def populate(root: pathlib.Path, *, many: int = 300) -> dict[str, bytes]:
    """A small tree of files, folders and a symlink; returns ``{path: bytes}`` of its regular files."""
    files = {
        "etc/hostname": b"web-1\n",
        "etc/ssh/sshd_config": b"PermitRootLogin no\n" * 50,
        "var/lib/app/data.bin": bytes(range(256)) * 12_000 + b"tail",  # about 3 MB: indirect blocks on ext2
        "var/lib/app/sparse.bin": b"",
        "home/user/notes.txt": "grüße\n".encode() * 10,
    }
    for number in range(many):
        files[f"var/log/many/entry-{number:04d}.log"] = f"line {number}\n".encode()
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with open(root / "var/lib/app/sparse.bin", "r+b") as sparse:  # a hole, then data
        sparse.seek(5 * MiB)
        sparse.write(b"after the hole")
    files["var/lib/app/sparse.bin"] = bytes(5 * MiB) + b"after the hole"
    (root / "etc/link-to-hostname").symlink_to("hostname")
    (root / "empty-dir").mkdir()
    return files


def make_ext4(image: pathlib.Path, source: pathlib.Path, size: int = 64 * MiB, *options: str) -> pathlib.Path:
    with open(image, "wb") as handle:
        handle.truncate(size)
    subprocess.run([tool("mkfs.ext4"), "-q", "-F", *options, "-d", str(source), str(image)], check=True,
                   capture_output=True, timeout=60)
    return image


def index_directories(image: pathlib.Path) -> None:
    """Rebuild the ext4's directories as hashed b-trees (htree), as the kernel makes large ones: ``e2fsck -D``
    (``mkfs.ext4 -d`` writes linear directories only)."""
    done = subprocess.run([tool("e2fsck"), "-fyD", str(image)], capture_output=True, timeout=60)
    if done.returncode not in (0, 1):  # 1: the filesystem was changed, which is the point
        raise RuntimeError(f"e2fsck -fyD failed ({done.returncode}): {done.stdout!r} {done.stderr!r}")


def _proto_lines(directory: pathlib.Path, depth: int) -> list[str]:
    lines = []
    for entry in sorted(directory.iterdir()):
        info = entry.lstat()
        mode = f"{stat.S_IMODE(info.st_mode):03o}"
        if entry.is_symlink():
            lines.append(f"{entry.name} l--{mode} 0 0 {os.readlink(entry)}")
        elif entry.is_dir():
            lines.append(f"{entry.name} d--{mode} 0 0")
            lines.extend(_proto_lines(entry, depth + 1))
            lines.append("$")
        else:
            lines.append(f"{entry.name} ---{mode} 0 0 {entry}")
    return lines


def make_xfs(image: pathlib.Path, source: pathlib.Path, size: int = 320 * MiB) -> pathlib.Path:
    """XFS wants at least 300 MiB; the image is sparse, so it costs what the files take."""
    proto = image.with_suffix(".proto")
    proto.write_text("\n".join(["boot", "0 0", "d--755 0 0", *_proto_lines(source, 1), "$"]) + "\n")
    with open(image, "wb") as handle:
        handle.truncate(size)
    subprocess.run([tool("mkfs.xfs"), "-q", "-f", "-p", str(proto), str(image)], check=True, capture_output=True,
                   timeout=60)
    return image


def copy_into(disk: pathlib.Path, filesystem: pathlib.Path, offset: int) -> None:
    """The filesystem image's bytes at ``offset`` of the disk, holes kept as holes."""
    with open(filesystem, "rb") as source, open(disk, "r+b") as target:
        position = 0
        while True:
            data = source.read(MiB)
            if not data:
                break
            if data.count(0) != len(data):
                target.seek(offset + position)
                target.write(data)
            position += len(data)


def make_gpt(disk: pathlib.Path, filesystem: pathlib.Path, *, first_mib: int = 1, size: int | None = None) -> int:
    """A GPT disk with a small empty partition 1 and the filesystem in partition 2; returns partition 2's offset."""
    fs_size = filesystem.stat().st_size
    total = size or (first_mib + 1 + fs_size // MiB + 2) * MiB
    with open(disk, "wb") as handle:
        handle.truncate(total)
    start_2 = (first_mib + 1) * MiB
    subprocess.run([tool("sgdisk"), f"--new=1:{first_mib * 2048}:+1M", "--typecode=1:ef02",
                    f"--new=2:{start_2 // 512}:+{fs_size // 1024}K", "--typecode=2:8300", str(disk)],
                   check=True, capture_output=True, timeout=60)
    copy_into(disk, filesystem, start_2)
    return start_2


def mbr_entry(kind: int, start_sector: int, sectors: int) -> bytes:
    return struct.pack("<B3xB3xII", 0, kind, start_sector, sectors)


def make_mbr(disk: pathlib.Path, filesystem: pathlib.Path) -> int:
    """An MBR disk: primary 1 (a 1 MiB partition of type 0x0b holding nothing), an extended partition 2 holding one
    logical partition (number 5) with the filesystem; returns its offset."""
    fs_size = filesystem.stat().st_size
    extended_start = 4096  # sectors
    logical_start = extended_start + 2048
    total = logical_start * 512 + fs_size + MiB
    with open(disk, "wb") as handle:
        handle.truncate(total)
        table = mbr_entry(0x0B, 2048, 2048) + mbr_entry(0x05, extended_start, total // 512 - extended_start)
        handle.seek(446)
        handle.write(table + bytes(32) + b"\x55\xaa")
        handle.seek(extended_start * 512 + 446)
        handle.write(mbr_entry(0x83, 2048, fs_size // 512) + bytes(48) + b"\x55\xaa")
    copy_into(disk, filesystem, logical_start * 512)
    return logical_start * 512


class ImageDisk:
    """An image file as the parsers read a disk (``size`` + ``pread``)."""

    def __init__(self, path: pathlib.Path) -> None:
        self._handle = open(path, "rb")
        self.size = path.stat().st_size

    def pread(self, offset: int, length: int) -> bytes:
        return os.pread(self._handle.fileno(), length, offset)

    def close(self) -> None:
        self._handle.close()
