"""Rough edges a newcomer hit (issue #9): the Python API's entry point and its missing-lock
error, and what the CLI says about the project root it chose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import UNRELATED_PYTEST_PLUGINS, cli_env, run_cli, write_project


def test_runtime_on_the_specs_folder_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    code = (
        "from routinec import Runtime, RoutineError\n"
        "try:\n    Runtime('specs')\n"
        "except RoutineError as exc:\n    print(exc.diagnostics[0].message)\n    print(exc.hint)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=cli_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    message, hint = done.stdout.splitlines()
    assert message == f"no lockfile at {(tmp_path / 'specs' / 'routines.lock').resolve()}"
    assert "takes the project root" in hint and "not the specs folder" in hint


def test_no_pyproject_says_which_directory_and_why(tmp_path: Path) -> None:
    here = tmp_path / "loose"
    here.mkdir()
    result = run_cli("check", cwd=here)
    assert result.code == 2
    assert f"note: no pyproject.toml in {here.resolve()} or any parent directory, so {here.resolve()} is the project root" in result.stderr


def test_parent_pyproject_without_tool_routinec_is_not_adopted_silently(tmp_path: Path) -> None:
    parent = write_project(tmp_path / "parent", {})
    child = parent / "child"
    child.mkdir()
    result = run_cli("check", cwd=child)
    assert f"note: using {parent.resolve()} as the project root" in result.stderr
    assert "has no [tool.routinec] table" in result.stderr
    (parent / "pyproject.toml").write_text('[project]\nname = "p"\n[tool.routinec]\n', "utf-8")
    assert "note: using" not in run_cli("check", cwd=child).stderr


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *UNRELATED_PYTEST_PLUGINS, *args],
                          cwd=root, env=cli_env(), capture_output=True, text=True, timeout=300, check=False)


def test_pytest_plugin_counts_what_it_runs_and_names_lock_errors(tmp_path: Path) -> None:
    made = run_cli("init", "p", cwd=tmp_path)
    assert made.code == 0, made.output
    root = tmp_path / "p"
    ran = _pytest(root, "--routinec")
    assert ran.returncode == 0, ran.stdout
    assert "collected 2 items" in ran.stdout  # one case + the orphan check, not "collected 0 items"
    assert "2 passed" in ran.stdout
    (root / "routines.lock").unlink()
    broken = _pytest(root, "--routinec")
    assert broken.returncode != 0
    lock = (root / "routines.lock").resolve()
    assert f"{lock}: error: no lockfile at {lock}  [lock-missing]" in broken.stdout, broken.stdout
    assert "help: run 'routinec lock' in the project" in broken.stdout
    assert f"routinec lockfile {lock}" in broken.stdout or "routines.lock::lock" in broken.stdout
    assert "routinec orphans" not in broken.stdout
