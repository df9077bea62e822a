# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A worker's own X25519 key pair, which opens the secrets of its tasks (docs/TASKS.md "Sealed secrets").

The private keys live in one file on the worker's host, ``STORAGE_BACKUP_PROXY_KEY_FILE`` (default
``/var/lib/storage-backup/proxy.key``; proxy and data workers alike), mode 0600: one base64 key a line, the newest
first, ``#`` comments. Several lines are a rotation in progress: every key in the file opens, the first is the one
to enrol next. ``storage-backup proxy-key create`` makes the file (a worker makes it on its first start too) and
``show`` prints the public keys an administrator enrols; nothing ever sends a key over Redis, and a public key that
arrives over Redis is never trusted (an administrator enrols keys through the API or ``proxy_keys``).

The file is read at every task, so a rotated key file applies without a restart.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage_backup.contract import key_id, public_key_text

LOG = logging.getLogger(__name__)
KEY_FILE_ENV = "STORAGE_BACKUP_PROXY_KEY_FILE"
DEFAULT_KEY_FILE = "/var/lib/storage-backup/proxy.key"


class WorkerKeyError(RuntimeError):
    """The key file is missing or unreadable."""


def key_file(environ: dict | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE


def _private_text(key: X25519PrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return base64.b64encode(raw).decode()


def load_keys(path: str | None = None) -> list[X25519PrivateKey]:
    """The worker's private keys, newest first; ``[]`` when the file does not exist (the task then says the worker
    holds no key); ``WorkerKeyError`` naming the line when it is malformed."""
    path = path or key_file()
    try:
        with open(path, encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise WorkerKeyError(f"cannot read the worker key file {path}: {error}") from None
    keys = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            raw = base64.b64decode(text, validate=True)
            if len(raw) != 32:
                raise ValueError(f"{len(raw)} bytes, not 32")
        except (binascii.Error, ValueError) as error:
            raise WorkerKeyError(f"{path} line {number} is not a base64 X25519 private key ({error})") from None
        keys.append(X25519PrivateKey.from_private_bytes(raw))
    return keys


def _write(path: str, keys: list[X25519PrivateKey]) -> None:
    """Write the key file atomically, 0600 from its creation (never readable by others, even for a moment)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    lines = ["# storage-backup worker keys: the first is the newest; enrol its public key (proxy-key show)"]
    for key in keys:
        lines.append(f"# {public_key_text(key)} ({key_id(key)})")
        lines.append(_private_text(key))
    handle, temporary = tempfile.mkstemp(prefix=".proxy-key-", dir=directory)  # mkstemp creates it 0600
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write("\n".join(lines) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def create(path: str | None = None) -> tuple[X25519PrivateKey, bool]:
    """The worker's current key, made (with its file) when there is none; ``(key, created)``."""
    path = path or key_file()
    keys = load_keys(path)
    if keys:
        return keys[0], False
    key = X25519PrivateKey.generate()
    _write(path, [key])
    return key, True


def rotate(path: str | None = None) -> X25519PrivateKey:
    """Add a new key in front of the file's (the old ones keep opening tasks sealed to them until retired)."""
    path = path or key_file()
    key = X25519PrivateKey.generate()
    _write(path, [key, *load_keys(path)])
    return key


def retire(path: str | None = None, keep: int = 1) -> list[str]:
    """Keep only the ``keep`` newest keys (once the old ones were revoked); returns the ids of the keys removed."""
    path = path or key_file()
    keys = load_keys(path)
    if len(keys) <= keep:
        return []
    _write(path, keys[:keep])
    return [key_id(key) for key in keys[keep:]]


def public_keys(path: str | None = None) -> list[str]:
    return [public_key_text(key) for key in load_keys(path)]


def ensure_on_start(path: str | None = None) -> None:
    """On a worker's start: make its key when it has none, and say what to enrol (logged, never sent anywhere)."""
    path = path or key_file()
    try:
        key, created = create(path)
    except (OSError, WorkerKeyError) as error:
        LOG.error("no worker key: %s; tasks with secrets will fail until %s holds one "
                  "(storage-backup proxy-key create)", error, path)
        return
    LOG.warning("worker key %s %s in %s; an administrator must enrol its public key %s for this worker's queue "
                "(POST /v1/proxies/<name>/keys, or python -m django proxy_keys enrol) before it can run tasks "
                "with secrets", key_id(key), "created" if created else "found", path, public_key_text(key))
