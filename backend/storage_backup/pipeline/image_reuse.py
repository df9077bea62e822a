# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The root disk of an image-booted server on restore: boot from the Glance image it came from when the target
still has that image (same id, or another image with the same checksum) *and* the backed-up root disk is still
exactly that image; otherwise upload the backed-up root disk as a new image and boot from it.

Why the second condition: a server's root disk starts as a copy of its image and then changes (packages, logs,
configuration). Booting a restored server from the original image alone would silently lose those changes. The
check streams the candidate image from Glance and compares it block by block with the restore point's manifest
(keyed BLAKE3 per block; all-zero blocks are marked as such); past the image's end the root disk must be zeros
(Nova grows the disk to the flavor's size).
"""
from __future__ import annotations

from storage_backup.cloud import Cloud, CloudError, get_or_none
from storage_backup.repository import RestorePoint, VolumeEntry
from storage_backup.repository.block_map import MANIFEST, BlockMapReader
from storage_backup.repository.chunk_id import ZERO_ID

from .context import JobContext

DOWNLOAD_CHUNK = 4 * 1024 * 1024


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


def disk_matches_image(repository, restore_point: RestorePoint, entry: VolumeEntry, data) -> bool:
    """Whether the backed-up disk ``entry`` is exactly the bytes of ``data`` (an iterable of byte strings),
    followed by zeros up to the disk's size."""
    manifest = BlockMapReader(repository.chunk_reader(volume=entry.key, restore_point=restore_point.id),
                              bytes.fromhex(entry.manifest), MANIFEST)
    block_size = entry.block_size
    chunk_id = repository.hasher.chunk_id
    zero_block = bytes(block_size)
    block = 0
    pending = bytearray()

    def same(piece: bytes | bytearray, number: int) -> bool:
        if number >= manifest.blocks:
            return not any(piece)  # an image longer than the disk can only match if the excess is zeros
        length = min(block_size, entry.size - number * block_size)
        if len(piece) < length:
            piece = bytes(piece) + bytes(length - len(piece))
        record = manifest.record(number)
        if piece == zero_block[:len(piece)]:
            return record == ZERO_ID
        return record != ZERO_ID and chunk_id(piece) == record

    for piece in data:
        pending += piece
        while len(pending) >= block_size:
            if not same(memoryview(pending)[:block_size].tobytes(), block):
                return False
            del pending[:block_size]
            block += 1
    if pending:
        if not same(pending, block):
            return False
        block += 1
    return all(manifest.record(number) == ZERO_ID for number in range(block, manifest.blocks))


def choose_boot_image(ctx: JobContext, tenant: Cloud, repository, restore_point: RestorePoint,
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
