"""Regressions from the compat review: no ERR without a counterexample where other constraints
could mask the change, and edge findings worded from the consumer's point of view."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from routinec.compat import Compatibility, Level, Report, accepts, compare
from tests.compat.conftest import valid

UNION = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
TYPES = {"type": ["string", "integer"]}
PRODUCER = {
    "type": "object",
    "properties": {"s": {"type": "string"}, "n": {"type": "integer"}},
    "required": ["s", "n"],
    "additionalProperties": False,
}


def errs(report: Report) -> list[str]:
    return [f"{f.rule_id} {f.path}" for f in report.findings if f.level is Level.ERR]


def assert_counterexample(report: Report, old: Any, new: Any) -> None:
    """Every report with an ERR carries a counterexample that jsonschema confirms."""
    if report.ok:
        return
    cx = report.counterexample
    assert cx is not None, report.text_lines()
    accept, reject = (old, new) if cx.valid_in == "old" else (new, old)
    assert valid(accept, cx.value) and not valid(reject, cx.value), cx


@pytest.mark.parametrize("direction", ["out", "in"])
@pytest.mark.parametrize(("old", "new"), [(UNION, TYPES), (TYPES, UNION)])
def test_any_of_of_types_equals_type_array(old: Any, new: Any, direction: str) -> None:
    report = compare(old, new, direction=direction)
    assert errs(report) == [], report.text_lines()
    assert report.compatibility is Compatibility.FULL


def test_type_array_against_a_wider_union_still_widens() -> None:
    old = TYPES
    new = {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}
    out = compare(old, new, direction="out")
    assert not out.ok
    assert out.compatibility is Compatibility.BACKWARD
    assert_counterexample(out, old, new)
    assert out.counterexample is not None and out.counterexample.value is True
    assert compare(old, new, direction="in").ok


def test_union_of_types_cli_exits_0(tmp_path: Path) -> None:
    a, b = tmp_path / "u1.json", tmp_path / "u2.json"
    a.write_text(json.dumps(UNION))
    b.write_text(json.dumps(TYPES))
    proc = subprocess.run(
        [sys.executable, "-m", "routinec", "compat", "diff", str(a), str(b)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " ERR [" not in proc.stdout and "compat: compatible" in proc.stdout
    assert "FULL" in proc.stdout


def test_min_length_removed_under_a_pattern_that_implies_it() -> None:
    old, new = {"minLength": 2}, {"pattern": "^..+$"}
    out = compare(old, new, direction="out")
    assert errs(out) == [], out.text_lines()
    assert out.compatibility is Compatibility.FORWARD
    inp = compare(old, new, direction="in")  # "\n\n" is old-only: the consumer narrowed
    assert not inp.ok
    assert_counterexample(inp, old, new)


def test_min_length_removed_under_a_shorter_pattern_still_errs() -> None:
    old, new = {"minLength": 3}, {"pattern": "^..+$"}
    out = compare(old, new, direction="out")
    assert "min-length-removed #/minLength" in errs(out)
    assert_counterexample(out, old, new)


def test_masked_widening_without_counterexample_is_a_warning() -> None:
    # the unchanged pattern (a backreference: not regular, so not measured) keeps the length
    old = {"type": "string", "minLength": 2, "pattern": "^(..)\\1*$"}
    new = {"type": "string", "pattern": "^(..)\\1*$"}
    out = compare(old, new, direction="out")
    assert out.ok, out.text_lines()
    (finding,) = [f for f in out.findings if f.rule_id == "min-length-removed"]
    assert finding.level is Level.WARN
    assert "no counterexample" in finding.message
    strict = compare(old, new, direction="out", policy="strict")
    assert strict.count(Level.ERR) == 1


def test_property_names_checked_against_a_closed_producer() -> None:
    report = accepts(PRODUCER, {"propertyNames": {"maxLength": 1}})
    assert errs(report) == [], report.text_lines()
    assert report.compatibility is Compatibility.BACKWARD


def test_property_names_a_closed_producer_violates() -> None:
    consumer = {"propertyNames": {"enum": ["s"]}}
    report = accepts(PRODUCER, consumer)
    assert errs(report) == ["property-names-added #/propertyNames"]
    assert_counterexample(report, PRODUCER, consumer)


def test_property_names_open_producer_declared_only() -> None:
    producer = {**PRODUCER, "additionalProperties": True}
    consumer = {"propertyNames": {"maxLength": 1}}
    assert accepts(producer, consumer).ok
    assert not accepts(producer, consumer, policy="strict").ok
    # version to version the old schema is only a proxy producer: the rule stays ERR
    assert not compare(producer, consumer, direction="in").ok


def test_plain_enum_value_added_stays_err_with_counterexample() -> None:
    old, new = {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}
    out = compare(old, new, direction="out")
    assert errs(out) == ["enum-value-added #/enum"]
    assert out.counterexample is not None and out.counterexample.value == "c"


RISK_OUT = {"type": "string", "enum": ["low", "critical"]}
RISK_IN = {"type": "string", "enum": ["low"]}


def test_edge_enum_finding_is_worded_for_the_consumer() -> None:
    report = accepts(RISK_OUT, RISK_IN)
    (finding,) = report.findings
    assert finding.rule_id == "enum-value-removed"  # the id stays stable
    assert finding.level is Level.ERR
    assert "removed" not in finding.message
    assert finding.message.startswith('the consumer does not accept enum value(s) "critical"')
    assert "producer may emit" in finding.message
    lines = report.text_lines()
    assert lines[0].startswith("consumer:#/enum: ERR [enum-value-removed] the consumer")
    assert lines[1] == 'counterexample: "critical" is valid under producer, rejected by consumer'
    # version to version the wording stays a change over time
    change = compare(RISK_OUT, RISK_IN, direction="in")
    assert change.findings[0].message == 'enum values removed: "critical"'


@pytest.mark.parametrize(
    ("producer", "consumer", "rule_id", "text"),
    [
        ({"type": "number"}, {"type": "integer"}, "type-narrowed", "consumer accepts only type"),
        ({"type": ["string", "null"]}, {"type": "string"}, "became-not-nullable", "rejects null"),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            "property-became-required",
            "the consumer requires property 'a'; the producer may omit it",
        ),
        (
            {"type": "string", "maxLength": 10},
            {"type": "string", "maxLength": 3},
            "max-length-decreased",
            "the consumer's maxLength is 3, the producer's 10",
        ),
        (
            {"type": "object", "properties": {"x": {"type": "string"}}},
            {"type": "object", "required": ["x", "y"], "properties": {"x": {"type": "string"}}},
            "required-undeclared-added",
            "the consumer requires 'y'",
        ),
    ],
)
def test_edge_wording(producer: Any, consumer: Any, rule_id: str, text: str) -> None:
    report = accepts(producer, consumer)
    found = [f for f in report.findings if f.rule_id == rule_id]
    assert found, report.text_lines()
    assert text in found[0].message, found[0].message
    assert not report.ok
    assert_counterexample(report, producer, consumer)
