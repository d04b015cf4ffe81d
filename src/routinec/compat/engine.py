"""Compat layer: the public entry points `compare` and `accepts`.

In: two JSON Schemas (dicts or booleans), a direction and a policy. Out: a `Report`. Pure:
no I/O. Bad input raises `SchemaError`; undecided findings are settled by the counterexample
search where it finds a value, and stay WARN (ERR under strict) where it does not.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from routinec.compat import combinators, families, objects
from routinec.compat.dialect import Upgraded, detect, upgrade
from routinec.compat.errors import SchemaError
from routinec.compat.load import check_schema
from routinec.compat.member import member3
from routinec.compat.node import normalise
from routinec.compat.regex import budget as regex_budget
from routinec.compat.report import Counterexample, Finding, Level, Report
from routinec.compat.rules import POLICIES, Context
from routinec.compat.sample import MAX_ARRAY, MAX_STRING
from routinec.compat.search import Searcher
from routinec.compat.walk import Pass, State, Walker, enums, types, unknown_keywords
from routinec.compat.wording import edge_message

__all__ = ["accepts", "compare"]

DIRECTIONS = ("out", "in")

# the walk's passes over each core node pair, in order (sqlglot's RULES style); a pass that
# returns True leaves nothing further to compare for the pair
PASSES: tuple[Pass, ...] = (
    unknown_keywords,  # keywords the engine does not understand, unresolved $refs
    enums,  # enum/const as value sets
    combinators.compare,  # not, if/then/else, allOf, anyOf/oneOf
    types,  # the type sets
    families.compare,  # format, numbers, strings, arrays
    objects.compare,  # properties, required, additional/pattern properties, ...
)


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


# schemas may nest MAX_DEPTH (256) JSON levels; the meta-schema check, the normalisation and
# the walk recurse a few frames per level, more than Python's default limit of 1,000 allows.
# Only those bounded passes run with the higher limit: jsonschema, in the search, recurses
# without end on coinductive schemas and must meet the default limit long before the C stack.
_RECURSION = 8_000


@contextmanager
def _deep() -> Iterator[None]:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _run(old: Any, new: Any, ctx: Context, search: bool, validate: bool) -> Report:
    if ctx.direction not in DIRECTIONS:
        raise SchemaError(f"unknown direction {ctx.direction!r}", "use 'out' or 'in'")
    if ctx.policy not in POLICIES:
        raise SchemaError(f"unknown policy {ctx.policy!r}", "use " + ", ".join(POLICIES))
    labels = ("producer", "consumer") if ctx.edge else ("old", "new")
    # validate=False: the caller already checked both (load_file/load_text do), skip the
    # meta-schema pass, which costs more than the comparison itself on large schemas
    with _deep(), regex_budget():
        check_schema(old, labels[0], meta=validate)
        check_schema(new, labels[1], meta=validate)
        up_old, up_new = upgrade(old, *detect(old)), upgrade(new, *detect(new))
        raw_old, raw_new = old, new
        old, new = up_old.schema, up_new.schema
        try:
            old_root, new_root = normalise(old, labels[0]), normalise(new, labels[1])
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            check_schema(raw_old, labels[0])
            check_schema(raw_new, labels[1])
            raise SchemaError("not a valid JSON Schema", "validate both schemas") from None
        state = State(ctx, _defs(old) == _defs(new), PASSES)
        walker = Walker(state)
        try:
            walker.diff(old_root, new_root)
        except RecursionError:
            raise SchemaError(
                "schemas nested too deeply to compare", "flatten them with $defs"
            ) from None
    for finding in walker.findings:
        finding.path = (up_old if finding.side == "old" else up_new).original(finding.path)
    findings = _dedupe(walker.findings + _dialect_notes(up_old, up_new))
    if ctx.edge:
        for finding in findings:
            finding.message = edge_message(finding)
    searcher = Searcher(old, new, old_root, new_root)
    counterexample = None
    if search:
        try:
            counterexample = _settle(findings, searcher, ctx)
        except RecursionError:
            counterexample = None
    findings.sort(key=Finding.sort_key)
    return Report(ctx.direction, ctx.policy, findings, counterexample, edge=ctx.edge)


def _dialect_notes(old: Upgraded, new: Upgraded) -> list[Finding]:
    notes = []
    for side, up in (("old", old), ("new", new)):
        if up.note:
            notes.append(
                Finding(
                    "dialect-assumed",
                    Level.INFO,
                    "#",
                    up.note,
                    None,
                    up.dialect,
                    True,
                    True,
                    side,
                )
            )
    return notes


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
    """Decide findings by search; pick one confirmed counterexample for the report.

    Undecided findings become ERR when the search finds a value. An ERR the rules derived
    from one keyword, where other constraints at the same node could mask it, must be
    confirmed the same way: without a counterexample it is downgraded to WARN (undecided).
    """
    valid_in = "new" if ctx.direction == "out" else "old"
    found: Counterexample | None = None
    settled: set[int] = set()
    by_pair: dict[tuple[int, int], list[Finding]] = {}
    for finding in findings:
        if finding.local is not None:
            by_pair.setdefault((id(finding.local[0]), id(finding.local[1])), []).append(finding)
    for finding in findings:
        fact = _breaking_fact(finding, ctx)
        if fact is not None or finding.level is Level.INFO:
            continue
        box = searcher.find(finding, valid_in)
        if box is None:
            continue
        settled.add(id(finding))
        _set_fact(finding, ctx, False)
        finding.level = Level.ERR
        finding.message += " (a counterexample was found)"
        if found is None and searcher.confirm(box[0], valid_in):
            found = Counterexample(box[0], valid_in, finding.rule_id, finding.path)
    for finding in findings:
        if finding.level is not Level.ERR or _breaking_fact(finding, ctx) is not False:
            continue
        if id(finding) in settled or not _maskable(finding, by_pair, valid_in, searcher):
            continue
        box = searcher.find(finding, valid_in)
        confirmed = None if box is None else searcher.confirm3(box[0], valid_in)
        if confirmed is True and found is None:
            assert box is not None
            found = Counterexample(box[0], valid_in, finding.rule_id, finding.path)
        if confirmed is not False and box is not None:
            continue  # found; jsonschema agrees, or cannot run here (recursive schemas)
        _set_fact(finding, ctx, None)
        finding.level = Level.ERR if ctx.strict else Level.WARN
        finding.message += _undecided(finding, ctx)
    if found is not None:
        return found
    for finding in findings:
        if finding.level is not Level.ERR:
            continue
        box = searcher.find(finding, valid_in, deep=False)
        if box is not None and searcher.confirm(box[0], valid_in):
            return Counterexample(box[0], valid_in, finding.rule_id, finding.path)
    if any(f.level is Level.ERR for f in findings):
        box = searcher.find(findings[0], valid_in) if findings else None
        if box is not None and searcher.confirm(box[0], valid_in):
            return Counterexample(box[0], valid_in, "", "#")
    return None


def _undecided(finding: Finding, ctx: Context) -> str:
    """Why a rule's verdict stays undecided: past the search's size bound, or no value found."""
    bounds = [v for v in (finding.old_value, finding.new_value) if isinstance(v, int)]
    cap = MAX_ARRAY if "items" in finding.rule_id else MAX_STRING
    if any(v > cap for v in bounds if not isinstance(v, bool)) and (
        "items" in finding.rule_id or "length" in finding.rule_id
    ):
        return (
            f" (undecided: a counterexample would be longer than {cap}, and the search never "
            "builds values whose size grows with a bound)"
        )
    what = "difference" if ctx.edge else "change"
    return f" (no counterexample was found; other constraints may make this {what} harmless)"


def _breaking_fact(finding: Finding, ctx: Context) -> bool | None:
    return finding.new_in_old if ctx.direction == "out" else finding.old_in_new


def _set_fact(finding: Finding, ctx: Context, fact: bool | None) -> None:
    if ctx.direction == "out":
        finding.new_in_old = fact
    else:
        finding.old_in_new = fact


# trail steps whose siblings (other union branches, other conjuncts) can hide a local change
_MASKING_STEPS = frozenset({"branch", "allOf"})
# rules about what jsonschema does not validate (annotations, content, formats, unknown
# keywords): no value can confirm them, so they keep the level the rules give them
_NOT_BY_VALUE = frozenset(
    {
        "content-encoding-changed",
        "content-media-type-changed",
        "format-added",
        "format-removed",
        "format-changed",
        "unsupported-keyword",
        "ref-unresolved",
        "dialect-assumed",
        "default-added",
        "default-changed",
        "default-removed",
        "deprecated-added",
        "deprecated-removed",
    }
)


def _maskable(
    finding: Finding,
    by_pair: dict[tuple[int, int], list[Finding]],
    valid_in: str,
    searcher: Searcher,
) -> bool:
    """Could other constraints at the finding's node (or around it) hide its effect?

    Yes when another change was found at the same node pair, when the finding sits inside
    a union branch or an allOf conjunct, or when no sampled value shows the local effect
    (an unchanged keyword beside the changed one may imply it). A lone keyword change with a
    local witness is structurally certain and stays ERR.
    """
    if finding.local is None or finding.rule_id in _NOT_BY_VALUE:
        return False
    lo, ln = finding.local
    if lo is None or ln is None:
        return False
    if lo.unknown or ln.unknown:
        return False  # the engine's validator cannot judge values here; keep the rule's word
    if any(
        other is not finding
        and other.rule_id not in _NOT_BY_VALUE
        and not (other.old_in_new is True and other.new_in_old is True)
        for other in by_pair.get((id(lo), id(ln)), ())
    ):
        return True
    if any(step[0][0] in _MASKING_STEPS for step in finding.trail):
        return True
    accept, reject = (ln, lo) if valid_in == "new" else (lo, ln)
    if any(member3(v, accept) is True and member3(v, reject) is False for v in finding.proof):
        return False
    return not searcher.local_values(accept, reject)
