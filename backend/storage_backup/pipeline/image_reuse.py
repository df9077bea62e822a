# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The root disk of an image-booted server on restore: boot from the Glance image it came from when the target
still has that image (same id, or another image with the same checksum) *and* the backed-up root disk is still
exactly that image; otherwise upload the backed-up root disk as a new image and boot from it.

Why the second condition: a server's root disk starts as a copy of its image and then changes (packages, logs,
configuration). Booting a restored server from the original image alone would silently lose those changes. The
check streams the candidate image from Glance and compares it block by block with the restore point's manifest
(``Repository.volume_records``: the keyed BLAKE3 of each stored block, and the runs of zero blocks); past the
image's end the root disk must be zeros (Nova grows the disk to the flavor's size).
"""
from __future__ import annotations

from storage_backup.cloud import Cloud, CloudError, get_or_none
from storage_backup.repository import Repository, RestorePoint, VolumeEntry

from .context import JobContext

DOWNLOAD_CHUNK = 4 * 1024 * 1024
#: Bytes of the image compared with a run of zero blocks at once (a run may span the whole disk).
ZERO_RUN_PIECE = 4 * 1024 * 1024


def candidate_images(tenant: Cloud, image: dict | None) -> list:
    """Active images the tenant can boot (openstacksdk's ``Image``) that are the original (``image``, as the
    restore point records it): the same id first, then the same checksum."""
    if not image or not image.get("id"):
        return []
    found = []
    original = get_or_none(tenant.image.get_image, image["id"])
    if original is not None and original.status == "active":
        found.append(original)
    checksum, os_hash = image.get("checksum"), image.get("os_hash_value")
    if checksum or os_hash:
        for other in tenant.image.images(status="active"):
            if other.id == image["id"]:
                continue
            if (os_hash and other.hash_value == os_hash) or (checksum and other.checksum == checksum):
                found.append(other)
    return found


def disk_matches_image(repository: Repository, restore_point: RestorePoint, entry: VolumeEntry, data) -> bool:
    """Whether the backed-up disk ``entry`` is exactly the bytes of ``data`` (an iterable of byte strings),
    followed by zeros up to the disk's size."""
    image = _ImageStream(data)
    for record in repository.volume_records(restore_point, entry.key):
        if record.chunk_id is None:
            if not image.skip_zeros(record.length):
                return False
            continue
        piece = image.take(record.length)
        # Past the image's end the disk must be zeros: a shorter piece compares as if padded with them.
        if repository.chunk_id(piece.ljust(record.length, b"\0"), restore_point) != record.chunk_id:
            return False
    return image.rest_is_zero()  # an image longer than the disk can only match if the excess is zeros


class _ImageStream:
    """The image's bytes, taken a block or a run of zeros at a time, however the download cuts them."""

    def __init__(self, pieces) -> None:
        self._pieces = iter(pieces)
        self._pending = b""

    def _fill(self, length: int) -> None:
        parts = [self._pending]
        have = len(self._pending)
        for piece in self._pieces:
            parts.append(bytes(piece))
            have += len(piece)
            if have >= length:
                break
        self._pending = b"".join(parts)

    def take(self, length: int) -> bytes:
        """The next ``length`` bytes (fewer at the image's end)."""
        if len(self._pending) < length:
            self._fill(length)
        piece, self._pending = self._pending[:length], self._pending[length:]
        return piece

    def skip_zeros(self, length: int) -> bool:
        """Whether the next ``length`` bytes (or what is left of the image) are all zeros; consumes them."""
        while length > 0:
            piece = self.take(min(length, ZERO_RUN_PIECE))
            if not piece:
                return True
            if piece.count(0) != len(piece):
                return False
            length -= len(piece)
        return True

    def rest_is_zero(self) -> bool:
        while True:
            piece = self.take(ZERO_RUN_PIECE)
            if not piece:
                return True
            if piece.count(0) != len(piece):
                return False


def choose_boot_image(ctx: JobContext, tenant: Cloud, repository: Repository, restore_point: RestorePoint,
                      entry: VolumeEntry):
    """The image to reuse (openstacksdk's ``Image``), or None when the root disk must be uploaded (the reason is
    logged)."""
    image = (restore_point.instance_metadata or {}).get("image")
    candidates = candidate_images(tenant, image)
    if not candidates:
        ctx.log.add("image", f"the original image {(image or {}).get('id')} is not available in the target (no "
                             "image with its id or checksum): the backed-up root disk will be uploaded")
        return None
    for candidate in candidates:
        ctx.cancel.check("while comparing the root disk with its image")
        try:
            download = tenant.image.download_image(candidate, stream=True)
            try:
                matches = disk_matches_image(repository, restore_point, entry,
                                             download.iter_content(DOWNLOAD_CHUNK))
            finally:
                download.close()
        except CloudError as error:
            ctx.log.warning("image", f"could not read image {candidate.id} to compare it: {error}")
            continue
        if matches:
            ctx.log.add("image", f"reusing image {candidate.id} ({candidate.name}): the backed-up root disk "
                                 "is exactly that image")
            return candidate
        ctx.log.add("image", f"image {candidate.id} ({candidate.name}) exists, but the root disk changed "
                             "since the server was booted from it: the backed-up root disk will be uploaded")
    return None
