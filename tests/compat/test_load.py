"""Loading schema files: file `$ref`s inside the project are bundled under `$defs`; one that
leaves the project is an error, and remote references are left alone (never fetched)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from routinec.compat import SchemaError, compare
from routinec.compat.load import load_file


def write(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


def test_file_refs_inside_the_project_are_bundled(tmp_path: Path) -> None:
    write(tmp_path / "defs" / "v1.json", {"$defs": {"Risk": {"enum": ["low", "high"]}}})
    write(tmp_path / "defs" / "v2.json", {"$defs": {"Risk": {"enum": ["low", "high", "x"]}}})
    write(tmp_path / "defs" / "item.json", {"type": "object", "properties": {"r": {"$ref": "#"}}})
    old = write(
        tmp_path / "old.json",
        {"type": "object", "properties": {"risk": {"$ref": "defs/v1.json#/$defs/Risk"}}},
    )
    new = write(
        tmp_path / "new.json",
        {
            "type": "object",
            "properties": {
                "risk": {"$ref": "defs/v2.json#/$defs/Risk"},
                "item": {"$ref": "./defs/item.json"},
            },
        },
    )
    old_schema, new_schema = load_file(old, tmp_path), load_file(new, tmp_path)
    assert old_schema["properties"]["risk"]["$ref"] == "#/$defs/file:defs~1v1.json/$defs/Risk"
    # the referenced file's own local refs now point into its bundled copy
    assert new_schema["$defs"]["file:defs/item.json"]["properties"]["r"]["$ref"] == (
        "#/$defs/file:defs~1item.json"
    )
    report = compare(old_schema, new_schema, direction="out")
    assert [f.rule_id for f in report.findings if f.level.value == "ERR"] == ["enum-value-added"]


def test_a_file_ref_may_not_leave_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(tmp_path / "outside.json", {"type": "string"})
    schema = write(project / "s.json", {"$ref": "../outside.json"})
    with pytest.raises(SchemaError, match="leaves the project"):
        load_file(schema, project)
    absolute = write(project / "t.json", {"$ref": str(tmp_path / "outside.json")})
    with pytest.raises(SchemaError, match="leaves the project"):
        load_file(absolute, project)


def test_a_missing_file_ref_is_an_error(tmp_path: Path) -> None:
    schema = write(tmp_path / "s.json", {"$ref": "nope.json"})
    with pytest.raises(SchemaError, match="no such file"):
        load_file(schema, tmp_path)


def test_remote_refs_are_left_for_the_engine_to_report(tmp_path: Path) -> None:
    schema = write(tmp_path / "s.json", {"$ref": "https://example.com/s.json"})
    assert load_file(schema, tmp_path) == {"$ref": "https://example.com/s.json"}
