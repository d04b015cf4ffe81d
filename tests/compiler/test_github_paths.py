"""GitHub annotations name files from the repository root; text output from the project."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import run_cli, write_project

BAD = 'routine r v1 {\n  model "nope"\n}\n'


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    root = write_project(repo / "svc", {"specs/r.routine": BAD})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    github = run_cli("check", "--format", "github", cwd=root)
    assert github.code == 2
    assert "::error file=svc/specs/r.routine,line=2,col=9," in github.stdout
    text = run_cli("check", cwd=root)
    assert "specs/r.routine:2:9: error: unknown model 'nope'" in text.output
    assert "svc/" not in text.output


def test_lock_paths_are_project_relative(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": BAD.replace('"nope"', '"claude-haiku-4-5"')})
    result = run_cli("verify", cwd=root)
    assert result.code == 1
    assert result.output.startswith("routines.lock: error: no lockfile at this path  [lock-missing]")
