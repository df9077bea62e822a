# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The request body parser: JSON, bounded in size and depth, without NUL characters.

No request of this API carries more than a few kilobytes, so a body larger than ``API_MAX_BODY_BYTES`` is refused
(413) before it is parsed: by its Content-Length, and by reading at most one byte past the bound whatever that says,
so a client cannot make the API hold a gigabyte of JSON in memory. (A body without a Content-Length is not read at
all: Django REST framework takes it as empty.)

No request of this API nests deeper than a few levels, so a body nested beyond ``API_MAX_JSON_DEPTH`` is refused
before any serializer walks it (and one nested so deep that the decoder itself gives up is refused the same way).
A NUL character fits no field either, and PostgreSQL refuses to store one: it is refused here, naming the field.
"""
from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(f"is nested too deeply (at most {settings.API_MAX_JSON_DEPTH} levels)")


def check_document(data) -> None:
    """Refuse a parsed document nested beyond the bound or holding a NUL character (iterative: no recursion)."""
    limit = settings.API_MAX_JSON_DEPTH
    pending = [(data, "", 1)]
    while pending:
        value, where, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                raise _too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and "\x00" in key:
                    raise exceptions.ValidationError({where or "body": ["must not contain NUL characters."]})
                pending.append((item, name, depth + 1))
        elif isinstance(value, str) and "\x00" in value:
            raise exceptions.ValidationError({where or "body": ["must not contain NUL characters."]})


def read_bounded(stream, declared_length: int | None = None) -> bytes:
    """The whole body, or ``RequestDataTooBig`` once it is larger than ``API_MAX_BODY_BYTES``."""
    limit = settings.API_MAX_BODY_BYTES
    if (declared_length or 0) > limit or len(raw := stream.read(limit + 1)) > limit:
        raise RequestDataTooBig(f"is larger than {limit} bytes")
    return raw


def _declared_length(parser_context) -> int | None:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else None
    except (TypeError, ValueError):
        return None


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_bounded(stream, _declared_length(parser_context))
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check_document(data)
        return data
