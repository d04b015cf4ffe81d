"""Provenance layer: check a statement against the ledger and the lock, field by field.

In: a `Config`, a parsed `Statement` and the ledger's `RunRecord` for its invocation id. Out:
`Finding`s (one per field whose value differs from what the ledger and the lock say now) and
notes (what could not be checked). The expected statement is rebuilt from the ledger record
and the lock entry the run used (`build.build_statement`), so the two agree by construction
on what a statement holds; every leaf is compared. Also a finding: the current
`routines.lock` no longer pins the entry the run used (the output is from a superseded
contract). Not findings: the git remote URL (it can move), a transcript re-recorded since
(another run's byproduct now; reported as a note).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from routinec.provenance.build import build_statement
from routinec.provenance.entries import find_entry
from routinec.provenance.statement import Statement

if TYPE_CHECKING:
    from routinec.config import Config
    from routinec.ledger.model import RunRecord

__all__ = ["Finding", "Verification", "verify_statement"]

_DEPS = "predicate.buildDefinition.resolvedDependencies"
_BYPRODUCTS = "predicate.runDetails.byproducts"
_LOCK_PARTS = ("[prompt]", "[input_schema]", "[output_schema]")
_IGNORED = (f"{_DEPS}[git].uri",)


@dataclass(frozen=True, slots=True)
class Finding:
    field: str  # a dotted path into the statement; descriptor lists indexed by name
    stated: Any
    expected: Any
    source: str  # ledger | lock | transcript

    def message(self) -> str:
        return f"{self.field}: the statement says {_show(self.stated)}, the {self.source} says {_show(self.expected)}"


@dataclass
class Verification:
    run_id: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "…"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves by path; lists of named objects are keyed by name (`resolvedDependencies[prompt]`)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        if not value and prefix:
            out[prefix] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list):
        named = all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in value)
        if not value:
            out[prefix] = []
        for index, item in enumerate(value):
            key = item["name"] if named else str(index)
            out.update(flatten(item, f"{prefix}[{key}]"))
    else:
        out[prefix] = value
    return out


def _source(path: str) -> str:
    if path.startswith(_DEPS) and any(path.startswith(_DEPS + part) for part in _LOCK_PARTS):
        return "lock"
    if path.startswith(f"{_BYPRODUCTS}[transcript]"):
        return "transcript"
    return "ledger"


def verify_statement(config: Config, statement: Statement, run: RunRecord, raw: Any = None) -> Verification:
    """`raw`: the file's JSON as read, so a field routinec never writes is a finding too."""
    result = Verification(run.run_id)
    expected = flatten(build_statement(config, run).to_json())
    stated = flatten(raw if raw is not None else statement.to_json())
    transcript = f"{_BYPRODUCTS}[transcript]"
    if any(k.startswith(transcript) for k in stated) and not any(k.startswith(transcript) for k in expected):
        result.notes.append("the transcript the statement names is no longer this run's (re-recorded or removed): not checked")
        stated = {k: v for k, v in stated.items() if not k.startswith(transcript)}
    for path in sorted(set(expected) | set(stated)):
        if path in _IGNORED:
            continue
        if expected.get(path) != stated.get(path):
            result.findings.append(Finding(path, stated.get(path), expected.get(path), _source(path)))
    found = find_entry(config, run)
    if not found.current:
        now = found.current_hash
        result.findings.append(Finding(
            f"{_DEPS}[{config.lock_path.relative_to(config.root).as_posix()}].annotations.entryHash", run.entry_hash, now, "current lock",
        ))
        result.notes.append(
            f"{run.routine} has moved on in {config.lock_path.name}"
            + (f" (now entry {now[:19]}…)" if now else " (no longer in it)")
            + ": this output comes from a superseded contract"
        )
    return result
