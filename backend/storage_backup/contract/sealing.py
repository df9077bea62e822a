# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Sealed secret fields (docs/TASKS.md "Sealed secrets"): no secret travels or rests in Redis in clear.

A request's secret fields (declared on the dataclass with ``field(metadata=SECRET)``: a destination's
``repository_secret``, a guest command's ``private_key``) leave the message and travel in one ``sealed`` envelope
that only the workers enrolled for the task's queue can open:

- the secrets, as JSON ``{"<dotted path>": value}``, are encrypted with AES-256-GCM under a fresh random content key;
- that content key is wrapped for each recipient the way HPKE's base mode does it: a fresh ephemeral X25519 key,
  Diffie-Hellman with the recipient's public key, HKDF-SHA256 (bound to both public keys) to a key-encryption key,
  AES-256-GCM;
- the associated data of both is the rest of the message in canonical JSON, so a sealed envelope opens only inside
  the message it was sealed for: whoever can write to Redis cannot move a repository password to another destination
  nor a private key to another command or instance.

Recipients are public keys an administrator enrolled (``storage_backup.services.proxy_keys``); this module only
seals to the keys it is given and never learns a key from a message. Plain Python and ``cryptography``: both the
control plane (seals) and the workers (open) import it.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import os
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .message import ContractError, Record

SECRET: dict[str, bool] = {"secret": True}  # ``field(metadata=SECRET)``: the field travels sealed, never in clear
SEALED_FIELD = "sealed"
# The contract version of the requests that hold secrets: from it on their secrets travel sealed, so a worker from
# before (which could not open them) refuses the message as newer instead of running without its secrets.
SEALED_VERSION = 2
SCHEME = "x25519-hkdf-sha256-aes256gcm"
PUBLIC_KEY_PREFIX = "x25519:"
_WRAP_INFO = b"storage-backup sealed secrets v1"
_WRAP_NONCE = bytes(12)  # every key-encryption key is used once (fresh ephemeral key), so a fixed nonce is safe


class SealingError(ContractError):
    """A sealed envelope cannot be made or opened."""


class NoRecipients(SealingError):
    """There are secrets to seal but no enrolled key to seal them to."""


class NotARecipient(SealingError):
    """This worker holds none of the keys the envelope was sealed to (its key is not enrolled, or was revoked)."""


class SecretInClear(SealingError):
    """A secret field arrived in clear: the contract says it travels sealed."""


# -- keys ---------------------------------------------------------------------------------------------------------

def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(key: X25519PublicKey | X25519PrivateKey) -> str:
    """``x25519:<base64>``: how a public key is shown, enrolled and stored."""
    if isinstance(key, X25519PrivateKey):
        key = key.public_key()
    return PUBLIC_KEY_PREFIX + base64.b64encode(_raw_public(key)).decode()


def parse_public_key(text: str) -> X25519PublicKey:
    """A public key from ``x25519:<base64>`` (or the bare base64 of its 32 bytes); ``ValueError`` naming what is
    wrong otherwise."""
    value = (text or "").strip()
    if value.startswith(PUBLIC_KEY_PREFIX):
        value = value[len(PUBLIC_KEY_PREFIX):]
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not a public key: expected x25519:<base64 of 32 bytes> "
                         "(what `storage-backup proxy-key show` prints)") from None
    if len(raw) != 32:
        raise ValueError(f"is not an X25519 public key: {len(raw)} bytes, not 32")
    return X25519PublicKey.from_public_bytes(raw)


def key_id(key: X25519PublicKey | X25519PrivateKey | str) -> str:
    """The key's fingerprint (start of the SHA-256 of its raw public bytes): names it in envelopes, logs and the
    catalog, never secret."""
    if isinstance(key, str):
        key = parse_public_key(key)
    if isinstance(key, X25519PrivateKey):
        key = key.public_key()
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


# -- which fields are secret ----------------------------------------------------------------------------------------

