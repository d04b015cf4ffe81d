"""Application layer: compatibility gates over lock entries (uses `routinec.compat`).

In: lock entries (their output/input schemas and consumer schemas). Out: diagnostics for
consumer edges that reject a producer's output, and for breaking schema changes made
without a version bump.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from routinec.codes import Code
from routinec.config import Config, discover_specs
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.lockfile import Lock, LockEntry

if TYPE_CHECKING:
    from routinec.compat import Report

__all__ = ["THEN_LOCK", "breaking_changes", "edge_diagnostics", "finding_lines", "lock_blockers"]

# Every gate error's hint is the step that makes `lock` pass, then this: `verify` strips it
# to say what to do before 'routinec lock' (which refuses while the gate fails).
THEN_LOCK = ", then run 'routinec lock'"


def _value_text(value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def finding_lines(report: Report, level: str = "ERR") -> list[str]:
    return [
        f"{f.path}: {f.level.value} [{f.rule_id}] {f.message}"
        for f in report.findings
        if f.level.value == level
    ]


def _routine_span(entry: LockEntry, config: Config, *, version: bool = False) -> Span:
    """Point at `routine NAME` in its spec, or at its `vN` when `version` (lock entries carry
    paths, not positions)."""
    path = entry.source
    needle = f"routine {entry.name} "
    try:
        with open(config.root / path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                column = line.find(needle)
                if column < 0:
                    continue
                start = column + len("routine ") + 1
                end = start + len(entry.name)
                if version:
                    rest = line[end - 1:]
                    tag = rest.split()[0] if rest.split() else ""
                    if tag.startswith("v"):
                        start = end + rest.index(tag)
                        end = start + len(tag)
                return Span(path, number, start, number, end)
    except (OSError, UnicodeDecodeError):
        pass
    return Span(path)


def _consumer_place(name: str, kind: str, config: Config) -> str:
    """Where a consumer is written: its schema file, or the spec with its `consumer` block."""
    if kind == "file":
        return f"schema {name}"
    needle = f"consumer {name} "
    for rel in discover_specs(config):
        try:
            text = (config.root / rel).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.split("\n"), 1):
            if line.lstrip().startswith(needle):
                return f"{name!r} ({rel}:{number})"
    return repr(name)


def lock_blockers(diagnostics: list[Diagnostic]) -> list[str]:
    """The steps that let `lock` pass again (gate errors' hints without the 'then run lock'),
    sorted and deduplicated; [] when no gate refuses the lock."""
    steps = {
        d.help.removesuffix(THEN_LOCK)
        for d in diagnostics
        if d.severity is Severity.ERROR and d.code in (Code.COMPAT_BREAK, Code.CONSUMER_BREAK)
        and d.help and d.help.endswith(THEN_LOCK)
    }
    return sorted(steps)


def _error_notes(report: Report, rejects: str = "") -> tuple[str, ...]:
    """The ERR findings (at most ten) and the counterexample, as diagnostic notes; () if none."""
    errors = finding_lines(report, "ERR")
    if not errors:
        return ()
    notes = tuple(errors[:10])
    if report.counterexample is not None:
        notes += (f"counterexample: {rejects}{_value_text(report.counterexample.value)}",)
    return notes


def rollout_edge_diagnostics(lock: Lock, config: Config) -> list[Diagnostic]:
    """During a rollout every channel's version runs: the consumers the current entry lists
    must accept the output of each frozen entry a channel points at, too."""
    import dataclasses

    out: list[Diagnostic] = []
    for name in sorted(lock.rollout):
        current = lock.routines.get(name)
        if current is None or not current.consumers:
            continue
        channels = lock.rollout[name].channels
        for channel, version in (("stable", channels.stable), ("canary", channels.canary.version if channels.canary else None)):
            frozen = lock.rollout[name].frozen.get(version) if version is not None else None
            if frozen is None or frozen.output_schema_hash == current.output_schema_hash:
                continue
            probe = dataclasses.replace(current, output_schema=frozen.output_schema)
            for diag in edge_diagnostics(type(lock)(routines={name: probe}), config):
                out.append(dataclasses.replace(diag, message=f"{diag.message} (v{version}, on the {channel} channel)"))
    return out


def edge_diagnostics(lock: Lock, config: Config) -> list[Diagnostic]:
    """Every consumer a routine lists must accept everything its output schema allows."""
    out: list[Diagnostic] = []
    if not any(entry.consumers for entry in lock.routines.values()):
        return out  # and the compat engine (~0.1 s of imports) stays unloaded
    from routinec.compat import SchemaError, accepts

    for name in sorted(lock.routines):
        entry = lock.routines[name]
        for consumer in entry.consumers:
            try:
                report = accepts(entry.output_schema, consumer.schema, validate=False)
            except SchemaError as exc:
                out.append(Diagnostic(
                    Code.CONSUMER_BREAK, Severity.ERROR,
                    f"{name} → {consumer.name}: cannot compare schemas: {exc}",
                    _routine_span(entry, config),
                    f"in {_consumer_place(consumer.name, consumer.kind, config)}: "
                    f"{exc.hint or 'make it a JSON Schema the compat engine can read'}{THEN_LOCK}",
                ))
                continue
            notes = _error_notes(report, f"{consumer.name} rejects ")
            if not notes:
                continue
            out.append(Diagnostic(
                Code.CONSUMER_BREAK, Severity.ERROR,
                f"consumer {consumer.name!r} does not accept the output of {name!r}",
                _routine_span(entry, config),
                f"fix the consumer {_consumer_place(consumer.name, consumer.kind, config)} so it accepts "
                f"this output, or change the output of {name!r}{THEN_LOCK}",
                notes,
            ))
    return out


def breaking_changes(old: Lock, new: Lock, config: Config, *, for_lock: bool) -> list[Diagnostic]:
    """A schema change with ERR findings needs a version bump (v3 → v4)."""
    out: list[Diagnostic] = []
    for name in sorted(set(old.routines) & set(new.routines)):
        before, after = old.routines[name], new.routines[name]
        bumped = after.version > before.version
        if after.version < before.version:
            out.append(Diagnostic(
                Code.COMPAT_BREAK, Severity.ERROR,
                f"{name}: version went down (v{before.version} → v{after.version})",
                _routine_span(after, config, version=True),
                f"set the version to v{before.version + 1} in {after.source} (versions only grow: "
                f"readers tell contracts apart by them){THEN_LOCK}",
            ))
            continue
        for key, direction, what in (
            ("output_schema", "out", "output"),
            ("input_schema", "in", "input"),
        ):
            if getattr(before, f"{key}_hash") == getattr(after, f"{key}_hash"):
                continue
            from routinec.compat import SchemaError, compare  # only when a schema changed

            try:
                report = compare(getattr(before, key), getattr(after, key), direction=direction, validate=False)
            except SchemaError as exc:
                out.append(Diagnostic(
                    Code.COMPAT_BREAK, Severity.ERROR,
                    f"{name}: cannot compare the locked and new {what} schemas: {exc}",
                    _routine_span(after, config),
                ))
                continue
            notes = _error_notes(report)
            if not notes:
                continue
            if bumped:
                if for_lock:
                    continue
                out.append(Diagnostic(
                    Code.COMPAT_BREAK, Severity.NOTE,
                    f"{name}: breaking {what} schema change, accepted by the bump to v{after.version}",
                    _routine_span(after, config, version=True), None, notes,
                ))
                continue
            out.append(Diagnostic(
                Code.COMPAT_BREAK, Severity.ERROR,
                f"{name}: breaking change to the {what} schema without a version bump",
                _routine_span(after, config, version=True),
                f"bump the version to v{before.version + 1} in {after.source} "
                f"(`routine {name} v{before.version + 1}`){THEN_LOCK}",
                notes,
            ))
    return out
