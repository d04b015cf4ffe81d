"""Compat layer: finding messages for edge reports, from the consumer's point of view.

In: a finding of `accepts(producer, consumer)`, where the producer is "old" and the consumer
"new". Out: the same finding with its message reworded ("the consumer does not accept enum
value ...") so it does not read as a change over time; rule ids stay as they are.
"""

from __future__ import annotations

import json
import re
from typing import Any

from routinec.compat.report import Finding
from routinec.compat.values import plain

__all__ = ["edge_message"]

_LIMIT = re.compile(
    r"^(?P<kw>minimum|maximum|minLength|maxLength|minItems|maxItems|minProperties|"
    r"maxProperties|multipleOf) (?P<verb>added|removed|increased|decreased|became)\b"
)
_TYPES = re.compile(r"^type (widened|narrowed|changed) from (?P<old>\S+) to (?P<new>\S+)")
_NAME = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(plain(value), sort_keys=True, default=str)


def _after_colon(message: str) -> str:
    return message.split(": ", 1)[1] if ": " in message else message


def _suffix(message: str) -> str:
    """A trailing parenthetical note, reworded for the edge."""
    at = message.find(" (")
    if at < 0:
        return ""
    note = message[at:]
    return note.replace("the old schema", "the producer").replace("the new schema", "the consumer")


def _name(message: str) -> str:
    match = _NAME.search(message)
    if match is None:
        return "?"
    return repr(match.group(1) if match.group(1) is not None else match.group(2))


def edge_message(f: Finding) -> str:
    m, rid = f.message, f.rule_id
    note = _suffix(m)
    if rid in ("enum-value-removed", "const-to-enum", "enum-to-const") and m.startswith(
        "enum values removed"
    ):
        values = _after_colon(m)
        return f"the consumer does not accept enum value(s) {values}: the producer may emit them"
    if rid in ("enum-value-added", "const-to-enum", "enum-to-const") and m.startswith(
        "enum values added"
    ):
        return f"the consumer also accepts {_after_colon(m)}, which the producer never emits"
    if rid == "const-changed":
        return (
            f"the consumer accepts only {_show(f.new_value)}; the producer emits "
            f"{_show(f.old_value)}"
        )
    if rid in ("enum-added", "const-added"):
        return (
            f"the consumer accepts only {_after_colon(m).removeprefix('values restricted to ')}"
            f"; the producer's values are not restricted to them{note}"
        )
    if rid in ("enum-removed", "const-removed"):
        values = m.removeprefix("values no longer restricted to ")
        return f"the consumer accepts values beyond {values}, the producer emits only those"
    match = _TYPES.match(m)
    if match is not None:
        old, new = match.group("old"), match.group("new")
        if rid == "type-widened":
            return f"the consumer accepts type {new}, the producer emits only {old}"
        if rid == "type-narrowed":
            return f"the consumer accepts only type {new}; the producer may emit {old}{note}"
        return f"the consumer accepts type {new}; the producer emits {old}{note}"
    if rid == "became-nullable":
        return "the consumer accepts null, which the producer never emits"
    if rid == "became-not-nullable":
        return f"the consumer rejects null; the producer may emit it{note}"
    if rid == "property-removed":
        what = "required" if m.startswith("required") else "optional"
        return f"the producer's {what} property {_name(m)} is not declared by the consumer{note}"
    if rid == "property-added-required":
        return f"the consumer requires property {_name(m)}, which the producer does not declare"
    if rid == "property-added-optional":
        return f"the consumer declares optional property {_name(m)}, the producer does not{note}"
    if rid == "property-became-required":
        return f"the consumer requires property {_name(m)}; the producer may omit it{note}"
    if rid == "property-became-optional":
        return f"the consumer does not require property {_name(m)}; the producer always sends it"
    if rid in ("required-undeclared-added", "required-undeclared-removed"):
        verb = "requires" if rid.endswith("added") else "does not require"
        return f"the consumer {verb} {_name(m)}, unlike the producer{note}"
    if rid == "additional-properties-closed":
        return f"the consumer rejects undeclared properties{note}"
    if rid == "additional-properties-opened":
        return "the consumer accepts undeclared properties; the producer's schema rejects them"
    if rid.startswith("pattern-") and rid != "pattern-property-added" and "pattern" in m:
        return (
            f"the consumer's pattern is {_show(f.new_value)}, the producer's "
            f"{_show(f.old_value)}{note}"
        )
    if rid in ("property-names-added", "property-names-removed"):
        side = "consumer" if rid.endswith("added") else "producer"
        return f"only the {side} constrains property names (propertyNames){note}"
    match = _LIMIT.match(m)
    if match is not None:
        keyword = match.group("kw")
        return (
            f"the consumer's {keyword} is {_show(f.new_value)}, the producer's "
            f"{_show(f.old_value)}{note}"
        )
    return f"from producer to consumer: {m}"
