"""Shell completion through click's protocol, as a shell calls it: `_ROUTINEC_COMPLETE`,
`COMP_WORDS` and `COMP_CWORD` in the environment of a real `routinec` subprocess. Routine and
case names come from routines.lock (nothing is compiled)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli, write_project

SPEC = """routine summarize_pr v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt \"\"\"Hi {{ name }}\"\"\"
  input { name: string }
  output { answer: string }
  test small_fix { input { name: "a" } }
  test typo { input { name: "b" } }
}

routine label_issue v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt \"\"\"Hi {{ name }}\"\"\"
  input { name: string }
  output { answer: string }
  test crash { input { name: "c" } }
}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("complete") / "p", {"specs/r.routine": SPEC})
    assert run_cli("lock", cwd=root).code == 0
    return root


def complete(cwd: Path, line: str, shell: str = "bash") -> list[str]:
    """What click answers a shell for `line` (the word under the cursor is the last one)."""
    words = line.split(" ")
    env = cli_env(_ROUTINEC_COMPLETE=f"{shell}_complete", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    result = run_cli(cwd=cwd, env=env)
    assert result.code == 0 and result.stderr == "", result.output
    if shell == "bash":  # "type,value" per line
        return [item.partition(",")[2] for item in result.stdout.splitlines() if item]
    return result.stdout.splitlines()[1::3]  # zsh: type, value, help per item


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("routinec show ", ["label_issue", "summarize_pr"]),
        ("routinec show su", ["summarize_pr"]),
        ("routinec show summarize_pr/", ["summarize_pr/small_fix", "summarize_pr/typo"]),
        ("routinec show summarize_pr/t", ["summarize_pr/typo"]),
        ("routinec test ", ["label_issue", "summarize_pr"]),
        ("routinec record summarize_pr l", ["label_issue"]),
        ("routinec test summarize_pr --case ", ["small_fix", "typo"]),
        ("routinec record label_issue --case ", ["crash"]),
        ("routinec test --case ", ["crash", "small_fix", "typo"]),
        ("routinec run l", ["label_issue"]),
        ("routinec rollout promote ", ["label_issue", "summarize_pr"]),
        ("routinec rollout status s", ["summarize_pr"]),
        ("routinec ledger ls --routine ", ["label_issue", "summarize_pr"]),
        ("routinec report --routine la", ["label_issue"]),
        ("routinec sh", ["show"]),
    ],
)
def test_routine_and_case_names_complete(project: Path, line: str, expected: list[str]) -> None:
    assert complete(project, line) == expected


def test_zsh_and_project_option(project: Path, tmp_path: Path) -> None:
    assert complete(project, "routinec show summarize_pr/", "zsh") == ["summarize_pr/small_fix", "summarize_pr/typo"]
    # From elsewhere, --project points at the lock to read.
    assert complete(tmp_path, f"routinec show --project {project} s") == ["summarize_pr"]


def test_no_lock_completes_nothing_quietly(tmp_path: Path) -> None:
    root = write_project(tmp_path / "empty", {})
    assert complete(root, "routinec show ") == []
    (root / "routines.lock").write_text("{not json", "utf-8")
    assert complete(root, "routinec test ") == []


def test_bash_source_script_is_click_s() -> None:
    result = run_cli(cwd=Path.cwd(), env=cli_env(_ROUTINEC_COMPLETE="bash_source"))
    assert result.code == 0
    assert "_routinec_completion()" in result.stdout and "complete -o nosort -F _routinec_completion routinec" in result.stdout
