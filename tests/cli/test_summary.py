"""The job summary (routinec.cli.summary): markdown escaping, append-only writes that continue
one table across commands, deterministic rows; and through the CLI, only `--format github`
with GITHUB_STEP_SUMMARY set writes it, and an unwritable summary fails nothing."""

from __future__ import annotations

import json
from pathlib import Path

from routinec.cli.summary import (
    HEADER,
    MAX_FINDINGS,
    Annotation,
    CommandResult,
    append,
    cell,
    render,
)
from tests.helpers import cli_env, copy_examples, run_cli
from tests.support.secrets import shapes


def test_cell_escapes_markdown_pipes_and_line_breaks() -> None:
    assert cell("a | b") == "a \\| b"
    # a backslash before a pipe must not un-escape it (GFM splits cells on `\\|`)
    assert cell("a\\|b") == "a\\\\\\|b"
    assert cell("line one\nline two\r\nthree") == "line one<br>line two<br>three"
    assert cell("<script>alert(1)</script> & `x` *y* _z_ [l](u)") == (
        "\\<script\\>alert(1)\\</script\\> \\& \\`x\\` \\*y\\* \\_z\\_ \\[l\\](u)"
    )
    assert "|" not in cell("|||").replace("\\|", "")


def _finding(path: str, line: int | None, message: str = "m", code: str = "lock-drift") -> Annotation:
    return Annotation("error", path, line, code, message)


def test_rows_are_sorted_deduplicated_and_capped() -> None:
    a, b = _finding("specs/b.routine", 3), _finding("specs/a.routine", 9)
    rows = render(CommandResult("verify", 1, (a, b, a), passed=2, failed=1))
    assert rows == [
        "| `routinec verify` | ❌ failed (exit 1) | 2 | 2 | 1 |  |  |  |",
        "| ↳ | error |  |  |  | specs/a.routine:9 | lock-drift | m |",
        "| ↳ | error |  |  |  | specs/b.routine:3 | lock-drift | m |",
    ]
    many = tuple(_finding("s.routine", n) for n in range(1, MAX_FINDINGS + 8))
    capped = render(CommandResult("check", 2, many))
    assert capped[0].startswith(f"| `routinec check` | ⛔ bad input (exit 2) | {MAX_FINDINGS + 7} | – | – |")
    assert len(capped) == MAX_FINDINGS + 2
    assert capped[-1].endswith("… 7 more (the annotations list them all) |")


def test_append_never_overwrites_and_continues_one_table(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("# Earlier step\n\nsome text", "utf-8")
    append(path, CommandResult("verify", 0, passed=4, failed=0))
    append(path, CommandResult("test", 1, (_finding("golden/x.output.json", None, "a | b\nc"),), passed=4, failed=1))
    text = path.read_text("utf-8")
    assert text.startswith("# Earlier step\n\nsome text\n\n### routinec\n\n" + HEADER + "\n")
    assert text.count(HEADER) == 1
    assert text.endswith(
        "| `routinec verify` | ✅ passed (exit 0) | 0 | 4 | 0 |  |  |  |\n"
        "| `routinec test` | ❌ failed (exit 1) | 1 | 4 | 1 |  |  |  |\n"
        "| ↳ | error |  |  |  | golden/x.output.json | lock-drift | a \\| b<br>c |\n"
    )
    # something else written in between: a new table (the old one cannot continue)
    with path.open("a", encoding="utf-8") as stream:
        stream.write("other tool's output\n")
    append(path, CommandResult("compat --against origin/main", 0, passed=4, failed=0))
    assert path.read_text("utf-8").count(HEADER) == 2
    assert path.read_text("utf-8").startswith(text)


def test_only_github_format_with_the_variable_writes_a_summary(tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "p")
    summary = tmp_path / "summary.md"
    text = run_cli("verify", cwd=project, env=cli_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert text.code == 0 and not summary.exists()
    github = run_cli("verify", "--format", "github", cwd=project, env=cli_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert github.code == 0 and github.stdout == ""
    assert summary.read_text("utf-8").splitlines()[-1] == "| `routinec verify` | ✅ passed (exit 0) | 0 | 4 | 0 |  |  |  |"
    # a summary that cannot be written: the findings are on stdout already, the exit code stands
    unwritable = tmp_path / "a-directory"
    unwritable.mkdir()
    spec = project / "specs/summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("temperature 0\n", "temperature 0.2\n"), "utf-8")
    drift = run_cli("verify", "--format", "github", cwd=project, env=cli_env(GITHUB_STEP_SUMMARY=str(unwritable)))
    assert drift.code == 1, drift.output
    assert "title=lock-drift" in drift.stdout
    assert f"routinec: warning: job summary not written to {unwritable}" in drift.stderr
    assert "Traceback" not in drift.stderr


def test_commands_that_print_their_own_annotations_count_them(tmp_path: Path) -> None:
    """`compat diff` and `fmt --check` print annotations without `emit`; their rows count them too."""
    summary = tmp_path / "summary.md"
    env = cli_env(GITHUB_STEP_SUMMARY=str(summary))
    (tmp_path / "old.json").write_text('{"type": "object", "properties": {"risk": {"enum": ["low", "high"]}}}', "utf-8")
    (tmp_path / "new.json").write_text('{"type": "object", "properties": {"risk": {"enum": ["low", "high", "x"]}}}', "utf-8")
    diff = run_cli("compat", "diff", "old.json", "new.json", "--format", "github", cwd=tmp_path, env=env)
    assert diff.code == 1, diff.output
    annotations = [line for line in diff.stdout.splitlines() if line.startswith("::")]
    assert annotations
    project = copy_examples(tmp_path / "p")
    spec = project / "specs/summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("  temperature 0\n", "  temperature   0\n"), "utf-8")
    fmt = run_cli("fmt", "--check", "--format", "github", cwd=project, env=env)
    assert fmt.code == 1, fmt.output
    rows = [line for line in summary.read_text("utf-8").splitlines() if line.startswith("| `routinec")]
    assert rows == [
        f"| `routinec compat diff` | ❌ failed (exit 1) | {len(annotations)} | – | – |  |  |  |",
        "| `routinec fmt` | ❌ failed (exit 1) | 1 | – | – |  |  |  |",
    ]
    assert "| ↳ | error |  |  |  | new.json | enum-value-added |" in summary.read_text("utf-8")
    assert "| ↳ | error |  |  |  | specs/summarize\\_pr.routine | fmt | not formatted: run routinec fmt |" in summary.read_text("utf-8")


def test_summary_redacts_secrets_as_the_annotations_do(tmp_path: Path) -> None:
    token = shapes()["github-token"]
    project = copy_examples(tmp_path / "p")
    golden = project / "golden/summarize_pr/small_fix.output.json"
    value = json.loads(golden.read_text("utf-8"))
    value["risk"] = token
    golden.write_text(json.dumps(value), "utf-8")
    summary = tmp_path / "summary.md"
    run = run_cli("test", "--format", "github", cwd=project, env=cli_env(CI="true", GITHUB_STEP_SUMMARY=str(summary)))
    assert run.code == 1, run.output
    text = summary.read_text("utf-8")
    assert "| `routinec test` | ❌ failed (exit 1) | 1 | 4 | 1 |" in text
    assert "golden-invalid" in text and "REDACTED:github-token" in text
    assert token not in text and token not in run.stdout
