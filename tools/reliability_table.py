#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The README's "Reliability" table, generated from the fault matrix's results (``tox -e faults`` writes them to
``test-artifacts/reliability.json``), never written by hand.

    tools/reliability_table.py test-artifacts/reliability.json              print it, write reliability.md beside
    tools/reliability_table.py test-artifacts/reliability.json --readme README.md   and replace the README's table

``make reliability`` runs the matrix and then the second form. The README's table sits between the markers
``<!-- reliability:begin -->`` and ``<!-- reliability:end -->``; ``tests/unit/faults`` checks that it names every drill
of ``tests/faults`` and no other.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def outcome(row: dict) -> str:
    if not row["passed"]:
        return "**FAILED** (" + (row["error"][:80] or row["job_state"] or "see the test log") + ")"
    state = row["job_state"] or "—"
    if state == "succeeded" and row["attempts"] > 1:
        return f"succeeded after {row['attempts']} attempts"
    if state == "failed":
        return "failed: " + _sentence(row["error"])
    return state


def _sentence(error: str, limit: int = 90) -> str:
    error = " ".join(error.split())
    return error if len(error) <= limit else error[:limit - 1] + "…"


def table(rows: list[dict]) -> str:
    lines = ["| Fault injected | Expected | Job outcome | Answer in | Whole again in |",
             "|---|---|---|---|---|"]
    for row in rows:
        cells = [row["fault"], row["expected"], outcome(row), seconds(row["ended_seconds"]),
                 seconds(row["recovered_seconds"])]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    passed = sum(1 for row in rows if row["passed"])
    lines.append("")
    lines.append(f"{passed} of {len(rows)} drills passed all four checks. \"Answer in\": from the fault to the job's "
                 "end; \"whole again in\": to the four checks passing, a fresh backup of the instance included.")
    return "\n".join(lines)


def replace_in_readme(readme: str, text: str) -> None:
    with open(readme) as handle:
        content = handle.read()
    if BEGIN not in content or END not in content:
        raise SystemExit(f"{readme} has no {BEGIN} … {END} section to replace")
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(readme, "w") as handle:
        handle.write(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="reliability.json written by the fault matrix (tox -e faults)")
    parser.add_argument("--readme", help="replace this README's Reliability table")
    args = parser.parse_args(argv)
    with open(args.results) as handle:
        rows = json.load(handle)["drills"]
    text = table(rows)
    with open(os.path.splitext(args.results)[0] + ".md", "w") as handle:
        handle.write(text + "\n")
    print(text)
    if args.readme:
        replace_in_readme(args.readme, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
