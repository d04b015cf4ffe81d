"""verify says where inside a schema or compare block something drifted (JSON pointers)."""

from __future__ import annotations

import json
from pathlib import Path

from routinec.lockfile.drift import pointer_diff
from tests.helpers import run_cli, write_project

SPEC = """type Item {
  note?: string
}

routine r v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt "{{ tags }}"
  input { tags: list[string] = [] }
  output { items: list[Item] }
  test t {
    input { tags: ["a"] }
    compare { items: exact }
  }
}
"""


def test_pointer_diff_lists_leaves_in_order() -> None:
    old = {"a": {"x": 1, "y": [1]}, "b/c": 2}
    new = {"a": {"x": 2, "y": [1], "z": True}, "b/c": 2}
    assert pointer_diff(old, new) == ("#/a/x: 1 → 2", "#/a/z: (absent) → true")


def test_pointer_diff_is_bounded() -> None:
    old = {f"k{i}": i for i in range(20)}
    new = {f"k{i}": i + 1 for i in range(20)}
    lines = pointer_diff(old, new, limit=3)
    assert len(lines) == 4 and lines[-1] == "(+17 more)"


def test_verify_names_the_pointer(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": SPEC})
    assert run_cli("lock", cwd=root).code == 0
    spec = root / "specs" / "r.routine"
    text = spec.read_text("utf-8")
    text = text.replace("note?: string", "note?: string (max_length 5)")
    text = text.replace('= []', '= ["x"]').replace("items: exact", "items: ignore")
    spec.write_text(text, "utf-8")
    result = run_cli("verify", cwd=root)
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert "  at #/$defs/Item/properties/note/maxLength: (absent) → 5" in lines
    assert '  at #/properties/tags/default: [] → ["x"]' in lines
    assert '  at #/items/rule: "exact" → "ignore"' in lines
    as_json = [json.loads(line) for line in run_cli("verify", "--format", "json", cwd=root).stdout.splitlines()]
    output = next(d for d in as_json if d.get("field") == "output_schema")
    assert output["details"] == ["#/$defs/Item/properties/note/maxLength: (absent) → 5"]
    github = run_cli("verify", "--format", "github", cwd=root).stdout
    assert "note: #/$defs/Item/properties/note/maxLength: (absent) → 5" in github
