# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The README's Reliability table is the fault matrix's, generated (tools/reliability_table.py): it names every drill
of tests/faults and no other, so a drill added or dropped without regenerating the table fails here."""
from __future__ import annotations

import ast
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _tool():
    spec = importlib.util.spec_from_file_location("reliability_table", os.path.join(ROOT, "tools",
                                                                                     "reliability_table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drills_in_the_matrix() -> set[str]:
    """The first argument of every ``@pytest.mark.fault(...)`` in tests/faults."""
    faults = set()
    folder = os.path.join(ROOT, "tests", "faults")
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        with open(os.path.join(folder, name)) as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fault"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                faults.add(node.args[0].value)
    return faults


def drills_in_the_readme() -> set[str]:
    tool = _tool()
    with open(os.path.join(ROOT, "README.md")) as handle:
        content = handle.read()
    section = content.split(tool.BEGIN, 1)[1].split(tool.END, 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Fault")]
    return {row.split(" | ")[0][2:].replace("\\|", "|") for row in rows}


def test_the_readme_table_names_every_drill_and_no_other():
    matrix, readme = drills_in_the_matrix(), drills_in_the_readme()
    assert len(matrix) >= 15
    assert readme == matrix, (f"regenerate the README's table (make reliability): missing {matrix - readme}, "
                              f"stale {readme - matrix}")


def test_the_table_says_what_failed_and_how_long_recovery_took():
    rows = [{"fault": "a | b", "expected": "x", "job_state": "failed", "attempts": 1, "error": "Snapshot s went to "
             "'error'", "ended_seconds": 4.25, "recovered_seconds": 12.0, "passed": True},
            {"fault": "c", "expected": "y", "job_state": "succeeded", "attempts": 2, "error": "",
             "ended_seconds": 30.0, "recovered_seconds": None, "passed": False}]
    text = _tool().table(rows)
    assert "| a \\| b | x | failed: Snapshot s went to 'error' | 4.2 s | 12 s |" in text
    assert "**FAILED**" in text and "1 of 2 drills passed" in text
