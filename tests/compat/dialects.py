"""The same comparisons in every JSON Schema dialect: base cases written in 2020-12, and
`to_dialect` to spell them in draft-04, -06, -07 and 2019-09. The own corpus file
tests/data/compat/dialects.json is generated from them (`python -m tests.compat.dialects`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from routinec.compat.dialect import DIALECTS

URIS = {
    "draft-04": "http://json-schema.org/draft-04/schema#",
    "draft-06": "http://json-schema.org/draft-06/schema#",
    "draft-07": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}
LEGACY_DEFS = ("draft-04", "draft-06", "draft-07")
DATA = Path(__file__).resolve().parents[1] / "data" / "compat" / "dialects.json"
ZIP = "^[0-9]{5}-[0-9]{4}$"
WORDS = [f"w{i:02d}" for i in range(50)]


def _down(schema: Any, dialect: str, parent_key: str = "") -> Any:
    if isinstance(schema, bool):
        if dialect == "draft-04" and parent_key not in ("additionalItems", "additionalProperties"):
            return {} if schema else {"not": {}}
        return schema
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs", "dependentSchemas", "patternProperties"):
            value = {k: _down(v, dialect) for k, v in value.items()}
        elif key in ("allOf", "anyOf", "oneOf", "prefixItems"):
            value = [_down(v, dialect) for v in value]
        elif key in ("items", "not", "additionalProperties", "contains", "if", "then", "else"):
            value = _down(value, dialect, "additionalItems" if key == "items" else key)
        if key == "prefixItems" and dialect != "2020-12":
            out["items"] = value
        elif key == "items" and "prefixItems" in schema and dialect != "2020-12":
            out["additionalItems"] = value
        elif key == "$defs" and dialect in LEGACY_DEFS:
            out["definitions"] = value
        elif key == "$ref" and dialect in LEGACY_DEFS:
            out[key] = value.replace("#/$defs/", "#/definitions/")
        elif key in ("dependentRequired", "dependentSchemas") and dialect in LEGACY_DEFS:
            out.setdefault("dependencies", {}).update(value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and dialect == "draft-04":
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "const" and dialect == "draft-04":
            out["enum"] = [value]
        else:
            out[key] = value
    return out


def to_dialect(schema: Any, dialect: str) -> Any:
    """`schema` (2020-12) spelled in `dialect`, with `$schema` declared."""
    out = _down(schema, dialect)
    if isinstance(out, dict):
        out = {"$schema": URIS[dialect], **out}
    return out


def path_in(path: str, dialect: str) -> str:
    """A finding's pointer as it reads in `dialect`."""
    if dialect != "2020-12":
        path = path.replace("/prefixItems/", "/items/").replace("#/items/type", "#/additionalItems")
    if dialect in LEGACY_DEFS:
        path = path.replace("/$defs/", "/definitions/").replace(
            "/dependentRequired/", "/dependencies/"
        )
    if dialect == "draft-04":
        path = path.replace("/exclusiveMaximum", "/maximum").replace(
            "/exclusiveMinimum", "/minimum"
        )
    return path


_MUTUAL_A = {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}, "n": {"type": "integer"}}}
_MUTUAL_B = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}

