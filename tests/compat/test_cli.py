"""`routinec compat diff` end to end, in a subprocess: verdicts, formats, pydantic models and
bad input (exit 2 with one error line and a hint, never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routinec", "compat", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value))
    return str(path)


OLD = {
    "type": "object",
    "properties": {"score": {"type": "integer", "maximum": 1}},
    "required": ["score"],
    "additionalProperties": False,
}


def test_breaking_change_exits_1_with_err_line_and_counterexample(tmp_path: Path) -> None:
    new = json.loads(json.dumps(OLD))
    new["properties"]["score"]["maximum"] = 100
    old_f, new_f = write(tmp_path / "old.json", OLD), write(tmp_path / "new.json", new)
    proc = run("diff", old_f, new_f, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        f"{new_f}:#/properties/score/maximum: ERR [maximum-increased] "
        "maximum increased from 1 to 100"
    )
    assert lines[1].startswith('counterexample: {"score": ')
    # One vocabulary: the verdict agrees with the exit code; the value-set relation follows.
    assert lines[-1].startswith("compat: breaking (1 error(s), 0 warning(s), 0 info; fails on ERR); value sets: BACKWARD")


def test_compatible_change_exits_0(tmp_path: Path) -> None:
    new = json.loads(json.dumps(OLD))
    new["properties"]["score"]["minimum"] = 0
    proc = run(
        "diff", write(tmp_path / "o.json", OLD), write(tmp_path / "n.json", new), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "INFO [minimum-added]" in proc.stdout
    assert "compat: compatible (0 error(s)" in proc.stdout
    assert "value sets: FORWARD" in proc.stdout


def test_direction_in_flips_the_verdict(tmp_path: Path) -> None:
    new = json.loads(json.dumps(OLD))
    new["properties"]["score"]["minimum"] = 0
    proc = run(
        "diff",
        write(tmp_path / "o.json", OLD),
        write(tmp_path / "n.json", new),
        "--direction",
        "in",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "ERR [minimum-added]" in proc.stdout
    assert 'counterexample: {"score": -1}' in proc.stdout


def test_json_format_parses(tmp_path: Path) -> None:
    new = {**OLD, "additionalProperties": True}
    proc = run(
        "diff",
        write(tmp_path / "o.json", OLD),
        write(tmp_path / "n.json", new),
        "--format",
        "json",
        "--policy",
        "strict",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    findings = [r for r in records if r["kind"] == "finding"]
    [example] = [r for r in records if r["kind"] == "counterexample"]
    summary = records[-1]
    assert summary["kind"] == "summary" and summary["exit_code"] == 1 and summary["verdict"] == "breaking"
    assert summary["compatibility"] == "BACKWARD"
    assert [f["rule_id"] for f in findings] == ["additional-properties-opened"]
    assert findings[0]["level"] == "ERR"
    assert example["valid_in"] == "new"


def test_github_format_and_fail_on_warn(tmp_path: Path) -> None:
    old = {"type": "string", "format": "email"}
    new = {"type": "string", "format": "uuid"}
    args = ("diff", write(tmp_path / "o.json", old), write(tmp_path / "n.json", new))
    assert run(*args, cwd=tmp_path).returncode == 0
    proc = run(*args, "--fail-on", "WARN", "--format", "github", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::warning file=")
    assert "title=format-changed" in proc.stdout


MODELS_V1 = """
from pydantic import BaseModel

class Summary(BaseModel):
    title: str
    risk: str = "low"
"""
MODELS_V2 = """
from typing import Optional
from pydantic import BaseModel

class Summary(BaseModel):
    title: str
    note: Optional[str] = None
"""


def test_pydantic_models(tmp_path: Path) -> None:
    (tmp_path / "models_v1.py").write_text(MODELS_V1)
    (tmp_path / "models_v2.py").write_text(MODELS_V2)
    proc = run("diff", "models_v1:Summary", "models_v2:Summary", cwd=tmp_path)
    # out: `risk` had a default, so it was always emitted: removing it breaks readers
    assert proc.returncode == 1, proc.stderr
    assert "ERR [property-removed] required property 'risk' removed" in proc.stdout
    proc = run(
        "diff", "models_v1.py:Summary", "models_v2.py:Summary", "--direction", "in", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[property-added-optional]" in proc.stdout


def test_group_without_subcommand_or_against_exits_2(tmp_path: Path) -> None:
    proc = run(cwd=tmp_path)
    assert proc.returncode == 2
    assert "give --against REF, or a subcommand" in proc.stderr


def test_help_has_an_example(tmp_path: Path) -> None:
    proc = run("diff", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "routinec compat diff old/out.schema.json" in proc.stdout


def _nested(depth: int) -> str:
    # as text: json.dumps itself cannot encode 1,000 levels
    return '{"type": "object", "properties": {"a": ' * depth + '{"type": "string"}' + "}}" * depth


BAD: dict[str, tuple[Any, str]] = {
    "invalid-json": ("{not json", "invalid JSON"),
    "not-a-schema": ({"type": 5}, "not a valid JSON Schema"),
    "top-level-array": ([1, 2], "not a JSON Schema"),
    "unresolvable-ref": ({"$ref": "#/$defs/Missing"}, "unresolvable $ref"),
    "ref-cycle": ({"$ref": "#"}, "never reaches a schema"),
    "ref-cycle-2": (
        {"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"},
        "never reaches a schema",
    ),
    "deep-1000": (_nested(1000), "nested"),
}


def test_remote_ref_is_reported_not_fetched(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", {"$ref": "https://example.com/s.json"})
    good = write(tmp_path / "good.json", {"type": "object"})
    proc = run("diff", good, bad, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "Traceback" not in proc.stderr
    assert "[ref-unresolved]" in proc.stdout and "never fetched" in proc.stdout


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_without_traceback(tmp_path: Path, name: str) -> None:
    content, expected = BAD[name]
    bad = tmp_path / "bad.json"
    bad.write_text(content if isinstance(content, str) else json.dumps(content))
    good = write(tmp_path / "good.json", {"type": "object"})
    proc = run("diff", good, str(bad), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("routinec: error: ") and expected in lines[0], proc.stderr
    assert len(lines) == 2 and lines[1].startswith("  hint: ")


def test_huge_schema_exits_2(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("w") as handle:
        handle.write('{"enum": [')
        handle.write(",".join(['"' + "x" * 1000 + '"'] * 20_000))
        handle.write("]}")
    assert big.stat().st_size > 20_000_000
    proc = run("diff", str(big), str(big), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "MiB limit" in proc.stderr.splitlines()[0]


@pytest.mark.parametrize(
    "ref,expected",
    [
        ("missing.json", "no such file"),
        ("nomodule_here:Model", "module not found"),
        ("models_bad.py:Model", "import failed"),
        ("models_ok.py:Missing", "has no attribute"),
    ],
)
def test_bad_sources_exit_2(tmp_path: Path, ref: str, expected: str) -> None:
    (tmp_path / "models_bad.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "models_ok.py").write_text("X = 1\n")
    good = write(tmp_path / "good.json", {"type": "object"})
    proc = run("diff", good, ref, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert expected in proc.stderr.splitlines()[0]
