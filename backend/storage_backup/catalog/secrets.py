# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Encryption at rest of the catalog's secrets: a destination's ``repository_secret`` and the SSH ``private_key`` of
a policy's ``pre_command`` / ``post_command``. A dump or backup of the catalog database shows neither.

Stored form: ``enc:v1:<key id>:<base64url(nonce + AES-256-GCM ciphertext and tag)>``; the header is the GCM
associated data. Anything else is a plaintext legacy value: it is read as it is and encrypted at its next save
(migration 0004 encrypts them all). The key id (the start of the key's SHA-256) says which key sealed a value, so a
key can be rotated: the first key given encrypts, every key given decrypts, and a value re-encrypts with the first
key whenever its row is saved.

The key, the same for every control plane process (REST API, control worker, beat, the migrations):

- ``STORAGE_BACKUP_CATALOG_KEY``: base64 of 32 random bytes (several, separated by commas: the first encrypts);
- otherwise the key file ``STORAGE_BACKUP_CATALOG_KEY_FILE``, by default ``<STORAGE_BACKUP_DATA_DIR>/catalog.key``
  (one base64 key a line), created with mode 0600 on first use. Processes sharing a data directory (the demo, the
  tests, one host) therefore share the key without any setup; processes on several hosts sharing a PostgreSQL or
  MariaDB catalog need the same key file or ``STORAGE_BACKUP_CATALOG_KEY`` on each. Keep a copy of the key apart
  from the catalog's backups: without it the secrets in those backups are lost, which is the point.

Why model fields rather than helpers the service layer calls: the fields (``SealedTextField``,
``SealedJSONField``) encrypt in ``get_prep_value``, the one door every write goes through (``save``, ``create``,
``update``, ``bulk_update``), so no code path can store plaintext; and reading the attribute decrypts, naming the
row when it cannot, so no code path can hand ciphertext to a proxy or the repository engine. Decryption happens
on first access, not when rows load: listing destinations and policies (the API masks the secrets anyway) and
saving rows whose secrets were never read keep working, unchanged, even with the wrong key. ``QuerySet.values()``
and raw SQL see the stored form; filtering on these fields cannot match (every encryption has a fresh nonce).

The plaintext leaves the catalog in one place by design: ``storage_backup.services.dispatch.payload`` puts the
repository secret and the private keys in the task's request, because the worker needs them; ``dispatch`` seals them
to the workers' enrolled keys before the message reaches Redis (docs/TASKS.md "Sealed secrets").
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from storage_backup.services.errors import Unavailable

LOG = logging.getLogger(__name__)
KEY_ENV = "STORAGE_BACKUP_CATALOG_KEY"
KEY_FILE_ENV = "STORAGE_BACKUP_CATALOG_KEY_FILE"
KEY_FILE_NAME = "catalog.key"
PREFIX = "enc:v1:"
NONCE_BYTES = 12
SEALED = re.compile(r"\Aenc:v1:(?P<key_id>[0-9a-f]{8}):(?P<data>[A-Za-z0-9_-]{38,})\Z")  # 38: nonce + tag


class CatalogKeyError(Unavailable):
    """The catalog key is missing or malformed."""


class SecretUnreadable(Unavailable):
    """A stored secret does not decrypt with the keys this process has."""


@dataclass(frozen=True)
class Keyring:
    source: str  # where the keys came from, for error messages (never the key itself)
    ciphers: dict[str, AESGCM]  # key id -> cipher, the encrypting key first

    @property
    def current(self) -> str:
        return next(iter(self.ciphers))


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"storage-backup catalog key\0" + key).hexdigest()[:8]


def generate_key() -> str:
    """A new key as ``STORAGE_BACKUP_CATALOG_KEY`` and the key file take it."""
    return base64.b64encode(os.urandom(32)).decode()


