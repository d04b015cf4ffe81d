"""`routinec check PATHS`: names resolve project-wide, diagnostics only for the named specs."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, write_project

A = 'routine a v1 {\n  model "nope-a"\n}\n'
B = 'routine b v1 {\n  model "nope-b"\n}\n'
TYPES = "type Shared {\n  x: string\n}\n"
USES = """routine c v1 {
  model "claude-haiku-4-5"
  max_tokens 10
  prompt "hi"
  output { s: Shared }
}
"""


def test_only_named_specs_are_reported(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/a.routine": A, "specs/b.routine": B})
    result = run_cli("check", "specs/a.routine", cwd=root)
    assert result.code == 2
    assert "specs/a.routine:2:9: error: unknown model 'nope-a'" in result.output
    assert "b.routine" not in result.output
    everything = run_cli("check", cwd=root)
    assert "b.routine" in everything.output and "a.routine" in everything.output


def test_a_named_spec_sees_types_from_other_files(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", {"specs/types.routine": TYPES, "specs/c.routine": USES}
    )
    result = run_cli("check", "specs/c.routine", cwd=root)
    assert result.code == 0, result.output
    assert "0 errors" in result.output


def test_paths_outside_the_project_or_not_specs_are_bad_input(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/a.routine": A})
    outside = tmp_path / "outside.routine"
    outside.write_text(B, "utf-8")
    for command in ("check", "fmt"):
        result = run_cli(command, str(outside), cwd=root)
        assert result.code == 2, result.output
        assert "is outside the project" in result.output
        assert "help: pass --project" in result.output
    result = run_cli("check", "pyproject.toml", cwd=root)
    assert result.code == 2
    assert "pyproject.toml is not a .routine spec" in result.output
    result = run_cli("fmt", "specs/missing.routine", cwd=root)
    assert result.code == 2
    assert "no such file or directory" in result.output
