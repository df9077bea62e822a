# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""docs/TASKS.md and ``storage_backup.contract`` say the same: every task with its queue, request and result type;
every type a message can hold with each of its fields, its type and whether it is required; every failure code and
whether it is retryable; the Redis keys. Nothing in the document's tables is missing from the code, and nothing in
the code from the tables."""
from __future__ import annotations

import os
import re
import typing

import pytest
from storage_backup import contract
from storage_backup.contract.message import Record, describe

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "TASKS.md")
CODE = re.compile(r"^`([^`]+)`$")


def _doc() -> str:
    with open(DOC, encoding="utf-8") as handle:
        return handle.read()


def tables(text: str) -> dict[str, list[list[str]]]:
    """``{heading: rows}`` of every table, under the nearest heading above it (rows without the header line)."""
    found: dict[str, list[list[str]]] = {}
    heading = ""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            continue
        if not line.startswith("|") or index + 1 >= len(lines):
            continue
        if re.fullmatch(r"\|(\s*-+\s*\|)+", lines[index + 1].strip()):  # a header: the rows follow
            assert heading not in found, f"two tables under {heading!r}"
            rows = []
            for row in lines[index + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([cell.strip() for cell in row.strip().strip("|").split("|")])
            found[heading] = rows
    return found


def unquote(cell: str) -> str:
    match = CODE.match(cell)
    assert match, f"expected a `name` in backquotes, found {cell!r}"
    return match.group(1)


def message_types() -> list[type[Record]]:
    """Every type a task's request, result, failure or progress can hold, nested ones included."""
    seen: list[type[Record]] = []

    def walk(kind: type[Record] | None) -> None:
        if kind is None or kind in seen:
            return
        seen.append(kind)
        for hint in kind.fields().values():
            for part in [hint, *typing.get_args(hint), *(a for arg in typing.get_args(hint)
                                                         for a in typing.get_args(arg))]:
                if isinstance(part, type) and issubclass(part, Record):
                    walk(part)

    for spec in contract.TASKS.values():
        walk(spec.request)
        walk(spec.result)
    walk(contract.TaskFailure)
    walk(contract.Progress)
    return seen


@pytest.fixture(scope="module")
def doc_tables() -> dict[str, list[list[str]]]:
    return tables(_doc())


def test_every_task_and_only_those(doc_tables):
    rows = doc_tables["Tasks"]
    documented = {unquote(row[0]): row for row in rows}
    assert set(documented) == set(contract.TASKS), "docs/TASKS.md's task table and contract.TASKS differ"
    for name, (_, queue, request, result) in documented.items():
        spec = contract.TASKS[name]
        assert unquote(queue) == spec.queue, name
        assert (request == "none") if spec.request is None else unquote(request) == spec.request.__name__, name
        assert unquote(result) == spec.result.__name__, name


def test_every_queue_is_documented(doc_tables):
    queues = {unquote(row[0]) for row in doc_tables["Queues"]}
    assert queues == {spec.queue for spec in contract.TASKS.values()} | {contract.CONTROL_QUEUE}


@pytest.mark.parametrize("kind", message_types(), ids=lambda kind: kind.__name__)
def test_every_field_of_every_type(doc_tables, kind):
    rows = doc_tables.get(f"`{kind.__name__}`")
    assert rows is not None, f"docs/TASKS.md has no table under a heading `{kind.__name__}`"
    documented = {unquote(row[0]): row for row in rows}
    assert list(documented) == list(kind.fields()), f"the fields of {kind.__name__} differ (or their order)"
    required = kind.required()
    for name, hint in kind.fields().items():
        _, kind_cell, required_cell, meaning = documented[name]
        assert kind_cell == describe(hint), f"{kind.__name__}.{name}: documented as {kind_cell!r}"
        assert required_cell == ("yes" if name in required else "no"), f"{kind.__name__}.{name}: required?"
        assert meaning, f"{kind.__name__}.{name} has no meaning in docs/TASKS.md"


def test_no_table_of_a_type_the_code_does_not_have(doc_tables):
    types = {f"`{kind.__name__}`" for kind in message_types()}
    field_tables = {heading for heading, rows in doc_tables.items() if heading.startswith("`")}
    assert field_tables <= types, f"docs/TASKS.md documents types the contract does not have: {field_tables - types}"


def test_every_request_and_result_is_versioned():
    for spec in contract.TASKS.values():
        for kind in (spec.request, spec.result):
            if kind is not None:
                assert issubclass(kind, contract.Message) and "version" in kind.fields(), kind.__name__


def test_every_failure_code_and_only_those(doc_tables):
    documented = {unquote(row[0]): row[1] for row in doc_tables["Failure codes"]}
    assert set(documented) == {str(code) for code in contract.FailureCode}
    for code, retryable in documented.items():
        assert retryable == ("yes" if code in contract.RETRYABLE else "no"), code


def test_every_job_type_runs_a_documented_task(doc_tables):
    for row in doc_tables["Jobs and the tasks they run"]:
        assert unquote(row[1]) in contract.TASKS, row


def test_the_redis_keys_are_documented():
    text = _doc()
    for key in (contract.CANCEL_KEY, contract.LOG_KEY, contract.ALIVE_KEY, contract.RUNNER_KEY, contract.ATTEMPT_KEY):
        assert key.replace("{job_id}", "<job_id>").replace("{task_id}", "<task_id>") in text, key
