"""Compiler layer: field-by-field differences between a locked entry and a fresh one.

In: two lock entries (or lock routine maps). Out: `Drift` records that read like
`summarize_pr: temperature 0 → 0.2`, sorted by routine and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from routinec.canonical import decimal_text

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


def diff_entries(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Drift]:
    out: list[Drift] = []

    def add(field: str, a: Any, b: Any, details: tuple[str, ...] = ()) -> None:
        if a != b:
            out.append(Drift(name, field, _show(a), _show(b), details=details))

    add("version", f"v{old.get('version')}", f"v{new.get('version')}")
    add("description", old.get("description"), new.get("description"))
    old_model, new_model = old.get("model") or {}, new.get("model") or {}
    add("model", old_model.get("alias"), new_model.get("alias"))
    add("model snapshot", old_model.get("snapshot"), new_model.get("snapshot"))
    for key in ("lifecycle", "retires_at", "max_tokens_limit", "structured_outputs"):
        add(f"model {key}", old_model.get(key), new_model.get(key))
    old_params, new_params = old.get("params") or {}, new.get("params") or {}
    for key in sorted(set(old_params) | set(new_params)):
        add(key, old_params.get(key), new_params.get(key))
    add("state", old.get("state"), new.get("state"))
    add("prompt", (old.get("prompt") or {}).get("hash"), (new.get("prompt") or {}).get("hash"))
    for key in ("input_schema", "output_schema"):
        a, b = old.get(f"{key}_hash"), new.get(f"{key}_hash")
        if a != b:
            add(key, a, b, pointer_diff(old.get(key), new.get(key)))
    old_cons = {c["name"]: c.get("schema_hash") for c in old.get("consumers") or []}
    new_cons = {c["name"]: c.get("schema_hash") for c in new.get("consumers") or []}
    for cname in sorted(set(old_cons) | set(new_cons)):
        if cname not in new_cons:
            out.append(Drift(name, f"consumer {cname}", "listed", "removed"))
        elif cname not in old_cons:
            out.append(Drift(name, f"consumer {cname}", "absent", "added"))
        else:
            add(f"consumer {cname} schema", old_cons[cname], new_cons[cname])
    old_tests, new_tests = old.get("tests") or {}, new.get("tests") or {}
    for tname in sorted(set(old_tests) | set(new_tests)):
        if tname not in new_tests:
            out.append(Drift(name, f"test {tname}", "present", "removed"))
        elif tname not in old_tests:
            out.append(Drift(name, f"test {tname}", "absent", "added"))
        else:
            a, b = old_tests[tname], new_tests[tname]
            add(f"test {tname} input", a.get("input_hash"), b.get("input_hash"))
            add(f"test {tname} input file", a.get("input_path"), b.get("input_path"))
            if a.get("compare") != b.get("compare"):
                out.append(Drift(
                    name, f"test {tname} compare rules", "locked", "changed",
                    details=pointer_diff(a.get("compare"), b.get("compare")),
                ))
    add("source", old.get("source"), new.get("source"))
    if not out and old.get("spec_hash") != new.get("spec_hash"):
        add("spec", old.get("spec_hash"), new.get("spec_hash"))
    if not out:
        old_src, new_src = old.get("sources") or {}, new.get("sources") or {}
        for path in sorted(set(old_src) | set(new_src)):
            if old_src.get(path) != new_src.get(path):
                out.append(Drift(name, f"source file {path}", _show(old_src.get(path)), _show(new_src.get(path))))
    if not out and old.get("entry_hash") != new.get("entry_hash"):
        out.append(Drift(name, "entry", _show(old.get("entry_hash")), _show(new.get("entry_hash"))))
    return out


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


def diff_routines(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Drift]:
    out: list[Drift] = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append(Drift(name, "", "", "", "added"))
        elif name not in new:
            out.append(Drift(name, "", "", "", "removed"))
        elif old[name].get("entry_hash") != new[name].get("entry_hash"):
            out.extend(diff_entries(name, old[name], new[name]))
    return out
