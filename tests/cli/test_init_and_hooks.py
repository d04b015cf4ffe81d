"""`routinec init` makes a project that passes check, lock, verify and test at once; the
pre-commit hooks in .pre-commit-hooks.yaml run under the real `pre-commit` in a temp git repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli

REPO = Path(__file__).resolve().parents[2]


def test_init_project_passes_every_gate(tmp_path: Path) -> None:
    made = run_cli("init", "tickets", cwd=tmp_path)
    assert made.code == 0, made.output
    root = tmp_path / "tickets"
    assert "created specs/classify_ticket.routine" in made.stdout
    assert "next: cd tickets && routinec check" in made.stderr
    for command in (("check", "--strict"), ("lock",), ("verify",), ("test",), ("fmt", "--check")):
        result = run_cli(*command, cwd=root, env=cli_env(CI="true"))
        assert result.code == 0, (command, result.output)
    transcript = json.loads((root / "golden/classify_ticket/crash_report.transcript.json").read_text("utf-8"))
    assert transcript["origin"] == "fixture"
    assert '[tool.routinec]' in (root / "pyproject.toml").read_text("utf-8")
    assert 'name = "tickets"' in (root / "pyproject.toml").read_text("utf-8")
    assert (root / ".github/workflows/routinec.yml").is_file()
    # the lock was written by init and is what `lock` would write
    assert "already up to date" in run_cli("lock", cwd=root).stderr


def test_init_overwrites_nothing(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'mine'\n", "utf-8")
    result = run_cli("init", cwd=root)
    assert result.code == 2
    assert "already has pyproject.toml" in result.stdout
    assert "overwrites nothing" in result.stdout
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]
    assert (root / "pyproject.toml").read_text("utf-8") == "[project]\nname = 'mine'\n"


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _hook_repo(tmp_path: Path) -> tuple[Path, str]:
    """This checkout's sources and hooks file, committed in a temp git repo pre-commit can clone."""
    hooks = tmp_path / "routinec-hooks"
    shutil.copytree(REPO, hooks, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".nox", "*.egg-info", "__pycache__", "tests", "benchmarks", ".routinec", "build", "dist"))
    _git(hooks, "init", "-q")
    _git(hooks, "add", "-A")
    _git(hooks, "commit", "-q", "-m", "hooks")
    return hooks, _git(hooks, "rev-parse", "HEAD")


def test_pre_commit_hooks_with_the_real_pre_commit(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists() and os.environ.get("CI"):
        pytest.fail("pre-commit is pinned in the dev extra; it must be installed in CI")
    if not pre_commit.exists():
        pytest.skip("pre-commit not installed (pip install -e '.[dev]')")
    hooks, rev = _hook_repo(tmp_path)
    project = tmp_path / "project"
    assert run_cli("init", str(project), cwd=tmp_path).code == 0
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n"
        "      - id: routinec-check\n      - id: routinec-fmt\n      - id: routinec-verify\n", "utf-8")
    _git(project, "add", "-A")
    env = {**cli_env(), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PIP_CONSTRAINT": str(REPO / "constraints.txt")}
    env.pop("VIRTUAL_ENV", None)

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(pre_commit), "run", "--all-files"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=900)

    clean = run_hooks()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for hook in ("routinec check", "routinec fmt", "routinec verify"):
        assert any(line.startswith(hook) and line.endswith("Passed") for line in clean.stdout.splitlines()), clean.stdout
    # a drifted spec: verify fails and names the field; fmt rewrites a badly laid-out line
    spec = project / "specs" / "classify_ticket.routine"
    spec.write_text(spec.read_text("utf-8").replace("  temperature 0\n", "temperature   0.5\n"), "utf-8")
    _git(project, "add", "-A")
    drifted = run_hooks()
    assert drifted.returncode == 1
    assert "classify_ticket: temperature 0 → 0.5" in drifted.stdout
    assert "  temperature 0.5\n" in spec.read_text("utf-8")  # routinec-fmt fixed the layout
