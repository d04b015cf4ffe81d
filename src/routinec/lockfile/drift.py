"""Lockfile layer: field-by-field differences between a locked entry and a fresh one.

In: two `LockEntry`s (or lock routine maps). Out: `Drift` records that read like
`summarize_pr: temperature 0 → 0.2`, sorted by routine and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from routinec.canonical import decimal_text
from routinec.lockfile.entry import LockEntry

__all__ = ["Drift", "diff_entries", "diff_routines", "short_hash"]


@dataclass(frozen=True, order=True)
class Drift:
    routine: str
    field: str
    old: str
    new: str
    kind: str = "changed"  # changed | added | removed
    # Where inside a hashed value (schemas, compare rules) it changed: "#/pointer: old → new".
    details: tuple[str, ...] = ()

    def text(self) -> str:
        if self.kind == "added":
            return f"{self.routine}: new routine, not in the lockfile"
        if self.kind == "removed":
            return f"{self.routine}: in the lockfile but no longer in any spec"
        if self.field in _HASHED:
            return f"{self.routine}: {_HASHED[self.field]} changed ({self.old} → {self.new})"
        return f"{self.routine}: {self.field} {self.old} → {self.new}"


_HASHED = {
    "prompt": "prompt",
    "input_schema": "input schema",
    "output_schema": "output schema",
    "spec": "spec",
}


def short_hash(value: Any) -> str:
    text = str(value)
    if text.startswith("sha256:"):
        return text[:15] + "…"
    return text


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str) and not value.startswith("sha256:"):
        return f'"{value}"' if " " in value or not value else value
    return short_hash(value)


def diff_entries(name: str, old: LockEntry, new: LockEntry) -> list[Drift]:
    out: list[Drift] = []

    def add(field: str, a: Any, b: Any, details: tuple[str, ...] = ()) -> None:
        if a != b:
            out.append(Drift(name, field, _show(a), _show(b), details=details))

    add("version", f"v{old.version}", f"v{new.version}")
    add("description", old.description, new.description)
    add("model", old.model.alias, new.model.alias)
    add("model snapshot", old.model.snapshot, new.model.snapshot)
    for key in ("lifecycle", "retires_at", "max_tokens_limit", "structured_outputs"):
        add(f"model {key}", getattr(old.model, key), getattr(new.model, key))
    old_params, new_params = old.params.values, new.params.values
    for key in sorted(set(old_params) | set(new_params)):
        add(key, old_params.get(key), new_params.get(key))
    add("state", old.state, new.state)
    add("prompt", old.prompt.hash, new.prompt.hash)
    if old.input_schema_hash != new.input_schema_hash:
        add("input_schema", old.input_schema_hash, new.input_schema_hash,
            pointer_diff(old.input_schema, new.input_schema))
    if old.output_schema_hash != new.output_schema_hash:
        add("output_schema", old.output_schema_hash, new.output_schema_hash,
            pointer_diff(old.output_schema, new.output_schema))
    old_cons = {c.name: c.schema_hash for c in old.consumers}
    new_cons = {c.name: c.schema_hash for c in new.consumers}
    for cname in sorted(set(old_cons) | set(new_cons)):
        if cname not in new_cons:
            out.append(Drift(name, f"consumer {cname}", "listed", "removed"))
        elif cname not in old_cons:
            out.append(Drift(name, f"consumer {cname}", "absent", "added"))
        else:
            add(f"consumer {cname} schema", old_cons[cname], new_cons[cname])
    for tname in sorted(set(old.tests) | set(new.tests)):
        if tname not in new.tests:
            out.append(Drift(name, f"test {tname}", "present", "removed"))
        elif tname not in old.tests:
            out.append(Drift(name, f"test {tname}", "absent", "added"))
        else:
            a, b = old.tests[tname], new.tests[tname]
            add(f"test {tname} input", a.input_hash, b.input_hash)
            add(f"test {tname} input file", a.input_path, b.input_path)
            if a.expect != b.expect:
                out.append(Drift(
                    name, f"test {tname} expectations", "locked", "changed",
                    details=pointer_diff(a.expect, b.expect),
                ))
            if a.compare != b.compare:
                out.append(Drift(
                    name, f"test {tname} compare rules", "locked", "changed",
                    details=pointer_diff(a.compare, b.compare),
                ))
    add("source", old.source, new.source)
    out.extend(_tool_drift(name, old, new))
    if old.triggers != new.triggers:
        out.append(Drift(name, "triggers", _show_triggers(old), _show_triggers(new)))
    if not out and old.spec_hash != new.spec_hash:
        add("spec", old.spec_hash, new.spec_hash)
    if not out:
        old_src, new_src = old.sources, new.sources
        for path in sorted(set(old_src) | set(new_src)):
            if old_src.get(path) != new_src.get(path):
                out.append(Drift(name, f"source file {path}", _show(old_src.get(path)), _show(new_src.get(path))))
    if not out and old.entry_hash != new.entry_hash:
        out.append(Drift(name, "entry", _show(old.entry_hash), _show(new.entry_hash)))
    return out


def _tool_drift(name: str, old: LockEntry, new: LockEntry) -> list[Drift]:
    """What changed in a routine's tools: each tool by name (added, removed, effect, entry
    point, schema, the source file of its code), then the loop's limits."""
    out: list[Drift] = []
    a, b = old.tools, new.tools
    if a is None and b is None:
        return out
    old_tools = {t.name: t for t in (a.tools if a is not None else ())}
    new_tools = {t.name: t for t in (b.tools if b is not None else ())}
    for tname in sorted(set(old_tools) | set(new_tools)):
        if tname not in new_tools:
            out.append(Drift(name, f"tool {tname}", "present", "removed"))
            continue
        if tname not in old_tools:
            out.append(Drift(name, f"tool {tname}", "absent", "added"))
            continue
        x, y = old_tools[tname], new_tools[tname]
        for key in ("kind", "effect", "entry_point", "dry_run", "description"):
            if getattr(x, key) != getattr(y, key):
                out.append(Drift(name, f"tool {tname} {key.replace('_', ' ')}", _show(getattr(x, key)), _show(getattr(y, key))))
        if x.schema_hash != y.schema_hash:
            out.append(Drift(
                name, f"tool {tname} schema", _show(x.schema_hash), _show(y.schema_hash),
                details=pointer_diff(x.input_schema, y.input_schema),
            ))
        if x.options != y.options:
            out.append(Drift(name, f"tool {tname} options", "locked", "changed", details=pointer_diff(x.options, y.options)))
        for path in sorted(set(x.source_digests) | set(y.source_digests)):
            if x.source_digests.get(path) != y.source_digests.get(path):
                out.append(Drift(
                    name, f"tool {tname} source file {path}",
                    _show(x.source_digests.get(path)), _show(y.source_digests.get(path)),
                ))
    if a is not None and b is not None:
        for key in ("max_turns", "max_tool_calls", "parallel", "tool_choice"):
            if getattr(a, key) != getattr(b, key):
                out.append(Drift(name, key, _show(getattr(a, key)), _show(getattr(b, key))))
    return out


