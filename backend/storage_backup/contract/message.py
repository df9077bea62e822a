# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Typed messages: dataclasses that read and write the plain JSON a Celery task carries, checking it on the way in.

``Record`` is a part of a message (a destination, a volume's figures); ``Message`` is a task's request or result and
carries ``version``. ``from_message`` checks every field against its annotation (``str``, ``int``, ``float``,
``bool``, ``dict``, ``list[...]``, ``dict[str, ...]``, ``Literal[...]``, ``X | None``, a nested ``Record``) and raises
``ContractError`` naming the message and the field; a key the reader does not know is ignored (a newer writer may
add keys within a version), a message of a newer version is refused. A field without a default is required.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

_HINTS: dict[type, dict[str, Any]] = {}


class ContractError(ValueError):
    """A message does not follow docs/TASKS.md. ``newer`` when it was written by a newer version of the contract."""

    def __init__(self, message: str, *, newer: bool = False) -> None:
        super().__init__(message)
        self.newer = newer


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def describe(hint: Any) -> str:
    """A field's type as docs/TASKS.md writes it: ``string``, ``integer``, ``list of string``, ``Destination``…"""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return "any JSON"
    if origin in (typing.Union, types.UnionType):
        named = [describe(arg) for arg in args if arg is not type(None)]
        return " or ".join(named) + (" or null" if type(None) in args else "")
    if origin is Literal:
        return " or ".join(f'"{value}"' for value in args)
    if origin is list:
        return f"list of {describe(args[0])}"
    if origin is dict:
        return f"object of {describe(args[1])}"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object", list: "list"}
    if hint in names:
        return names[hint]
    return hint.__name__


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        alternatives = [arg for arg in args if arg is not type(None)]
        for alternative in alternatives[:-1]:
            try:
                return _convert(value, alternative, where)
            except ContractError:
                continue
        return _convert(value, alternatives[-1], where)
    if origin is Literal:
        if value not in args:
            raise ContractError(f"{where}: must be {describe(hint)}, not {value!r}")
        return value
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_message(value, where)
    if origin is list or hint is list:
        if not isinstance(value, list):
            raise ContractError(f"{where}: must be a list, not {_kind(value)}")
        return [_convert(item, args[0], f"{where}[{index}]") for index, item in enumerate(value)] if args \
            else list(value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ContractError(f"{where}: must be an object, not {_kind(value)}")
        return {str(key): _convert(item, args[1], f"{where}.{key}") for key, item in value.items()} if args \
            else dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ContractError(f"{where}: must be true or false, not {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContractError(f"{where}: must be an integer, not {_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ContractError(f"{where}: must be a number, not {_kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ContractError(f"{where}: must be a string, not {_kind(value)}")
        return value
    raise TypeError(f"{where}: the contract has no rule for the type {hint!r}")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), repr(value))


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_message()
    if isinstance(value, list | tuple):
        return [_dump(item) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Record:
    """A part of a message: plain JSON in, plain JSON out, checked on the way in."""

    # Fields left out of the JSON when they are None (a log entry's ``level``): the shape sent today.
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def fields(cls) -> dict[str, Any]:
        """``{name: type}`` of every field, in order: what docs/TASKS.md lists."""
        hints = _hints(cls)
        return {item.name: hints[item.name] for item in dataclasses.fields(cls)}

    @classmethod
    def required(cls) -> set[str]:
        return {item.name for item in dataclasses.fields(cls)
                if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING}

    def to_message(self) -> dict:
        message = {}
        for name in self.fields():
            value = getattr(self, name)
            if value is None and name in self.OMIT_WHEN_NONE:
                continue
            message[name] = _dump(value)
        return message

    @classmethod
    def from_message(cls, message: Any, where: str | None = None) -> Self:
        where = where or cls.__name__
        if not isinstance(message, dict):
            raise ContractError(f"{where}: must be a JSON object (docs/TASKS.md), not {_kind(message)}")
        values = {}
        required = cls.required()
        for name, hint in cls.fields().items():
            if name not in message:
                if name in required:
                    raise ContractError(f"{where}: '{name}' is missing (docs/TASKS.md {cls.__name__})")
                continue
            values[name] = _convert(message[name], hint, f"{where}.{name}")
        return cls(**values)


@dataclass(frozen=True)
class Message(Record):
    """A task's request or result. ``version`` is the version of the contract its writer speaks: a message without
    one is version 1 (what was sent before the field existed); a reader refuses a version newer than its own."""

    VERSION: ClassVar[int] = 1

    version: int = field(default=1, kw_only=True)

    def to_message(self) -> dict:
        return {**super().to_message(), "version": type(self).VERSION}

    @classmethod
    def from_message(cls, message: Any, where: str | None = None) -> Self:
        where = where or cls.__name__
        if isinstance(message, dict):
            version = message.get("version", 1)
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise ContractError(f"{where}.version: must be a whole number from 1, not {version!r}")
            if version > cls.VERSION:
                raise ContractError(f"{where} is version {version} of the task contract, newer than this side's "
                                    f"({cls.VERSION}): upgrade this side to the release that sent it", newer=True)
        return super().from_message(message, where)
