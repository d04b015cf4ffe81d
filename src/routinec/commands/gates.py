"""Application layer: compatibility gates over lock entries (uses `routinec.compat`).

In: lock entries (their output/input schemas and consumer schemas). Out: diagnostics for
consumer edges that reject a producer's output, and for breaking schema changes made
without a version bump.
"""

from __future__ import annotations

import json
from typing import Any

from routinec.config import Config
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.lockfile import Lock

__all__ = ["breaking_changes", "edge_diagnostics", "finding_lines"]


def _value_text(value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def finding_lines(report: Any, level: str = "ERR") -> list[str]:
    out: list[str] = []
    for finding in getattr(report, "findings", ()):
        if str(getattr(finding, "level", "")) == level or getattr(getattr(finding, "level", None), "value", None) == level:
            rule = getattr(finding, "rule_id", "?")
            path = getattr(finding, "path", "#")
            out.append(f"{path}: {level} [{rule}] {getattr(finding, 'message', '')}")
    return out


def _has_level(report: Any, level: str) -> bool:
    return bool(finding_lines(report, level))


def _counterexample(report: Any) -> str | None:
    example = getattr(report, "counterexample", None)
    if example is None:
        return None
    value = getattr(example, "value", example)
    return _value_text(value)


def edge_diagnostics(lock: Lock, config: Config) -> list[Diagnostic]:
    """Every consumer a routine lists must accept everything its output schema allows."""
    try:
        from routinec.compat import accepts
    except ImportError:  # TEMP until the engine lands
        return []

    out: list[Diagnostic] = []
    for name in sorted(lock.routines):
        entry = lock.routines[name]
        for consumer in entry.get("consumers") or []:
            try:
                report = accepts(entry["output_schema"], consumer["schema"])
            except Exception as exc:  # the engine's own bad-input errors carry a message
                out.append(Diagnostic(
                    "consumer-break", Severity.ERROR,
                    f"{name} → {consumer['name']}: cannot compare schemas: {exc}",
                    Span(str(entry.get("source", ""))),
                ))
                continue
            errors = finding_lines(report, "ERR")
            if not errors:
                continue
            notes = tuple(errors[:10])
            example = _counterexample(report)
            if example is not None:
                notes += (f"counterexample: {consumer['name']} rejects {example}",)
            out.append(Diagnostic(
                "consumer-break", Severity.ERROR,
                f"consumer {consumer['name']!r} does not accept the output of {name!r}",
                Span(str(entry.get("source", ""))),
                "change the output so every consumer still accepts it, or update the consumer first",
                notes,
            ))
    return out


def breaking_changes(old: Lock, new: Lock, config: Config, *, for_lock: bool) -> list[Diagnostic]:
    """A schema change with ERR findings needs a version bump (v3 → v4)."""
    try:
        from routinec.compat import compare
    except ImportError:  # TEMP until the engine lands
        return []

    out: list[Diagnostic] = []
    for name in sorted(set(old.routines) & set(new.routines)):
        before, after = old.routines[name], new.routines[name]
        bumped = int(after.get("version", 0)) > int(before.get("version", 0))
        for key, direction, what in (
            ("output_schema", "out", "output"),
            ("input_schema", "in", "input"),
        ):
            if before.get(f"{key}_hash") == after.get(f"{key}_hash"):
                continue
            try:
                report = compare(before[key], after[key], direction=direction)
            except Exception as exc:
                out.append(Diagnostic(
                    "compat-break", Severity.ERROR,
                    f"{name}: cannot compare the locked and new {what} schemas: {exc}",
                    Span(str(after.get("source", ""))),
                ))
                continue
            errors = finding_lines(report, "ERR")
            if not errors:
                continue
            example = _counterexample(report)
            notes = tuple(errors[:10])
            if example is not None:
                notes += (f"counterexample: {example}",)
            if bumped:
                if for_lock:
                    continue
                out.append(Diagnostic(
                    "compat-break", Severity.NOTE,
                    f"{name}: breaking {what} schema change, accepted by the bump to v{after.get('version')}",
                    Span(str(after.get("source", ""))), None, notes,
                ))
                continue
            out.append(Diagnostic(
                "compat-break", Severity.ERROR,
                f"{name}: breaking change to the {what} schema without a version bump",
                Span(str(after.get("source", ""))),
                f"bump the routine's version (v{before.get('version')} → v{int(before.get('version', 0)) + 1}) "
                "so readers can tell the contract changed, then run 'routinec lock'",
                notes,
            ))
    return out
