"""Adversarial schema pairs for the compat engine: each must compare in bounded time and memory.

Shared by `tests/compat/test_adversarial.py` (sane results, in a memory-capped subprocess) and
`benchmarks/bench_compat_adversarial.py` (time and peak memory per pair). Each case is
(id, old, new, direction); `run_case` is what the subprocess executes.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

Case = tuple[str, Any, Any, str]

WORDS = [f"word{i:02d}" for i in range(50)]


def _nested(depth: int, leaf: Any) -> Any:
    schema = leaf
    for _ in range(depth):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


def _fields(count: int, changed: bool) -> dict[str, Any]:
    kinds: list[Any] = [
        {"type": "string", "minLength": 1},
        {"type": "integer", "minimum": 0},
        {"type": "array", "items": {"type": "string"}},
        {"enum": ["low", "medium", "high"]},
    ]
    props = {f"field_{i:03d}": kinds[i % len(kinds)] for i in range(count)}
    if changed:
        props["field_000"] = {"type": "string", "minLength": 1, "maxLength": 10}
    return {"type": "object", "properties": props, "required": sorted(props)}


_ZIP = "^[0-9]{5}-[0-9]{4}$"
_MUTUAL = {
    "$defs": {
        "A": {
            "type": "object",
            "properties": {"b": {"$ref": "#/$defs/B"}, "n": {"type": "integer"}},
        },
        "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}},
    },
    "$ref": "#/$defs/A",
}
_MUTUAL_NEW = {
    "$defs": {
        "A": {
            "type": "object",
            "properties": {"b": {"$ref": "#/$defs/B"}, "n": {"type": "number"}},
        },
        "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}},
    },
    "$ref": "#/$defs/A",
}

CASES: list[Case] = [
    (
        "zip-pattern-added",
        {"type": "object", "properties": {"summary": {"type": "string", "minLength": 1}}},
        {
            "type": "object",
            "properties": {"summary": {"type": "string", "minLength": 1, "pattern": _ZIP}},
        },
        "out",
    ),
    (
        "zip-pattern-min-length",
        {"type": "string", "minLength": 1, "pattern": _ZIP},
        {"type": "string", "minLength": 10, "pattern": _ZIP},
        "in",
    ),
    (
        "max-items-2-31",
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "string"}, "maxItems": 2147483648},
        "in",
    ),
    (
        "min-items-2-31",
        {"type": "array", "items": {"type": "string"}, "minItems": 2147483648},
        {"type": "array", "items": {"type": "string"}},
        "out",
    ),
    (
        "max-length-huge",
        {"type": "string", "maxLength": 2147483648},
        {"type": "string", "minLength": 2147483647},
        "in",
    ),
    (
        "enum-10000-added",
        {"enum": [f"v{i}" for i in range(10_000)]},
        {"enum": [f"v{i}" for i in range(10_001)]},
        "out",
    ),
    (
        "enum-10000-reordered",
        {"enum": [f"v{i}" for i in range(10_000)]},
        {"enum": [f"v{i}" for i in reversed(range(10_000))]},
        "out",
    ),
    ("fields-300", _fields(300, False), _fields(300, True), "in"),
    (
        "unanchored-date-time-uuid",
        {"type": "string", "pattern": "date-time"},
        {"type": "string", "pattern": "uuid"},
        "in",
    ),
    (
        "alternation-50-words",
        {"type": "string", "pattern": "^(" + "|".join(WORDS) + ")$"},
        {"type": "string", "pattern": "^(" + "|".join(WORDS[:-1]) + ")$"},
        "in",
    ),
    (
        "alternation-50-words-unanchored",
        {"type": "string", "pattern": "(" + "|".join(WORDS) + ")"},
        {"type": "string", "pattern": "(" + "|".join(WORDS[1:]) + ")x"},
        "in",
    ),
    (
        "nested-quantifier",
        {"type": "string", "pattern": "^(a+)+b$", "minLength": 40},
        {"type": "string", "pattern": "^a+b$", "minLength": 40},
        "in",
    ),
    (
        "counted-repetition-1e6",
        {"type": "string", "pattern": "^a{1000000}$"},
        {"type": "string", "pattern": "^a{999999}$"},
        "in",
    ),
    (
        "determinisation-blowup",
        {"type": "string", "pattern": "^(x|y)*x(x|y){24}$"},
        {"type": "string", "pattern": "^(x|y)*y(x|y){24}$"},
        "in",
    ),
    ("nesting-1000", _nested(1000, {"type": "string"}), _nested(1000, {"type": "integer"}), "in"),
    ("nesting-100", _nested(100, {"type": "string"}), _nested(100, {"type": "integer"}), "in"),
    ("mutual-refs", _MUTUAL, _MUTUAL_NEW, "out"),
    ("not-number-to-not-integer", {"not": {"type": "number"}}, {"not": {"type": "integer"}}, "in"),
    # found in review: each question is capped, but these multiply the questions
    (
        "all-of-30-unanchored-patterns",
        {"type": "string", "allOf": [{"pattern": f"a{i}.*b{i}"} for i in range(30)]},
        {"type": "string", "allOf": [{"pattern": f"a{i}.*b{i}c"} for i in range(30)]},
        "in",
    ),
    (
        "one-of-200-object-branches",
        {"oneOf": [{"type": "object", "properties": {f"k{i}": {"type": "integer"}}, "required": [f"k{i}"]} for i in range(200)]},
        {"oneOf": [{"type": "object", "properties": {f"k{i}": {"type": "string"}}, "required": [f"k{i}"]} for i in range(200)]},
        "out",
    ),
    (
        "not-not-not-10-patterns",
        {"not": {"not": {"not": {"anyOf": [{"type": "string", "pattern": f"x{i}.*y"} for i in range(10)]}}}},
        {"type": "string"},
        "in",
    ),
    (
        "long-alternation-pattern",
        {"type": "string", "pattern": "a+"},
        {"type": "string", "pattern": "(" + "|".join(f"a{i}" for i in range(1200)) + ")+"},
        "out",
    ),
]
BY_ID = {case[0]: case for case in CASES}


def run_case(case_id: str, limit_mb: int = 0) -> dict[str, Any]:
    """Compare one case here and now; the figures and a summary of the report.

    The libraries the search may import are imported first: their one-time import cost is
    not the pair's.
    """
    import hypothesis_jsonschema  # noqa: F401
    import interegular  # noqa: F401
    import jsonschema  # noqa: F401

    from routinec.compat import SchemaError, compare

    if limit_mb:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 2**20, limit_mb * 2**20))
    _, old, new, direction = BY_ID[case_id]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        report = compare(old, new, direction=direction)
        result: dict[str, Any] = {
            "compatibility": report.compatibility.value,
            "worst": (report.worst().value if report.worst() else "NONE"),
            "findings": [f"{f.level.value} {f.rule_id} {f.path}" for f in report.findings],
            "messages": [f.message for f in report.findings],
            "counterexample": report.counterexample is not None,
        }
    except SchemaError as exc:
        result = {"error": str(exc)}
    result["seconds"] = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["peak_mb"] = peak / 1024
    result["growth_mb"] = (peak - before) / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(run_case(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)))
