# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Run the test tiers one after another, each through tox, and print each tier's time beside its budget.

    python tools/run_tiers.py pep8:0.5 unit:5 functional:15 browser:5

A tier fails when its tox environment fails or when it takes more than half again its budget (minutes). Every
tier runs even after one failed, so one CI run shows them all; the exit status is 0 only when all passed. The
table also goes to ``test-artifacts/tiers.md``. ``make test`` calls this with the budgets of the Makefile.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVER_BUDGET_FACTOR = 1.5


@dataclass
class Tier:
    name: str
    budget_minutes: float
    seconds: float = 0.0
    exit_status: int | None = None

    @property
    def over_budget(self) -> bool:
        return self.seconds > self.budget_minutes * 60 * OVER_BUDGET_FACTOR

    @property
    def verdict(self) -> str:
        if self.exit_status is None:
            return "not run"
        if self.exit_status != 0:
            return f"FAILED (tox exit {self.exit_status})"
        if self.over_budget:
            return f"FAILED (over {OVER_BUDGET_FACTOR:g} x budget)"
        return "passed" if self.seconds <= self.budget_minutes * 60 else "passed, over budget"

    @property
    def passed(self) -> bool:
        return self.exit_status == 0 and not self.over_budget


def parse_tier(text: str) -> Tier:
    name, _, budget = text.partition(":")
    try:
        minutes = float(budget)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write a tier as NAME:MINUTES, e.g. unit:5") from None
    if not name or minutes <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a tier needs a name and a budget above 0 minutes")
    return Tier(name, minutes)


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def table(tiers: list[Tier]) -> str:
    rows = ["| tier | time | budget | result |", "|---|---|---|---|"]
    for tier in tiers:
        rows.append(f"| {tier.name} | {minutes(tier.seconds)} | {minutes(tier.budget_minutes * 60)} | "
                    f"{tier.verdict} |")
    total = sum(tier.seconds for tier in tiers)
    budget = sum(tier.budget_minutes for tier in tiers) * 60
    rows.append(f"| all | {minutes(total)} | {minutes(budget)} | "
                f"{'passed' if all(t.passed for t in tiers) else 'FAILED'} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tiers", nargs="+", type=parse_tier, help="NAME:BUDGET_MINUTES, a tox environment each")
    parser.add_argument("--tox", default=os.path.join(REPO_ROOT, ".venv", "bin", "tox"))
    args = parser.parse_args(argv)
    tiers: list[Tier] = args.tiers
    for tier in tiers:
        print(f"\n==== tier {tier.name} (budget {minutes(tier.budget_minutes * 60)}) ====", flush=True)
        started = time.monotonic()
        tier.exit_status = subprocess.call([args.tox, "-e", tier.name], cwd=REPO_ROOT, stdin=subprocess.DEVNULL)
        tier.seconds = time.monotonic() - started
        print(f"==== tier {tier.name}: {tier.verdict} in {minutes(tier.seconds)} ====", flush=True)
    report = table(tiers)
    print("\n" + report)
    os.makedirs(os.path.join(REPO_ROOT, "test-artifacts"), exist_ok=True)
    with open(os.path.join(REPO_ROOT, "test-artifacts", "tiers.md"), "w", encoding="utf-8") as out:
        out.write(report + "\n")
    return 0 if all(tier.passed for tier in tiers) else 1


if __name__ == "__main__":
    sys.exit(main())
