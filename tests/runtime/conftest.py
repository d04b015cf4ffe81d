"""Fixtures for runtime tests: a small real project locked by the real compiler, the CLI
in a subprocess, and the loopback Messages API server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from routinec.cli import cli
from tests.support import forked
from tests.support.fake_api import TEST_KEY, FakeAnthropic

SUMMARIZE = '''\
type FileChange {
  path: string
  change: "added" | "modified" | "deleted"
}

routine summarize_pr v1 {
  description "Summarize a pull request."
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 512
  state reset

  system "You are a careful code reviewer."
  prompt file "specs/prompts/summarize_pr.j2"

  input {
    title: string (min_length 1)
    diff: string
    labels: list[string] = []
  }
  output {
    summary: string (min_length 1)
    risk: "low" | "medium" | "high"
    files: list[FileChange]
  }

  test small_fix {
    input file "golden/summarize_pr/small_fix.input.json"
    compare { summary: text, risk: exact }
  }
  test typo {
    input { title: "Fix typo", diff: "-teh\\n+the" }
  }
}
'''

CHAT = '''\
routine chat v1 {
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 256
  state session
  prompt """Q: {{ question }}"""
  input { question: string }
  output { answer: string }
  test hello {
    input { question: "hello" }
  }
}
'''

PROMPT = "Title: {{ title }}\nLabels: {{ labels | join(', ') }}\n\n{{ diff }}\n"
SMALL_FIX = '{"title": "Fix null check", "diff": "- if x:\\n+ if x is not None:"}\n'


def lock(root: Path) -> None:
    result = CliRunner().invoke(cli, ["lock", "--project", str(root)])
    assert result.exit_code == 0, result.output


def write_project(root: Path, *, chat: bool = True) -> Path:
    (root / "specs" / "prompts").mkdir(parents=True)
    (root / "golden" / "summarize_pr").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.routinec]\nredact = ["acct-[0-9]{6}"]\n'
    )
    (root / "specs" / "summarize_pr.routine").write_text(SUMMARIZE)
    if chat:
        (root / "specs" / "chat.routine").write_text(CHAT)
    (root / "specs" / "prompts" / "summarize_pr.j2").write_text(PROMPT)
    (root / "golden" / "summarize_pr" / "small_fix.input.json").write_text(SMALL_FIX)
    lock(root)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def _recorded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("recorded") / "proj")
    with FakeAnthropic() as api:
        result = run_cli(root, "record", env=cli_env(api))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 recorded" in result.stdout
    return root


@pytest.fixture
def recorded_all(project: Path, _recorded_once: Path) -> Path:
    """`project` as `routinec record` (every routine, against the loopback server) leaves it:
    transcripts and ledger. Recorded once per session (per xdist worker) and copied, for tests
    whose subject comes after the recording; `record` itself is tested on its own."""
    shutil.rmtree(project)
    shutil.copytree(_recorded_once, project, symlinks=True)
    return project


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as api:
        yield api


def cli_env(api: FakeAnthropic | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "ROUTINEC_"))}
    env.pop("CI", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    if api is not None:
        env["ANTHROPIC_BASE_URL"] = api.base_url
        env["ANTHROPIC_API_KEY"] = TEST_KEY
    env.update(extra)
    return env


def run_cli(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m routinec ARGS` in `root`, as `subprocess.run(..., text=True)` reports it: a
    real process of its own, forked from a warm interpreter (tests/support/forked.py)."""
    return forked.run_text(list(args), cwd=root, env=env if env is not None else cli_env(), timeout=timeout)


def snapshot(root: Path, *, ledger: bool = False) -> dict[str, bytes]:
    """Every file under root with its bytes: compare before/after to prove nothing changed.
    The run ledger (`.routinec/`) is left out unless asked for: live and record runs append
    to it by design, failed ones too (tests/ledger checks what they append)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and (ledger or not p.relative_to(root).as_posix().startswith(".routinec/"))
    }


def no_secret_anywhere(root: Path) -> None:
    for rel, data in snapshot(root, ledger=True).items():
        assert TEST_KEY.encode() not in data, rel
        assert b"sk-ant-" not in data, rel
