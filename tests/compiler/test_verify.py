"""`routinec verify`: exit 0 when the specs compile to the lock, drift field by field otherwise,
the unchanged-sources fast path, and the lock never written by verify.

Runs the CLI in-process (tests.helpers.invoke) for speed; test_cli_bad_input.py and
test_determinism.py cover the subprocess path.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers import invoke, run_cli, write_project

SPEC = """\
routine summarize_pr v3 {
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 1024
  prompt file "specs/prompts/summarize_pr.j2"
  input {
    title: string
    diff: string
  }
  output {
    summary: string (min_length 1)
    risk: "low" | "medium" | "high"
  }
  test small_fix {
    input { title: "Fix typo", diff: "-teh +the" }
    compare { summary: text, risk: exact }
  }
}
"""
PROMPT = "Title: {{ title }}\n\n{{ diff }}\n"
ARROW = "→"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(
        tmp_path / "p",
        {"specs/summarize_pr.routine": SPEC, "specs/prompts/summarize_pr.j2": PROMPT},
    )
    result = invoke("lock", cwd=root)
    assert result.code == 0, result.output
    return root


def edit(root: Path, old: str, new: str, rel: str = "specs/summarize_pr.routine") -> None:
    path = root / rel
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), "utf-8")


def drift_lines(root: Path, *, step: str = "run 'routinec lock'") -> list[str]:
    lock_before = (root / "routines.lock").read_bytes()
    result = invoke("verify", cwd=root)
    assert result.code == 1, result.stdout + result.output
    assert f"drifted from routines.lock; {step}" in result.output
    assert (root / "routines.lock").read_bytes() == lock_before
    return result.stdout.splitlines()


def test_verify_equal_is_exit_0(project: Path) -> None:
    result = invoke("verify", cwd=project)
    assert result.code == 0, result.output
    assert "routines.lock is up to date: 1 routine" in result.output


def test_temperature_drift(project: Path) -> None:
    edit(project, "temperature 0\n", "temperature 0.2\n")
    assert drift_lines(project) == [f"summarize_pr: temperature 0 {ARROW} 0.2"]


def test_max_tokens_drift(project: Path) -> None:
    edit(project, "max_tokens 1024", "max_tokens 2048")
    assert drift_lines(project) == [f"summarize_pr: max_tokens 1024 {ARROW} 2048"]


def test_parameter_added(project: Path) -> None:
    edit(project, "temperature 0\n", 'temperature 0\n  stop ["END"]\n')
    assert drift_lines(project) == [f"summarize_pr: stop_sequences (unset) {ARROW} [END]"]


def test_prompt_file_changed(project: Path) -> None:
    edit(project, "Title:", "PR title:", rel="specs/prompts/summarize_pr.j2")
    lines = drift_lines(project)
    assert len(lines) == 1
    assert re.fullmatch(
        rf"summarize_pr: prompt changed \(sha256:[0-9a-f]{{8}}… {ARROW} sha256:[0-9a-f]{{8}}…\)",
        lines[0],
    ), lines


def test_output_schema_changed(project: Path) -> None:
    edit(project, '"low" | "medium" | "high"', '"low" | "medium" | "high" | "unknown"')
    # a breaking change without a bump: lock would refuse it, so verify names the bump first
    lines = drift_lines(project, step="bump the version to v4 in specs/summarize_pr.routine")
    assert any(line.startswith("summarize_pr: output schema changed (sha256:") for line in lines), (
        lines
    )


def test_input_schema_changed(project: Path) -> None:
    edit(project, "diff: string\n", "diff: string (max_length 200000)\n")
    lines = drift_lines(project)
    assert any(line.startswith("summarize_pr: input schema changed (sha256:") for line in lines), (
        lines
    )


def test_model_changed(project: Path) -> None:
    edit(project, '"claude-haiku-4-5"', '"claude-sonnet-4-6"')
    lines = drift_lines(project)
    assert f"summarize_pr: model claude-haiku-4-5 {ARROW} claude-sonnet-4-6" in lines
    assert (
        f"summarize_pr: model snapshot claude-haiku-4-5-20251001 {ARROW} claude-sonnet-4-6" in lines
    )


def test_version_bump(project: Path) -> None:
    edit(project, "summarize_pr v3", "summarize_pr v4")
    assert drift_lines(project) == [f"summarize_pr: version v3 {ARROW} v4"]


def test_test_added(project: Path) -> None:
    edit(
        project,
        "  test small_fix {",
        '  test big {\n    input { title: "x", diff: "y" }\n  }\n  test small_fix {',
    )
    assert drift_lines(project) == [f"summarize_pr: test big absent {ARROW} added"]


def test_test_removed(project: Path) -> None:
    text = (project / "specs/summarize_pr.routine").read_text("utf-8")
    start = text.index("  test small_fix {")
    end = text.index("  }\n", text.index("compare")) + 4
    (project / "specs/summarize_pr.routine").write_text(text[:start] + text[end:], "utf-8")
    assert drift_lines(project) == [f"summarize_pr: test small_fix present {ARROW} removed"]


def test_test_input_changed(project: Path) -> None:
    edit(project, '"-teh +the"', '"-teh +thee"')
    lines = drift_lines(project)
    assert len(lines) == 1 and lines[0].startswith("summarize_pr: test small_fix input sha256:"), (
        lines
    )


def test_routine_added(project: Path) -> None:
    new = SPEC.replace("summarize_pr v3", "triage v1").replace(
        'prompt file "specs/prompts/summarize_pr.j2"', 'prompt """{{ title }} {{ diff }}"""'
    )
    (project / "specs" / "triage.routine").write_text(new, "utf-8")
    assert drift_lines(project) == ["triage: new routine, not in the lockfile"]


def test_routine_removed(project: Path) -> None:
    (project / "specs" / "other.routine").write_text(
        SPEC.replace("summarize_pr v3", "other v1").replace(
            'prompt file "specs/prompts/summarize_pr.j2"', 'prompt """{{ title }} {{ diff }}"""'
        ),
        "utf-8",
    )
    assert invoke("lock", cwd=project).code == 0
    (project / "specs" / "other.routine").unlink()
    assert drift_lines(project) == ["other: in the lockfile but no longer in any spec"]


def test_several_fields_drift_together(project: Path) -> None:
    edit(project, "temperature 0\n", "temperature 0.5\n")
    edit(project, "max_tokens 1024", "max_tokens 512")
    assert drift_lines(project) == [
        f"summarize_pr: max_tokens 1024 {ARROW} 512",
        f"summarize_pr: temperature 0 {ARROW} 0.5",
    ]


def test_comment_only_change_drifts_only_the_source_digest(project: Path) -> None:
    edit(project, "routine summarize_pr v3 {", "# a comment\nroutine summarize_pr v3 {  # here too")
    lines = drift_lines(project)
    # the spec's meaning is unchanged (same spec hash); only the recorded file digest moved
    assert len(lines) == 1, lines
    assert re.fullmatch(
        rf"summarize_pr: source file specs/summarize_pr\.routine sha256:[0-9a-f]{{8}}… {ARROW} "
        r"sha256:[0-9a-f]{8}…",
        lines[0],
    ), lines


def test_format_json_is_json_lines(project: Path) -> None:
    edit(project, "temperature 0\n", "temperature 0.2\n")
    result = invoke("verify", "--format", "json", cwd=project)
    assert result.code == 1
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert records, result.stdout
    drift = [r for r in records if r.get("kind") == "drift"]
    assert drift == [
        {
            "kind": "drift",
            "routine": "summarize_pr",
            "field": "temperature",
            "old": "0",
            "new": "0.2",
            "change": "changed",
            "message": f"summarize_pr: temperature 0 {ARROW} 0.2",
            "details": [],
            "path": "specs/summarize_pr.routine",  # the spec line that drifted, not the lock
            "line": 3,
        }
    ]
    assert records[-1]["kind"] == "summary" and records[-1]["exit_code"] == 1 and records[-1]["drift"] == 1
    assert result.stderr == ""  # no human summary mixed into a machine format


def test_format_json_for_diagnostics(project: Path) -> None:
    (project / "routines.lock").unlink()
    result = invoke("verify", "--format", "json", cwd=project)
    assert result.code == 1
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r.get("code") for r in records] == ["lock-missing", None]
    assert records[0]["severity"] == "error"
    assert records[-1] == {**records[-1], "kind": "summary", "errors": 1, "exit_code": 1}


def test_format_github_annotations(project: Path) -> None:
    edit(project, "temperature 0\n", "temperature 0.2\n")
    result = invoke("verify", "--format", "github", cwd=project)
    assert result.code == 1
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines and all(line.startswith("::") for line in lines), lines
    assert any(line.startswith("::error ") and "temperature 0 → 0.2" in line for line in lines)


def test_fast_path_when_sources_unchanged(project: Path) -> None:
    result = invoke("verify", cwd=project)
    assert result.code == 0
    assert "(sources unchanged)" in result.output


def test_touching_a_template_keeps_the_fast_path(project: Path) -> None:
    prompt = project / "specs/prompts/summarize_pr.j2"
    stat = prompt.stat()
    os.utime(prompt, ns=(stat.st_atime_ns + 10**9, stat.st_mtime_ns + 10**9))
    result = invoke("verify", cwd=project)
    assert result.code == 0
    assert "(sources unchanged)" in result.output


def test_full_recompiles(project: Path) -> None:
    result = invoke("verify", "--full", cwd=project)
    assert result.code == 0, result.output
    assert "routines.lock is up to date: 1 routine" in result.output
    assert "(sources unchanged)" not in result.output


def test_changed_bytes_leave_the_fast_path(project: Path) -> None:
    edit(project, "Title:", "Title: ", rel="specs/prompts/summarize_pr.j2")
    result = invoke("verify", cwd=project)
    assert result.code == 1
    assert "(sources unchanged)" not in result.output


def test_a_new_spec_file_leaves_the_fast_path(project: Path) -> None:
    (project / "specs" / "empty.routine").write_text("# nothing yet\n", "utf-8")
    result = invoke("verify", cwd=project)
    assert result.code == 0, result.output
    assert "(sources unchanged)" not in result.output


def test_verify_never_writes_the_lock(project: Path) -> None:
    lock = project / "routines.lock"
    before = lock.read_bytes()
    stat = lock.stat()
    for args in (("verify",), ("verify", "--full")):
        assert invoke(*args, cwd=project).code == 0
    edit(project, "temperature 0\n", "temperature 1\n")
    assert invoke("verify", cwd=project).code == 1
    assert lock.read_bytes() == before
    assert lock.stat().st_mtime_ns == stat.st_mtime_ns


def test_lock_is_byte_identical_across_runs(project: Path) -> None:
    lock = project / "routines.lock"
    first = lock.read_bytes()
    lock.unlink()
    assert invoke("lock", cwd=project).code == 0
    assert lock.read_bytes() == first


def test_verify_in_a_subprocess(project: Path) -> None:
    edit(project, "temperature 0\n", "temperature 0.2\n")
    result = run_cli("verify", cwd=project)
    assert result.code == 1
    assert result.stdout.splitlines() == [f"summarize_pr: temperature 0 {ARROW} 0.2"]
    assert "Traceback" not in result.output


def test_verify_with_a_retired_locked_model(tmp_path: Path) -> None:
    from tests.helpers import cli_env

    root = write_project(
        tmp_path / "p",
        {
            "specs/s.routine": SPEC.replace('"claude-haiku-4-5"', '"claude-sonnet-4-5"'),
            "specs/prompts/summarize_pr.j2": PROMPT,
        },
    )
    assert invoke("lock", cwd=root).code == 0
    warn = invoke("verify", cwd=root)
    assert warn.code == 0
    assert "deprecated and retires on 2026-11-30" in warn.output
    late = invoke("verify", cwd=root, env=cli_env(ROUTINEC_TODAY="2026-12-01"))
    assert late.code == 1
    assert (
        "routine 'summarize_pr' uses claude-sonnet-4-5-20250929, which retired on 2026-11-30"
        in late.output
    )


def test_lifecycle_wording_is_the_same_from_the_spec_and_from_the_lock(tmp_path: Path) -> None:
    from tests.helpers import cli_env

    root = write_project(
        tmp_path / "p",
        {
            "specs/s.routine": SPEC.replace('"claude-haiku-4-5"', '"claude-sonnet-4-5"'),
            "specs/prompts/summarize_pr.j2": PROMPT,
        },
    )
    env = cli_env(ROUTINEC_TODAY="2026-11-01")
    assert invoke("lock", cwd=root, env=env).code == 0
    from_spec = [ln for ln in invoke("check", cwd=root, env=env).output.splitlines() if "model-deprecated" in ln]
    fast = invoke("verify", cwd=root, env=env)
    assert "sources unchanged" in fast.output
    from_lock = [ln for ln in fast.output.splitlines() if "model-deprecated" in ln]
    assert from_spec and [ln.split(": ", 1)[1] for ln in from_lock] == [ln.split(": ", 1)[1] for ln in from_spec]