def _record_types(hint: Any) -> list[type[Record]]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return [kind for arg in typing.get_args(hint) for kind in _record_types(arg)]
    if isinstance(hint, type) and issubclass(hint, Record):
        return [hint]
    return []


def secret_paths(record_type: type[Record]) -> list[tuple[str, ...]]:
    """The paths of every secret field of a message type, nested records included: ``[("repository_secret",),
    ("pre_command", "private_key"), …]``."""
    paths: list[tuple[str, ...]] = []
    hints = record_type.fields()
    for item in dataclasses.fields(record_type):
        if item.metadata.get("secret"):
            paths.append((item.name,))
            continue
        for nested in _record_types(hints[item.name]):
            paths.extend((item.name, *path) for path in secret_paths(nested))
    return paths


def _take(message: dict, path: tuple[str, ...]) -> Any:
    """Remove the value at ``path`` from ``message`` and return it; None (left as it is) when absent or null."""
    holder = message
    for name in path[:-1]:
        holder = holder.get(name)
        if not isinstance(holder, dict):
            return None
    if holder.get(path[-1]) is None:
        return None
    return holder.pop(path[-1])


def _put(message: dict, path: tuple[str, ...], value: Any) -> None:
    holder = message
    for name in path[:-1]:
        holder = holder.get(name)
        if not isinstance(holder, dict):
            raise SealingError(f"the sealed secret {'.'.join(path)} has no place in the message (no {name})")
    holder[path[-1]] = value


def _copy(message: dict) -> dict:
    return json.loads(json.dumps(message))


def associated_data(message: dict) -> bytes:
    """The message without its envelope, in canonical JSON: what the envelope is bound to."""
    rest = {key: value for key, value in message.items() if key != SEALED_FIELD}
    return json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# -- seal and open --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SealedRecipient(Record):
    key_id: str
    ephemeral_key: str  # base64 of the ephemeral X25519 public key
    wrapped_key: str  # base64 of the content key under the key-encryption key (AES-256-GCM)


@dataclass(frozen=True)
class Sealed(Record):
    """The envelope: the ``sealed`` field of a request (docs/TASKS.md "Sealed secrets")."""

    scheme: str
    recipients: list[SealedRecipient]
    nonce: str
    ciphertext: str

    @property
    def key_ids(self) -> list[str]:
        return [recipient.key_id for recipient in self.recipients]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SealingError(f"the sealed envelope's {what} is not base64") from None


def _key_encryption_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=_WRAP_INFO + ephemeral + recipient).derive(shared)
    return AESGCM(derived)


def _public(key: X25519PublicKey | X25519PrivateKey | str) -> X25519PublicKey:
    if isinstance(key, str):
        return parse_public_key(key)
    return key.public_key() if isinstance(key, X25519PrivateKey) else key


def seal(message: dict, record_type: type[Record],
         recipients: Iterable[X25519PublicKey | X25519PrivateKey | str]) -> dict:
    """A copy of ``message`` (a request as the contract writes it) whose secret fields travel in ``sealed``, opened
    only by the private key of one of ``recipients``. A message without a secret value is returned unchanged (a
    copy); ``NoRecipients`` when there is a secret and no recipient."""
    sealed_message = _copy(message)
    secrets = {}
    for path in secret_paths(record_type):
        value = _take(sealed_message, path)
        if value is not None:
            secrets[".".join(path)] = value
    if not secrets:
        return sealed_message
    keys = [_public(key) for key in recipients]
    if not keys:
        raise NoRecipients(f"{record_type.__name__} carries secrets ({', '.join(sorted(secrets))}) but no key is "
                           "enrolled to seal them to")
    aad = associated_data(sealed_message)
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = AESGCM(content_key).encrypt(nonce, json.dumps(secrets).encode(), aad)
    wrapped = []
    for key in {key_id(key): key for key in keys}.values():
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw, recipient_raw = _raw_public(ephemeral.public_key()), _raw_public(key)
        kek = _key_encryption_key(ephemeral.exchange(key), ephemeral_raw, recipient_raw)
        wrapped.append(SealedRecipient(key_id=key_id(key), ephemeral_key=_b64(ephemeral_raw),
                                       wrapped_key=_b64(kek.encrypt(_WRAP_NONCE, content_key, aad))))
    sealed_message[SEALED_FIELD] = Sealed(scheme=SCHEME, recipients=wrapped, nonce=_b64(nonce),
                                          ciphertext=_b64(ciphertext)).to_message()
    return sealed_message


