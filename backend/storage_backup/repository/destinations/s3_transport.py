# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How the S3 destination rides out a misbehaving object store: bounded retries, then one clear error.

* Every request goes through botocore's "standard" retry mode: connection refused or reset, read and connect
  timeouts, 500/502/503/504 and throttling (``SlowDown``) are retried up to ``S3Settings.max_attempts`` attempts in
  all, with exponential backoff and full jitter (base 50 ms, 1 s for throttling; at most 20 s a wait). Each attempt
  is bounded by ``connect_timeout`` and ``read_timeout`` (a read timeout bounds every socket read and send, so a
  stalled store fails after about ``read_timeout × max_attempts``, never hangs).
* botocore retries the request and its response headers, not the reading of a GET's body: ``read_object`` retries
  the whole GET when the body breaks off (a reset or a stall mid-transfer), within the same number of attempts.
* A retried request may find its first attempt done (the answer was lost on the way back): a retried
  CompleteMultipartUpload then gets ``NoSuchUpload``, and ``completed_meanwhile`` recognises the object it made by
  its multipart ETag, so a pack that is stored whole is not reported as failed.
* Once the attempts are spent, what escapes is ``DestinationUnavailable`` naming the destination's location (which
  never holds a credential) and what went wrong, instead of botocore's exception naming an internal URL; the
  original stays chained (``__cause__``) for the log. Errors the store answers on purpose (404, 403, 412...) stay
  ``ClientError`` for ``S3Destination`` to interpret.
"""
from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, IncompleteReadError

from ..errors import DestinationUnavailable

#: botocore's exceptions for a store that is gone, slow or cut off (all retried by its standard mode).
TRANSPORT_ERRORS = (ConnectionError, HTTPClientError, IncompleteReadError)
#: Codes of a store that is overloaded or failing (retried by botocore; left over once the attempts are spent).
_BUSY_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "503", "500"}


def unavailable(location: str, operation: str, error: BaseException, attempts: int) -> DestinationUnavailable:
    """The error a caller sees when ``operation`` failed ``attempts`` times against ``location``."""
    if isinstance(error, ClientError):
        reason = f"it kept answering {_status(error)} {_code(error)}"
    else:
        reason = _reason(error)
    return DestinationUnavailable(f"the S3 destination {location} is unavailable: {operation} failed after {attempts} "
                                  f"attempt(s), {reason}; nothing was half-written, run the job again once the object "
                                  "store answers")


def busy(error: ClientError) -> bool:
    """Whether the store answered with a failure of its own (5xx, throttling) rather than a refusal."""
    return _status(error) >= 500 or _code(error) in _BUSY_CODES


class TranslatedErrors:
    """Mixin of the boto3 client class (event ``creating-client-class.s3``, see ``install``): every API call,
    paginators' included, raises ``DestinationUnavailable`` once botocore's retries are spent."""

    _storage_backup_location = "S3"
    _storage_backup_attempts = 1

    def _make_api_call(self, operation_name, api_params):
        try:
            return super()._make_api_call(operation_name, api_params)
        except TRANSPORT_ERRORS as error:
            raise unavailable(self._storage_backup_location, operation_name, error,
                              self._storage_backup_attempts) from error
        except ClientError as error:
            if busy(error):
                raise unavailable(self._storage_backup_location, operation_name, error,
                                  self._storage_backup_attempts) from error
            raise


def install(session, location: str, attempts: int) -> None:
    """Make the S3 clients ``session`` creates translate transport failures (call before ``session.client``)."""

    def add_mixin(class_attributes, base_classes, **_kwargs):
        class_attributes["_storage_backup_location"] = location
        class_attributes["_storage_backup_attempts"] = attempts
        base_classes.insert(0, TranslatedErrors)

    session.events.register("creating-client-class.s3", add_mixin)


def read_object(request: Callable[[], dict], location: str, name: str, attempts: int) -> bytes:
    """The body of the GET ``request()`` makes, the GET made again (up to ``attempts`` times in all) when the body
    breaks off; ``request`` itself raises what ``TranslatedErrors`` makes of its own failures."""
    for attempt in range(1, max(1, attempts) + 1):
        body = request()["Body"]
        try:
            return body.read()
        except TRANSPORT_ERRORS as error:
            body.close()
            if attempt >= attempts:
                raise unavailable(location, f"reading {name}", error, attempts) from error
            time.sleep(random.random() * min(0.05 * 2 ** (attempt - 1), 20.0))  # botocore's own backoff
    raise AssertionError("unreachable")


def multipart_etag(parts: list[dict]) -> str:
    """The ETag S3 (and RGW) give the object a multipart upload of ``parts`` (``{"ETag": ...}`` each) makes."""
    digests = b"".join(bytes.fromhex(part["ETag"].strip('"')) for part in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def completed_meanwhile(client, bucket: str, key: str, parts: list[dict]) -> dict | None:
    """After ``NoSuchUpload`` from a (retried) CompleteMultipartUpload of ``parts``: the object an earlier attempt
    completed (``{"VersionId": ...}``), or None when ``key`` holds no such object."""
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return None
    if head.get("ETag") != multipart_etag(parts):
        return None
    return {"VersionId": head.get("VersionId")}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _reason(error: BaseException) -> str:
    """What went wrong, in words, without the request's URL (which names the endpoint the location already does)."""
    kind = type(error).__name__
    # botocore keeps the socket's own error in kwargs["error"]: a send that timed out surfaces as a closed
    # connection, and is a timeout all the same.
    detail = f"{error} {getattr(error, 'kwargs', {}).get('error', '')}".lower()
    if "Timeout" in kind or "timed out" in detail:
        return "it did not answer in time (read or connect timeout)"
    if kind == "EndpointConnectionError":
        return "the connection was refused or could not be made"
    if kind in ("ConnectionClosedError", "ResponseStreamingError", "IncompleteReadError"):
        return "the connection broke off"
    return f"{kind}"
