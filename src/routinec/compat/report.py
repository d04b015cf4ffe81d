"""Compat layer: findings, the report and its renderers (text lines, JSON, GitHub annotations).

In: findings from the walker plus a counterexample. Out: a `Report` with a schema-registry
compatibility (FULL/BACKWARD/FORWARD/NONE); every list it renders is sorted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from routinec.compat.values import plain
from routinec.diagnostics import github_escape

__all__ = ["Compatibility", "Counterexample", "Effect", "Finding", "Level", "Report", "effect_of"]


class Level(StrEnum):
    ERR = "ERR"
    WARN = "WARN"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        return {"ERR": 2, "WARN": 1, "INFO": 0}[self.value]


class Effect(StrEnum):
    WIDEN = "WIDEN"
    NARROW = "NARROW"
    NONE = "NONE"
    CHANGE = "CHANGE"
    UNKNOWN = "UNKNOWN"


class Compatibility(StrEnum):
    FULL = "FULL"
    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    NONE = "NONE"


def effect_of(old_in_new: bool | None, new_in_old: bool | None) -> Effect:
    if old_in_new is None or new_in_old is None:
        return Effect.UNKNOWN
    if old_in_new and new_in_old:
        return Effect.NONE
    if old_in_new:
        return Effect.WIDEN
    if new_in_old:
        return Effect.NARROW
    return Effect.CHANGE


_RELATION = {
    Compatibility.FULL: "old and new accept the same values",
    Compatibility.BACKWARD: "new accepts every old value, old rejects some new ones",
    Compatibility.FORWARD: "old accepts every new value, new rejects some old ones",
    Compatibility.NONE: "each accepts values the other rejects",
}


@dataclass
class Finding:
    """One atomic difference. `old_in_new`/`new_in_old` are the value-set facts behind it."""

    rule_id: str
    level: Level
    path: str
    message: str
    old_value: Any = None
    new_value: Any = None
    old_in_new: bool | None = None
    new_in_old: bool | None = None
    side: str = "new"  # which schema `path` points into: "new", or "old" for removals
    # engine-side context for the counterexample search; never rendered
    local: tuple[Any, Any] | None = field(default=None, repr=False, compare=False)
    trail: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    # local values the rule itself found on one side only (enum values added/removed)
    proof: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def effect(self) -> Effect:
        return effect_of(self.old_in_new, self.new_in_old)

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.path, self.rule_id, self.level.value, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "level": self.level.value,
            "effect": self.effect.value,
            "path": self.path,
            "schema": self.side,
            "old_value": plain(self.old_value),
            "new_value": plain(self.new_value),
            "message": self.message,
        }


@dataclass(frozen=True)
class Counterexample:
    """A value valid under `valid_in` and rejected by the other side (checked by jsonschema)."""

    value: Any
    valid_in: str  # "old" | "new"
    rule_id: str
    path: str

    def to_json(self) -> dict[str, Any]:
        rejected = "new" if self.valid_in == "old" else "old"
        return {
            "value": plain(self.value),
            "valid_in": self.valid_in,
            "rejected_by": rejected,
            "rule_id": self.rule_id,
            "path": self.path,
        }


@dataclass
class Report:
    direction: str
    policy: str
    findings: list[Finding]
    counterexample: Counterexample | None = None
    edge: bool = False

    @property
    def compatibility(self) -> Compatibility:
        backward = all(f.old_in_new is True for f in self.findings)
        forward = all(f.new_in_old is True for f in self.findings)
        if backward and forward:
            return Compatibility.FULL
        if backward:
            return Compatibility.BACKWARD
        if forward:
            return Compatibility.FORWARD
        return Compatibility.NONE

    def worst(self) -> Level | None:
        levels = [f.level for f in self.findings]
        return max(levels, key=lambda lv: lv.rank) if levels else None

    def count(self, level: Level) -> int:
        return sum(1 for f in self.findings if f.level is level)

    @property
    def ok(self) -> bool:
        return self.count(Level.ERR) == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "compatibility": self.compatibility.value,
            "direction": "edge" if self.edge else self.direction,
            "policy": self.policy,
            "transitive": False,
            "findings": [f.to_json() for f in self.findings],
            "counterexample": self.counterexample.to_json() if self.counterexample else None,
        }

    def _labels(self, old_label: str, new_label: str) -> tuple[str, str]:
        """An edge report names its sides producer and consumer unless told otherwise."""
        if self.edge and (old_label, new_label) == ("old", "new"):
            return "producer", "consumer"
        return old_label, new_label

    def text_lines(self, old_label: str = "old", new_label: str = "new", fail_on: Level = Level.ERR) -> list[str]:
        """`FILE:#/pointer: LEVEL [rule-id] message`, then the counterexample and a summary."""
        old_label, new_label = self._labels(old_label, new_label)
        lines: list[str] = []
        for f in self.findings:
            label = old_label if f.side == "old" else new_label
            lines.append(f"{label}:{f.path}: {f.level.value} [{f.rule_id}] {f.message}")
        if self.counterexample is not None:
            cx = self.counterexample
            rejected = new_label if cx.valid_in == "old" else old_label
            accepted = old_label if cx.valid_in == "old" else new_label
            value = json.dumps(plain(cx.value), sort_keys=True, ensure_ascii=False)
            if len(value) > 400:
                value = value[:400] + "…"
            lines.append(
                f"counterexample: {value} is valid under {accepted}, rejected by {rejected}"
            )
        lines.append(self.summary_line(fail_on))
        return lines

    def breaking(self, fail_on: Level = Level.ERR) -> bool:
        """What the exit code says: a finding at or above `fail_on` (exit 1)."""
        worst = self.worst()
        return worst is not None and worst.rank >= fail_on.rank

    def summary_line(self, fail_on: Level = Level.ERR) -> str:
        """One vocabulary in every compat command: the verdict (`breaking` exactly when the
        exit code is 1, else `compatible`), then the counts and what the value sets say."""
        errs, warns, infos = (self.count(lv) for lv in (Level.ERR, Level.WARN, Level.INFO))
        verdict = "breaking" if self.breaking(fail_on) else "compatible"
        relation = _RELATION[self.compatibility]
        return (
            f"compat: {verdict} ({errs} error(s), {warns} warning(s), {infos} info; fails on {fail_on.value}); "
            f"value sets: {self.compatibility.value}, {relation}; "
            f"direction {'edge' if self.edge else self.direction}, policy {self.policy}"
        )

    def github_lines(self, old_label: str = "old", new_label: str = "new") -> list[str]:
        old_label, new_label = self._labels(old_label, new_label)
        kinds = {Level.ERR: "error", Level.WARN: "warning", Level.INFO: "notice"}
        out = []
        for f in self.findings:
            label = old_label if f.side == "old" else new_label
            msg = github_escape(f"{f.path}: {f.message}")
            out.append(f"::{kinds[f.level]} file={label},title={f.rule_id}::{msg}")
        return out
