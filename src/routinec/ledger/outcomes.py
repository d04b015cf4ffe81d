"""Ledger layer: checking an outcome before it is appended, and the field-level difference a
correction makes.

In: a run record, the verdict, a correction and the lock. Out: the correction validated
against the output schema of the lock entry the run used (found by its output schema hash),
and `field_diff`: `[{"path": "/risk", "op": "changed", "from": …, "to": …}]` in JSON Pointer
order. No database import: the store runs these checks inside its write transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from routinec.canonical import json_number
from routinec.codes import Code
from routinec.config import Config
from routinec.ledger.errors import LedgerError
from routinec.ledger.model import SOURCES, VERDICTS, RunRecord
from routinec.lockfile import read_lock

__all__ = ["check_verdict", "field_diff", "validate_correction"]


def check_verdict(verdict: str, source: str, correction: Any) -> None:
    if verdict not in VERDICTS:
        raise LedgerError(Code.INVALID_OUTCOME, f"unknown verdict {verdict!r}", hint=f"use one of {', '.join(VERDICTS)}")
    if source not in SOURCES:
        raise LedgerError(Code.INVALID_OUTCOME, f"unknown outcome source {source!r}", hint=f"use one of {', '.join(SOURCES)}")
    if verdict == "modified" and correction is None:
        raise LedgerError(Code.INVALID_OUTCOME, "a 'modified' outcome needs the corrected output",
                          hint="pass correction= (CLI: --correction FILE with the corrected JSON output)")
    if verdict != "modified" and correction is not None:
        raise LedgerError(Code.INVALID_OUTCOME, f"a correction only goes with 'modified', not {verdict!r}",
                          hint="drop the correction, or record the verdict 'modified'")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        number = json_number(value)
        return float(number) if isinstance(number, Decimal) else number
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def validate_correction(config: Config, run: RunRecord, correction: Any) -> None:
    """The corrected output must fit the output schema the run was held to."""
    lock = read_lock(config.lock_path, check_hashes=False)
    entry = lock.routines.get(run.routine)
    if entry is None or entry.output_schema_hash != run.output_schema_hash:
        # A run of a version on a rollout channel: its frozen entry has the schema.
        rollout = lock.rollout.get(run.routine)
        frozen = rollout.frozen.get(run.version) if rollout is not None else None
        entry = frozen if frozen is not None else entry
    if entry is None or entry.output_schema_hash != run.output_schema_hash:
        raise LedgerError(
            Code.INVALID_CORRECTION,
            f"{config.lockfile} no longer holds the output schema run {run.run_id} used ({run.routine} v{run.version})",
            hint="record the outcome from a checkout whose lock has that version (git checkout the run's commit)",
        )
    from jsonschema import Draft202012Validator  # only a correction is validated (~70 ms to import)

    validator = Draft202012Validator(_plain(entry.output_schema))
    errors = sorted(validator.iter_errors(_plain(correction)), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/" + "/".join(str(p) for p in first.absolute_path)
        raise LedgerError(
            Code.INVALID_CORRECTION,
            f"the correction does not match {run.routine} v{run.version}'s output schema at {where}: {first.message}",
            hint="fix the corrected output so it validates; nothing was recorded",
        )


def _pointer(parts: tuple[str, ...]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""


def field_diff(old: Any, new: Any, *, values: bool = True) -> list[dict[str, Any]]:
    """Leaf-level changes from `old` to `new` (objects by key, lists by index)."""
    out: list[dict[str, Any]] = []

    def walk(a: Any, b: Any, parts: tuple[str, ...]) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if key not in b:
                    out.append(_change((*parts, key), "removed", a[key], None, values))
                elif key not in a:
                    out.append(_change((*parts, key), "added", None, b[key], values))
                else:
                    walk(a[key], b[key], (*parts, key))
        elif isinstance(a, list) and isinstance(b, list):
            for i in range(max(len(a), len(b))):
                if i >= len(b):
                    out.append(_change((*parts, str(i)), "removed", a[i], None, values))
                elif i >= len(a):
                    out.append(_change((*parts, str(i)), "added", None, b[i], values))
                else:
                    walk(a[i], b[i], (*parts, str(i)))
        elif _plain(a) != _plain(b) or (type(a) is bool and type(b) is not bool):
            out.append(_change(parts, "changed", a, b, values))

    walk(old, new, ())
    return out


def _change(parts: tuple[str, ...], op: str, old: Any, new: Any, values: bool) -> dict[str, Any]:
    change: dict[str, Any] = {"path": _pointer(parts), "op": op}
    if values:
        if op != "added":
            change["from"] = old
        if op != "removed":
            change["to"] = new
    return change