def _parse_keys(text: str, source: str) -> Keyring:
    ciphers: dict[str, AESGCM] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        for item in line.replace(",", " ").split():
            try:
                key = base64.b64decode(item.replace("-", "+").replace("_", "/") + "=" * (-len(item) % 4),
                                       validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != 32:
                raise CatalogKeyError(f"The catalog key from {source} is not base64 of 32 bytes; make one with "
                                      "`head -c 32 /dev/urandom | base64`.")
            ciphers.setdefault(key_id(key), AESGCM(key))
    if not ciphers:
        raise CatalogKeyError(f"{source} holds no catalog key; make one with `head -c 32 /dev/urandom | base64`.")
    return Keyring(source, ciphers)


@functools.lru_cache(maxsize=8)
def _keyring_from_env(text: str) -> Keyring:
    return _parse_keys(text, KEY_ENV)


def _create_key_file(path: str) -> None:
    """Write a new key beside ``path`` and link it into place: a process starting at the same time either wins
    the link or reads the winner's complete file, so every process ends up with the same key."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".catalog-key-", dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            LOG.warning("created the catalog key %s: keep a copy apart from the catalog's backups", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


@functools.lru_cache(maxsize=8)
def _keyring_from_file(path: str) -> Keyring:
    source = f"the key file {path}"
    try:
        if not os.path.exists(path):
            _create_key_file(path)
        with open(path) as handle:
            text = handle.read()
            mode = os.fstat(handle.fileno()).st_mode
    except OSError as error:
        raise CatalogKeyError(f"Cannot read or create {source}: {error.strerror}; set {KEY_FILE_ENV} or "
                              f"{KEY_ENV}.") from error
    if mode & 0o077:
        LOG.warning("%s is readable by other users (mode %o); chmod 600 it", path, mode & 0o777)
    return _parse_keys(text, source)


def key_file_path() -> str:
    return os.path.abspath(os.environ.get(KEY_FILE_ENV) or os.path.join(settings.DATA_DIR, KEY_FILE_NAME))


def keyring() -> Keyring:
    """This process's keys, read once per source (restart the processes after changing them)."""
    text = os.environ.get(KEY_ENV, "").strip()
    return _keyring_from_env(text) if text else _keyring_from_file(key_file_path())


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and SEALED.match(value) is not None


def seal(plaintext: str) -> str:
    ring = keyring()
    header = f"{PREFIX}{ring.current}:"
    nonce = os.urandom(NONCE_BYTES)
    data = nonce + ring.ciphers[ring.current].encrypt(nonce, plaintext.encode(), header.encode())
    return header + base64.urlsafe_b64encode(data).decode().rstrip("=")


def unseal(value: str, what: str = "A catalog secret") -> str:
    """The plaintext of a sealed value (a plaintext legacy value as it is). ``what`` names the value in errors:
    ``"The repository secret of destination 'nfs-1' (3f2…)"``."""
    match = SEALED.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    ring = keyring()
    cipher = ring.ciphers.get(match["key_id"])
    if cipher is None:
        raise SecretUnreadable(
            f"{what} was encrypted with catalog key {match['key_id']}, but this process has key "
            f"{', '.join(ring.ciphers)} from {ring.source}. Give the REST API, the control worker and beat the same "
            f"key: the same {KEY_ENV}, or the same key file ({KEY_FILE_ENV}, default <data dir>/{KEY_FILE_NAME}).")
    try:
        data = base64.urlsafe_b64decode(match["data"] + "=" * (-len(match["data"]) % 4))
        return cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], value[:match.start("data")].encode()).decode()
    except (InvalidTag, binascii.Error, UnicodeDecodeError):
        raise SecretUnreadable(f"{what} does not decrypt with catalog key {match['key_id']} from {ring.source}: "
                               "the stored value was altered; set the secret again.") from None


def _describe(instance: models.Model, secret: str) -> str:
    name = instance.__dict__.get("name")
    named = f"{name!r} ({instance.pk})" if name else str(instance.pk)
    return f"The {secret} of {instance._meta.model_name} {named}"


class _SealedAttribute(DeferredAttribute):
    """Reading decrypts (and keeps the plaintext on the instance); writing stores the value as given."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        opened = self.field.open_value(super().__get__(instance, cls), instance)
        instance.__dict__[self.field.attname] = opened
        return opened

    def __set__(self, instance, value) -> None:
        # A data descriptor, unlike DeferredAttribute: otherwise the instance's __dict__ would shadow __get__.
        instance.__dict__[self.field.attname] = value


class _SealedField:
    descriptor_class = _SealedAttribute

    def pre_save(self, model_instance, add):
        # The value as loaded or assigned, not decrypted: a row whose secret was never read (or cannot be) saves
        # its stored form unchanged; get_prep_value encrypts whatever is plaintext.
        if self.attname in model_instance.__dict__:
            return model_instance.__dict__[self.attname]
        return super().pre_save(model_instance, add)

    def value_from_object(self, obj):
        # What Django's serializers (dumpdata) write: the stored form, never the plaintext.
        return self.seal_value(self.pre_save(obj, False))


class SealedTextField(_SealedField, models.TextField):
    """A text column holding one secret; empty means none."""

    def seal_value(self, value):
        return seal(value) if isinstance(value, str) and value and not is_sealed(value) else value

    def open_value(self, value, instance: models.Model):
        return unseal(value, _describe(instance, self.name.replace("_", " "))) if is_sealed(value) else value

    def get_prep_value(self, value):
        return self.seal_value(super().get_prep_value(value))


class SealedJSONField(_SealedField, models.JSONField):
    """A JSON object some of whose entries (``secret_keys``) are secrets; the rest stays readable in the row."""

    def __init__(self, *args, secret_keys: tuple[str, ...] = ("private_key",), **kwargs):
        self.secret_keys = tuple(secret_keys)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.secret_keys != ("private_key",):
            kwargs["secret_keys"] = self.secret_keys
        return name, path, args, kwargs

    def seal_value(self, value):
        if not isinstance(value, dict):
            return value
        return {key: seal(item) if key in self.secret_keys and isinstance(item, str) and item and not is_sealed(item)
                else item for key, item in value.items()}

    def open_value(self, value, instance: models.Model):
        if not isinstance(value, dict) or not any(is_sealed(value.get(key)) for key in self.secret_keys):
            return value
        return {key: unseal(item, _describe(instance, f"{key} of {self.name}"))
                if key in self.secret_keys else item for key, item in value.items()}

    def get_prep_value(self, value):
        return super().get_prep_value(self.seal_value(value))


def stored(instance: models.Model, field_name: str):
    """A sealed field's value without decrypting it (the stored form, or a plaintext not saved yet): for showing
    that a secret is set without needing the key."""
    return instance._meta.get_field(field_name).pre_save(instance, False)