# (name, old, new, compatibility, OUT level, IN level, findings, witnesses)
BASE: list[tuple[str, Any, Any, str, str, str, list[str], dict[str, list[Any]]]] = [
    (
        "tuple-position-widened",
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": False},
        "BACKWARD",
        "ERR",
        "INFO",
        ["type-widened #/prefixItems/1/type"],
        {"old_only": [], "new_only": [["a", 0.5]], "both": [["a", 1]]},
    ),
    (
        "tuple-tail-opened",
        {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
        {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
        "BACKWARD",
        "ERR",
        "INFO",
        [],
        {"old_only": [], "new_only": [["a", 1]], "both": [["a"]]},
    ),
    (
        "defs-ref-narrowed",
        {
            "$defs": {"A": {"type": "string"}},
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/A"}},
        },
        {
            "$defs": {"A": {"type": "string", "maxLength": 3}},
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/A"}},
        },
        "FORWARD",
        "INFO",
        "ERR",
        ["max-length-added #/$defs/A/maxLength"],
        {"old_only": [{"a": "aaaa"}], "new_only": [], "both": [{"a": "a"}]},
    ),
    (
        "dependent-required-extended",
        {"type": "object", "dependentRequired": {"a": ["b"]}},
        {"type": "object", "dependentRequired": {"a": ["b", "c"]}},
        "FORWARD",
        "INFO",
        "ERR",
        ["dependent-required-extended #/dependentRequired/a"],
        {"old_only": [{"a": 1, "b": 1}], "new_only": [], "both": [{"a": 1, "b": 1, "c": 1}]},
    ),
    (
        "exclusive-maximum-added",
        {"type": "number", "maximum": 10},
        {"type": "number", "exclusiveMaximum": 10},
        "FORWARD",
        "INFO",
        "ERR",
        ["exclusive-maximum-added #/exclusiveMaximum"],
        {"old_only": [10], "new_only": [], "both": [9]},
    ),
    (
        "not-number-to-not-integer",
        {"not": {"type": "number"}},
        {"not": {"type": "integer"}},
        "BACKWARD",
        "ERR",
        "INFO",
        ["not-changed #/not"],
        {"old_only": [], "new_only": [0.5], "both": ["a"]},
    ),
    (
        "zip-pattern-added",
        {"type": "string", "minLength": 1},
        {"type": "string", "minLength": 1, "pattern": ZIP},
        "FORWARD",
        "INFO",
        "ERR",
        ["pattern-added #/pattern"],
        {"old_only": ["a"], "new_only": [], "both": ["12345-6789"]},
    ),
    (
        "unanchored-pattern-changed",
        {"type": "string", "pattern": "date-time"},
        {"type": "string", "pattern": "uuid"},
        "NONE",
        "ERR",
        "ERR",
        ["pattern-changed #/pattern"],
        {"old_only": ["date-time"], "new_only": ["uuid"], "both": ["uuid date-time"]},
    ),
    (
        "alternation-word-removed",
        {"type": "string", "pattern": "^(" + "|".join(WORDS) + ")$"},
        {"type": "string", "pattern": "^(" + "|".join(WORDS[:-1]) + ")$"},
        "FORWARD",
        "INFO",
        "ERR",
        ["pattern-changed #/pattern"],
        {"old_only": ["w49"], "new_only": [], "both": ["w00"]},
    ),
    (
        "nested-quantifier-equivalent",
        {"type": "string", "pattern": "^(a+)+b$"},
        {"type": "string", "pattern": "^a+b$"},
        "FULL",
        "INFO",
        "INFO",
        ["pattern-changed #/pattern"],
        {"old_only": [], "new_only": [], "both": ["aab"]},
    ),
    (
        "mutual-refs-widened",
        {"$defs": {"A": _MUTUAL_A, "B": _MUTUAL_B}, "$ref": "#/$defs/A"},
        {
            "$defs": {
                "A": {
                    **_MUTUAL_A,
                    "properties": {**_MUTUAL_A["properties"], "n": {"type": "number"}},
                },
                "B": _MUTUAL_B,
            },
            "$ref": "#/$defs/A",
        },
        "BACKWARD",
        "ERR",
        "INFO",
        ["type-widened #/$defs/A/properties/n/type"],
        {"old_only": [], "new_only": [{"n": 0.5}], "both": [{"n": 1, "b": {"a": {"n": 2}}}]},
    ),
]


def corpus() -> list[dict[str, Any]]:
    cases = []
    for name, old, new, compat, out, in_, findings, witnesses in BASE:
        for dialect in DIALECTS:
            cases.append(
                {
                    "assumptions": {
                        "acceptance": "ignore_unknown",
                        "emission": "declared_only",
                        "policy": "default",
                    },
                    "description": f"{name} in {dialect}",
                    "expect": {
                        "compatibility": compat,
                        "consumer_input": in_,
                        "findings": [
                            f"{f.split()[0]} {path_in(f.split()[1], dialect)}" for f in findings
                        ],
                        "producer_output": out,
                    },
                    "id": f"dialects/{name}/{dialect}",
                    "new": to_dialect(new, dialect),
                    "old": to_dialect(old, dialect),
                    "witnesses": witnesses,
                }
            )
    return cases


def render() -> str:
    return json.dumps(corpus(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    DATA.write_text(render(), encoding="utf-8")
    print(f"wrote {DATA} ({len(corpus())} cases)", file=sys.stderr)
