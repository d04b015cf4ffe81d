"""Adversarial schema pairs (tests/compat/adversarial.py): each comparison runs in a subprocess
capped at 512 MB of address space, with a 60 s hang guard (not a budget: the figures are
printed by `benchmarks/bench_compat_adversarial.py`), and must give a sane result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.compat.adversarial import CASES

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 512
HANG_GUARD_S = 60

# case id -> (expected compatibility or error text, worst level, rule ids that must appear)
EXPECT: dict[str, tuple[str, str | None, set[str]]] = {
    "zip-pattern-added": ("FORWARD", "INFO", {"pattern-added"}),
    "zip-pattern-min-length": ("FULL", "INFO", set()),
    "max-items-2-31": ("FORWARD", "WARN", {"max-items-added"}),
    "min-items-2-31": ("BACKWARD", "ERR", {"min-items-removed"}),
    "max-length-huge": ("NONE", "ERR", {"min-length-added"}),
    "enum-10000-added": ("BACKWARD", "ERR", {"enum-value-added"}),
    "enum-10000-reordered": ("FULL", "INFO", {"enum-reordered"}),
    "fields-300": ("FORWARD", "ERR", {"max-length-added"}),
    "unanchored-date-time-uuid": ("NONE", "ERR", {"pattern-changed"}),
    "alternation-50-words": ("FORWARD", "ERR", {"pattern-changed"}),
    "alternation-50-words-unanchored": ("FORWARD", "ERR", {"pattern-changed"}),
    "nested-quantifier": ("FULL", "INFO", {"pattern-changed"}),
    "counted-repetition-1e6": ("NONE", "WARN", {"pattern-changed"}),
    "determinisation-blowup": ("NONE", "ERR", {"pattern-changed"}),
    "nesting-1000": ("nested more than 256 levels", None, set()),
    "nesting-100": ("NONE", "ERR", {"type-changed"}),
    "mutual-refs": ("BACKWARD", "ERR", {"type-widened"}),
    "not-number-to-not-integer": ("BACKWARD", "INFO", {"not-changed"}),
    "all-of-30-unanchored-patterns": ("FORWARD", "WARN", {"pattern-changed"}),
    "one-of-200-object-branches": ("NONE", "ERR", {"schema-changed"}),
    "not-not-not-10-patterns": ("NONE", "ERR", {"not-changed"}),
    "long-alternation-pattern": ("NONE", "WARN", {"pattern-changed"}),
}


def run(case_id: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.compat.adversarial", case_id, str(LIMIT_MB)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_every_case_has_an_expectation() -> None:
    assert {case[0] for case in CASES} == set(EXPECT)


@pytest.mark.parametrize("case_id", [case[0] for case in CASES])
def test_adversarial_pair_is_bounded_and_sane(case_id: str) -> None:
    result = run(case_id)
    compatibility, worst, rules = EXPECT[case_id]
    if worst is None:
        assert compatibility in result["error"]
        return
    shown = json.dumps(result, indent=2)
    assert result["compatibility"] == compatibility, shown
    assert result["worst"] == worst, shown
    assert rules <= {line.split()[1] for line in result["findings"]}, shown
    if worst == "ERR":
        assert result["counterexample"], shown  # checked by jsonschema


def test_undecided_findings_say_why() -> None:
    result = run("counted-repetition-1e6")
    assert any("undecided" in m and "positions" in m for m in result["messages"])
    result = run("max-items-2-31")
    assert any("undecided" in m for m in result["messages"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            {"type": "number", "minimum": 1e300, "multipleOf": 1e-300},
            {"type": "number", "minimum": 1e300, "multipleOf": 3e-300},
        ),
        ({"type": "integer", "minimum": 1e300}, {"type": "integer", "minimum": 1e301}),
        ({"type": "number", "multipleOf": 1e-300}, {"type": "number", "multipleOf": 1e300}),
    ],
)
def test_far_apart_numbers_do_not_crash(old: Any, new: Any) -> None:
    from routinec.compat import compare

    for direction in ("out", "in"):
        report = compare(old, new, direction=direction)
        assert report.findings  # decided or undecided, never an arithmetic traceback