def open_sealed(message: Any, record_type: type[Record], private_keys: Sequence[X25519PrivateKey]) -> Any:
    """The message with its secret fields back in place, for ``record_type.from_message``. Refuses a secret that
    arrived in clear (``SecretInClear``), an envelope sealed to none of ``private_keys`` (``NotARecipient``, naming
    both sides' key ids) and one that does not open or was moved to another message (``SealingError``). A message
    with neither secrets nor envelope is returned as it is; what is not an object is left to the contract."""
    if not isinstance(message, dict):
        return message
    version = message.get("version", 1)
    if isinstance(version, int) and version > getattr(record_type, "VERSION", 1):
        return message  # a newer contract: the reader refuses it as such (unsupported_version), unopened
    where = record_type.__name__
    opened = _copy(message)
    for path in secret_paths(record_type):
        holder: Any = opened
        for name in path[:-1]:
            holder = holder.get(name) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and holder.get(path[-1]) is not None:
            raise SecretInClear(f"{where}.{'.'.join(path)} arrived in clear; secret fields travel sealed to the "
                                "worker's enrolled key (docs/TASKS.md \"Sealed secrets\")")
    envelope_message = opened.pop(SEALED_FIELD, None)
    if envelope_message is None:
        return opened
    envelope = Sealed.from_message(envelope_message, f"{where}.sealed")
    if envelope.scheme != SCHEME:
        raise SealingError(f"{where}.sealed uses the scheme {envelope.scheme!r}; this worker knows {SCHEME!r}")
    aad = associated_data(message)
    mine = {key_id(key): key for key in private_keys}
    content_key = None
    for recipient in envelope.recipients:
        key = mine.get(recipient.key_id)
        if key is None:
            continue
        ephemeral_raw = _unb64(recipient.ephemeral_key, "ephemeral key")
        try:
            ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
            kek = _key_encryption_key(key.exchange(ephemeral), ephemeral_raw, _raw_public(key.public_key()))
            content_key = kek.decrypt(_WRAP_NONCE, _unb64(recipient.wrapped_key, "wrapped key"), aad)
        except (InvalidTag, ValueError):
            raise SealingError(f"{where}.sealed does not open with key {recipient.key_id}: the message was altered "
                               "after it was sealed, or the envelope was taken from another message") from None
        break
    if content_key is None:
        held = ", ".join(sorted(mine)) or "none (no key file)"
        raise NotARecipient(
            f"This worker's key ({held}) is not among the keys the task was sealed to "
            f"({', '.join(envelope.key_ids) or 'none'}): an administrator must enrol this worker's public key for "
            "its queue (POST /v1/proxies/{name}/keys or `python -m django proxy_keys enrol`), or it was revoked")
    try:
        secrets = json.loads(AESGCM(content_key).decrypt(_unb64(envelope.nonce, "nonce"),
                                                         _unb64(envelope.ciphertext, "ciphertext"), aad))
    except (InvalidTag, ValueError):
        raise SealingError(f"{where}.sealed does not decrypt: the message was altered after it was sealed") from None
    known = {".".join(path): path for path in secret_paths(record_type)}
    for dotted, value in secrets.items():
        if dotted not in known:
            raise SealingError(f"{where}.sealed holds {dotted!r}, which is not a secret field of {where}")
        _put(opened, known[dotted], value)
    return opened
