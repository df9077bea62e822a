# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Key material, restic/borg style: random master keys, stored only wrapped by a password-derived key.

An encrypted repository has 64 random bytes of master key material (32 for the chunk-id key, 32 for AES-256-GCM).
They are generated at ``init`` and written only inside key files ``keys/<id>``, each the master key encrypted with
a key derived from one password (or key file) by scrypt. Adding a password adds a key file; the plaintext master
key is never written anywhere. An unencrypted repository has no key files: its chunk-id key is in ``config``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from .destinations import Destination
from .errors import CorruptObject, PasswordRequired, WrongPassword
from .format import KEYS_PREFIX, check_version

# scrypt N=2**15, r=8, p=1: 32 MiB and ~0.1 s per attempt here, the cost restic calibrates to by default.
SCRYPT_N = 2 ** 15
SCRYPT_R = 8
SCRYPT_P = 1
KEY_FILE_VERSION = 1


@dataclass(frozen=True)
class KeyMaterial:
    id_key: bytes
    data_key: bytes | None

    @classmethod
    def generate(cls, encrypted: bool) -> KeyMaterial:
        return cls(os.urandom(32), os.urandom(32) if encrypted else None)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _kek(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * 1024 * 1024)


def _associated(repository_id: str) -> bytes:
    return b"storage-backup key file v1 " + repository_id.encode()


def write_key_file(destination: Destination, repository_id: str, keys: KeyMaterial, password: bytes) -> str:
    """Wrap the master key with ``password`` into a new ``keys/<id>``; returns the key file's id."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not password:
        raise PasswordRequired("an encrypted repository needs a non-empty password")
    salt = os.urandom(32)
    nonce = os.urandom(12)
    wrapped = AESGCM(_kek(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, keys.id_key + keys.data_key, _associated(repository_id))
    key_id = uuid.uuid4().hex
    document = {
        "version": KEY_FILE_VERSION, "created": now_iso(), "host": socket.gethostname(),
        "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode(), "data": base64.b64encode(nonce + wrapped).decode(),
    }
    destination.put(f"{KEYS_PREFIX}{key_id}", json.dumps(document, indent=2).encode() + b"\n", exclusive=True)
    return key_id


def unlock(destination: Destination, repository_id: str, password: bytes | None) -> KeyMaterial:
    """Try ``password`` against every key file; the master key of the first that opens."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    location = destination.location
    if not password:
        raise PasswordRequired(f"the repository at {location} is encrypted: give its password with "
                               f"--password-file FILE or the STORAGE_BACKUP_PASSWORD environment variable")
    key_names = sorted(info.name for info in destination.list(KEYS_PREFIX))
    if not key_names:
        raise CorruptObject(f"the repository at {location} is encrypted but has no key files under {KEYS_PREFIX}")
    for name in key_names:
        try:
            document = json.loads(destination.get(name))
            check_version(int(document.get("version", 0)), f"key file {name}")
            if document.get("kdf") != "scrypt":
                continue
            salt = base64.b64decode(document["salt"])
            blob = base64.b64decode(document["data"])
            kek = _kek(password, salt, int(document["n"]), int(document["r"]), int(document["p"]))
        except (ValueError, KeyError, TypeError):
            continue
        try:
            master = AESGCM(kek).decrypt(blob[:12], blob[12:], _associated(repository_id))
        except InvalidTag:
            continue
        if len(master) != 64:
            raise CorruptObject(f"key file {name} holds a key of the wrong size")
        return KeyMaterial(master[:32], master[32:])
    raise WrongPassword(f"wrong password for the repository at {location}: none of its {len(key_names)} key "
                        f"file(s) opens with it; check --password-file or STORAGE_BACKUP_PASSWORD")


def read_password_file(path: str) -> bytes:
    """A password from a file: the whole content without one trailing newline (a key file may be binary)."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    return data
