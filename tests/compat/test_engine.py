"""The public API of routinec.compat: report shape, edge checks, determinism, cheap import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from routinec.compat import RULES, Level, SchemaError, accepts, compare

PRODUCER = {
    "type": "object",
    "properties": {"risk": {"enum": ["low", "high", "unknown"]}},
    "required": ["risk"],
    "additionalProperties": False,
}
SRC = str(Path(__file__).parents[2] / "src")  # importable whether or not routinec is installed

CONSUMER = {"type": "object", "properties": {"risk": {"enum": ["low", "high"]}}}


def test_edge_check_finds_the_value_the_consumer_rejects() -> None:
    report = accepts(PRODUCER, CONSUMER)
    assert not report.ok
    errors = [f"{f.rule_id} {f.path}" for f in report.findings if f.level is Level.ERR]
    assert errors == ["enum-value-removed #/properties/risk/enum"]
    assert report.counterexample is not None
    assert report.counterexample.value == {"risk": "unknown"}
    assert report.to_json()["direction"] == "edge"


def test_edge_check_passes_a_compatible_producer() -> None:
    narrow = json.loads(json.dumps(PRODUCER))
    narrow["properties"]["risk"]["enum"] = ["low"]
    assert accepts(narrow, CONSUMER).ok


def test_edge_closed_consumer_is_decided_by_declared_properties() -> None:
    closed = {**CONSUMER, "additionalProperties": False}
    report = accepts({"type": "object", "properties": {"risk": {"const": "low"}}}, closed)
    assert report.ok
    assert {f.level for f in report.findings} <= {Level.INFO}


def test_report_json_shape_and_sorted_findings() -> None:
    old = {"type": "object", "properties": {"b": {"type": "integer"}, "a": {"type": "string"}}}
    new = {"type": "object", "properties": {"b": {"type": "number"}, "a": {"type": "integer"}}}
    data = compare(old, new).to_json()
    assert set(data) == {
        "compatibility",
        "direction",
        "policy",
        "transitive",
        "findings",
        "counterexample",
    }
    paths = [f["path"] for f in data["findings"]]
    assert paths == sorted(paths)
    assert set(data["findings"][0]) == {
        "rule_id",
        "level",
        "effect",
        "path",
        "schema",
        "old_value",
        "new_value",
        "message",
    }


def test_output_is_deterministic_across_hash_seeds() -> None:
    code = (
        "import json; from routinec.compat import compare; "
        "o={'type':'object','properties':{k:{'type':'string'} for k in 'abcdefgh'}}; "
        "n={'type':'object','properties':{k:{'type':'integer'} for k in 'hgfedcba'}}; "
        "print(json.dumps(compare(o,n).to_json(), sort_keys=True))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": SRC},
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1


def test_import_is_lazy() -> None:
    # What it costs is a figure in `nox -s bench` (bench_compat.py), not a test's time limit.
    code = (
        "import sys; import routinec.compat; "
        "print('hypothesis' in sys.modules, 'jsonschema' in sys.modules, "
        "'interegular' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    ).stdout.split()
    assert out == ["False", "False", "False"]


def test_rule_ids_are_unique_kebab_case() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i for i in ids)


@pytest.mark.parametrize("bad", [{"type": 5}, [1], {"$ref": "#/$defs/X"}, {"$ref": "#"}])
def test_bad_schemas_raise_schema_error(bad: object) -> None:
    with pytest.raises(SchemaError) as info:
        compare(bad, {})
    assert info.value.hint


def test_bad_arguments_raise_schema_error() -> None:
    with pytest.raises(SchemaError):
        compare({}, {}, direction="sideways")
    with pytest.raises(SchemaError):
        compare({}, {}, policy="loose")


def test_strict_turns_unknown_into_err() -> None:
    old, new = {"type": "string", "foo": 1}, {"type": "string", "foo": 2}
    assert compare(old, new).worst() is Level.WARN
    assert compare(old, new, policy="strict").worst() is Level.ERR
