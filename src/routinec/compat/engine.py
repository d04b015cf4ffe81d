"""Compat layer: the public entry points `compare` and `accepts`.

In: two JSON Schemas (dicts or booleans), a direction and a policy. Out: a `Report`. Pure:
no I/O. Bad input raises `SchemaError`; undecided findings are settled by the counterexample
search where it finds a value, and stay WARN (ERR under strict) where it does not.
"""

from __future__ import annotations

from typing import Any

from routinec.compat.errors import SchemaError
from routinec.compat.load import check_schema
from routinec.compat.node import normalise
from routinec.compat.report import Counterexample, Finding, Level, Report
from routinec.compat.rules import POLICIES, Context
from routinec.compat.search import Searcher
from routinec.compat.walk import State, Walker

__all__ = ["accepts", "compare"]

DIRECTIONS = ("out", "in")


def compare(
    old: Any,
    new: Any,
    *,
    direction: str = "out",
    policy: str = "default",
    search: bool = True,
    validate: bool = True,
) -> Report:
    """Compare two versions of one schema.

    direction="out": a producer changed its output (breaks when new ⊄ old); "in": a consumer
    changed its input (breaks when old ⊄ new). `compatibility` is BACKWARD when new accepts
    everything old accepted, as in a schema registry.
    """
    return _run(old, new, Context(direction, policy), search, validate)


def accepts(
    producer: Any,
    consumer: Any,
    *,
    policy: str = "default",
    search: bool = True,
    validate: bool = True,
) -> Report:
    """Edge check: is every value the producer emits accepted by the consumer?"""
    return _run(producer, consumer, Context("in", policy, edge=True), search, validate)


def _defs(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return None
    return (schema.get("$defs"), schema.get("definitions"))


def _run(old: Any, new: Any, ctx: Context, search: bool, validate: bool) -> Report:
    if ctx.direction not in DIRECTIONS:
        raise SchemaError(f"unknown direction {ctx.direction!r}", "use 'out' or 'in'")
    if ctx.policy not in POLICIES:
        raise SchemaError(f"unknown policy {ctx.policy!r}", "use " + ", ".join(POLICIES))
    labels = ("producer", "consumer") if ctx.edge else ("old", "new")
    # validate=False: the caller already checked both (load_file/load_text do), skip the
    # meta-schema pass, which costs more than the comparison itself on large schemas
    check_schema(old, labels[0], meta=validate)
    check_schema(new, labels[1], meta=validate)
    try:
        old_root, new_root = normalise(old, labels[0]), normalise(new, labels[1])
    except (TypeError, ValueError, AttributeError, KeyError, IndexError):
        check_schema(old, labels[0])
        check_schema(new, labels[1])
        raise SchemaError("not a valid JSON Schema", "validate both schemas") from None
    state = State(ctx, _defs(old) == _defs(new))
    walker = Walker(state)
    try:
        walker.diff(old_root, new_root)
    except RecursionError:
        raise SchemaError(
            "schemas nested too deeply to compare", "flatten them with $defs"
        ) from None
    findings = _dedupe(walker.findings)
    searcher = Searcher(old, new, old_root, new_root)
    counterexample = None
    if search:
        try:
            counterexample = _settle(findings, searcher, ctx)
        except RecursionError:
            counterexample = None
    findings.sort(key=Finding.sort_key)
    return Report(ctx.direction, ctx.policy, findings, counterexample, edge=ctx.edge)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    out: list[Finding] = []
    for finding in sorted(findings, key=Finding.sort_key):
        key = finding.sort_key()
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _settle(findings: list[Finding], searcher: Searcher, ctx: Context) -> Counterexample | None:
    """Decide undecided findings by search; pick one confirmed counterexample for the report."""
    valid_in = "new" if ctx.direction == "out" else "old"
    found: Counterexample | None = None
    for finding in findings:
        fact = finding.new_in_old if ctx.direction == "out" else finding.old_in_new
        if fact is not None or finding.level is Level.INFO:
            continue
        value = searcher.find(finding, valid_in)
        if value is None:
            continue
        if ctx.direction == "out":
            finding.new_in_old = False
        else:
            finding.old_in_new = False
        finding.level = Level.ERR
        finding.message += " (a counterexample was found)"
        if found is None and searcher.confirm(value, valid_in):
            found = Counterexample(value, valid_in, finding.rule_id, finding.path)
    if found is not None:
        return found
    for finding in findings:
        if finding.level is not Level.ERR:
            continue
        value = searcher.find(finding, valid_in, deep=False)
        if value is not None and searcher.confirm(value, valid_in):
            return Counterexample(value, valid_in, finding.rule_id, finding.path)
    if any(f.level is Level.ERR for f in findings):
        value = searcher.find(findings[0], valid_in) if findings else None
        if value is not None and searcher.confirm(value, valid_in):
            return Counterexample(value, valid_in, "", "#")
    return None
