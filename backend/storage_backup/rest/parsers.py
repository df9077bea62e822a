# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The request body parser: JSON, bounded in depth, without NUL characters.

No request of this API nests deeper than a few levels, so a body nested beyond ``API_MAX_JSON_DEPTH`` is refused
before any serializer walks it (and one nested so deep that the decoder itself gives up is refused the same way).
A NUL character fits no field either, and PostgreSQL refuses to store one: it is refused here, naming the field.
"""
from __future__ import annotations

from django.conf import settings
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


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check_document(data)
        return data