def _show_triggers(entry: LockEntry) -> str:
    return "[" + ", ".join(t.event for t in entry.triggers) + "]"


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def pointer_diff(old: Any, new: Any, *, limit: int = 8) -> tuple[str, ...]:
    """Where two JSON values differ, as `#/json/pointer: old → new` lines (at most `limit`)."""
    found: list[str] = []
    stack: list[tuple[str, Any, Any]] = [("#", old, new)]
    total = 0
    while stack:
        where, a, b = stack.pop()
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), reverse=True):
                stack.append((f"{where}/{_pointer_token(key)}", a.get(key, _ABSENT), b.get(key, _ABSENT)))
            continue
        total += 1
        if len(found) < limit:
            found.append(f"{where}: {_brief(a)} → {_brief(b)}")
    if total > limit:
        found.append(f"(+{total - limit} more)")
    return tuple(found)


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _brief(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    import json

    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


def diff_routines(old: dict[str, LockEntry], new: dict[str, LockEntry]) -> list[Drift]:
    out: list[Drift] = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append(Drift(name, "", "", "", "added"))
        elif name not in new:
            out.append(Drift(name, "", "", "", "removed"))
        elif old[name].entry_hash != new[name].entry_hash:
            out.extend(diff_entries(name, old[name], new[name]))
    return out
