# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Open a volume to back up (``open_source``) or to restore into (``open_target``) by kind.

Kinds this release knows: ``block-device`` and ``image-file``, each a ``BlockSource`` and a ``BlockTarget``
subclass with an ``open`` class method. Without a kind, a local path (or open file) is looked at: a block special
file is a ``block-device``, a regular file (or, as a target, a path that does not exist yet) an ``image-file``.
A kind this release does not know is refused, naming the ones it does.

Extension point: another kind is one more pair of classes registered in ``SOURCE_KINDS`` and ``TARGET_KINDS``
under its name; nothing else in the engine changes. An RBD image (kind ``rbd``, read and written through the
``rbd`` Python bindings, its allocation known from ``diff_iterate``) comes with Ceph support; until then asking for
it is refused here like any unknown kind.
"""
from __future__ import annotations

import os
import stat

from ..errors import InvalidRequest
from .base import BlockSource, BlockTarget
from .block_device import BlockDeviceSource, BlockDeviceTarget
from .image_file import ImageFileSource, ImageFileTarget
from .posix import is_path

SOURCE_KINDS: dict[str, type[BlockSource]] = {kind.kind: kind for kind in (BlockDeviceSource, ImageFileSource)}
TARGET_KINDS: dict[str, type[BlockTarget]] = {kind.kind: kind for kind in (BlockDeviceTarget, ImageFileTarget)}


def _registered(kinds: dict, kind: str, what: str):
    try:
        return kinds[kind]
    except (KeyError, TypeError):
        raise InvalidRequest(f"unknown volume {what} kind {kind!r}: this storage-backup knows "
                             f"{', '.join(sorted(kinds))}") from None


def local_kind(spec, *, target: bool = False) -> str:
    """The kind of a local path or open file: ``block-device`` or ``image-file``. As a ``target``, a path that does
    not exist yet is an image file to create."""
    name = os.fspath(spec) if is_path(spec) else getattr(spec, "name", "<file>")
    try:
        mode = os.stat(spec).st_mode if is_path(spec) else os.fstat(spec.fileno()).st_mode
    except FileNotFoundError:
        if target:
            return ImageFileTarget.kind
        raise InvalidRequest(f"{name} does not exist: give an image file or a block device") from None
    except (AttributeError, OSError):
        return ImageFileSource.kind  # its open() says what is wrong with the path or the object
    if stat.S_ISBLK(mode):
        return BlockDeviceSource.kind
    if stat.S_ISREG(mode):
        return ImageFileSource.kind
    if stat.S_ISDIR(mode):
        raise InvalidRequest(f"{name} is a directory: give " + ("a file or block device to restore to" if target
                                                                  else "an image file or a block device"))
    raise InvalidRequest(f"{name} is neither an image file nor a block device")


def open_source(spec, *, kind: str | None = None, detect_holes: bool = True) -> BlockSource:
    """A source to back up. ``spec``: a ``BlockSource`` (returned as it is: the caller keeps and closes it), a path
    or an open file. ``kind``: one of ``SOURCE_KINDS`` (default: from what the path is). ``detect_holes``: use
    what the source knows of its holes (False reads every byte)."""
    if isinstance(spec, BlockSource):
        if kind is not None and spec.kind != kind:
            raise InvalidRequest(f"{spec.name} is a {spec.kind} source, not a {kind}")
        return spec
    if kind is not None:
        _registered(SOURCE_KINDS, kind, "source")
    return _registered(SOURCE_KINDS, kind or local_kind(spec), "source").open(spec, detect_holes=detect_holes)


def open_target(spec, size: int, *, kind: str | None = None, zeroed: bool | None = None) -> BlockTarget:
    """A target to restore ``size`` bytes into. ``spec``: a ``BlockTarget`` (returned as it is, if large enough:
    the caller keeps and closes it), a path (one that does not exist becomes a sparse image file) or an open file.
    ``zeroed``: the target already reads as zeros (``None``: each kind decides, see its ``open``)."""
    if isinstance(spec, BlockTarget):
        if kind is not None and spec.kind != kind:
            raise InvalidRequest(f"{spec.name} is a {spec.kind} target, not a {kind}")
        if spec.size < size:
            raise InvalidRequest(f"{spec.name} holds {spec.size} bytes, too small for this volume of {size} bytes")
        return spec
    if kind is not None:
        _registered(TARGET_KINDS, kind, "target")
    chosen = kind or local_kind(spec, target=True)
    return _registered(TARGET_KINDS, chosen, "target").open(spec, size, zeroed=zeroed)
