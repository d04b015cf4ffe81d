"""Compat layer: pure JSON Schema compatibility (schema in, report out; no DSL knowledge).

`compare(old, new, direction=, policy=)` diffs two versions of one schema; `accepts(producer,
consumer)` is the edge check. Both return a `Report`; bad input raises `SchemaError`.
"""

from __future__ import annotations

from routinec.compat.engine import accepts, compare
from routinec.compat.errors import SchemaError
from routinec.compat.report import Compatibility, Counterexample, Effect, Finding, Level, Report
from routinec.compat.rules import RULES, Rule

__all__ = [
    "RULES",
    "Compatibility",
    "Counterexample",
    "Effect",
    "Finding",
    "Level",
    "Report",
    "Rule",
    "SchemaError",
    "accepts",
    "compare",
]
