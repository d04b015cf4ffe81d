"""lock refuses a routine version that went down: versions only grow."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, snapshot, write_project

SPEC = """routine r v{version} {{
  model "claude-haiku-4-5"
  max_tokens 100
  prompt "Say {{{{ word }}}}."
  input {{ word: string }}
  output {{ said: string }}
}}
"""


def test_version_going_down_fails_lock_and_keeps_the_lock(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": SPEC.format(version=2)})
    assert run_cli("lock", cwd=root).code == 0
    (root / "specs" / "r.routine").write_text(SPEC.format(version=1), "utf-8")
    before = snapshot(root)
    result = run_cli("lock", cwd=root)
    assert result.code == 1, result.output
    assert "r: version went down (v2 → v1)  [compat-break]" in result.output
    assert "set the version to v3 in specs/r.routine" in result.output
    assert snapshot(root) == before
    # `check` runs the same gate (writing nothing) and points at the version
    checked = run_cli("check", cwd=root)
    assert checked.code == 1, checked.output
    assert "specs/r.routine:1:11: error: r: version went down (v2 → v1)  [compat-break]" in checked.stdout
    assert snapshot(root) == before
