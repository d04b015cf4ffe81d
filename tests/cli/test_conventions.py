"""The conventions every command shares (README: "CLI conventions"), through real subprocess
runs: streams, --format json/github/sarif, -q/-v, --color and NO_COLOR, --strict, ignores,
did-you-mean and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import PYPROJECT, Result, cli_env, run_cli, write_project

REPO = Path(__file__).resolve().parents[2]
# The shipped examples, counted from their specs (they grow as features land).
_SPECS = sorted((REPO / "specs").glob("*.routine"))
_LINES = [line for spec in _SPECS for line in spec.read_text("utf-8").splitlines()]
ROUTINES = sum(line.startswith("routine ") for line in _LINES)
CASES = sum(line.startswith("  test ") for line in _LINES)

# One warning (an unused input), no error.
WARN_SPEC = """routine r v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt \"\"\"Hi {{ name }}\"\"\"
  input { name: string
    extra: int }
  output { answer: string }
}
"""
# One error (an unknown type).
ERROR_SPEC = WARN_SPEC.replace("answer: string", "answer: strng")


def demo_copy(tmp_path: Path) -> Path:
    """The shipped example project (specs, goldens, transcripts, lock) in a temp dir."""
    root = tmp_path / "demo"
    root.mkdir()
    for name in ("specs", "golden", "consumers"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "routines.lock", root / "routines.lock")
    (root / "pyproject.toml").write_text(PYPROJECT, "utf-8")
    return root


def records(result: Result) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"no JSON lines: {result.output}"
    summary = lines[-1]
    assert summary["kind"] == "summary", lines
    assert summary["exit_code"] == result.code, (summary, result.code)
    assert sum(1 for r in lines if r.get("kind") == "summary") == 1
    return lines


# --- streams ----------------------------------------------------------------------------------


def test_diagnostics_on_stdout_summary_on_stderr(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": ERROR_SPEC})
    result = run_cli("check", cwd=root)
    assert result.code == 2
    assert result.stdout.startswith("specs/r.routine:7:20: error: unknown type 'strng'")
    assert result.stderr == "checked 1 routine: 1 error, 0 warnings\n"
    quiet = run_cli("check", "-q", cwd=root)
    assert (quiet.code, quiet.stdout, quiet.stderr) == (2, result.stdout, "")
    # `routinec check > out.txt` captures the findings
    assert "unknown type" not in result.stderr


# --- JSON lines, with one closing summary record, on every command ------------------------------


@pytest.mark.parametrize(
    ("args", "code", "fields"),
    [
        (("check",), 0, {"command": "check", "errors": 0, "warnings": 0, "routines": ROUTINES}),
        (("fmt", "--check"), 0, {"command": "fmt", "files": len(_SPECS), "changed": 0}),
        (("lock",), 0, {"command": "lock", "routines": ROUTINES, "written": False}),
        (("verify",), 0, {"command": "verify", "routines": ROUTINES, "drift": 0}),
        (("test",), 0, {"command": "test", "cases": CASES, "pass": CASES, "fail": 0}),
        (("compat", "diff", "consumers/triage-bot.schema.json", "consumers/triage-bot.schema.json"), 0,
         {"command": "compat diff", "verdict": "compatible", "compatibility": "FULL"}),
        (("show", "summarize_pr"), 0, {"command": "show", "cases": 1, "matches": 1, "differs": 0}),
    ],
    ids=["check", "fmt", "lock", "verify", "test", "compat-diff", "show"],
)
def test_json_summary_record_with_no_findings(tmp_path: Path, args: tuple[str, ...], code: int, fields: dict[str, object]) -> None:
    root = demo_copy(tmp_path)
    result = run_cli(*args, "--format", "json", cwd=root, env=cli_env(CI="true"))
    assert result.code == code, result.output
    lines = records(result)
    summary = lines[-1]
    assert summary == {**summary, **fields}
    # values keep their JSON types
    assert isinstance(summary["exit_code"], int) and isinstance(summary["strict"], bool)
    assert result.stderr == ""


def test_json_findings_then_summary(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    spec = root / "specs" / "summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("temperature 0", "temperature 0.2", 1).replace("  max_tokens", "max_tokens", 1), "utf-8")
    fmt = run_cli("fmt", "--check", "--format", "json", cwd=root)
    assert fmt.code == 1
    [change, _] = records(fmt)
    assert change["kind"] == "reformat" and change["path"] == "specs/summarize_pr.routine"
    assert str(change["diff"]).startswith("--- a/specs/summarize_pr.routine")
    verify = run_cli("verify", "--format", "json", cwd=root)
    assert verify.code == 1
    lines = records(verify)
    [drift] = [r for r in lines if r.get("kind") == "drift"]
    assert (drift["field"], drift["old"], drift["new"]) == ("temperature", "0", "0.2")
    assert lines[-1]["drift"] == 1


# --- GitHub annotations and SARIF ---------------------------------------------------------------


def test_verify_annotates_the_spec_line_that_drifted(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    spec = root / "specs" / "summarize_pr.routine"
    text = spec.read_text("utf-8")
    spec.write_text(text.replace("temperature 0", "temperature 0.2", 1), "utf-8")
    line = next(i for i, ln in enumerate(text.split("\n"), 1) if ln.strip().startswith("temperature"))
    result = run_cli("verify", "--format", "github", cwd=root)
    assert result.code == 1
    assert result.stdout.startswith(f"::error file=specs/summarize_pr.routine,line={line},col=3,title=lock-drift::")
    assert "routines.lock," not in result.stdout


def test_sarif_for_check_and_verify(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": ERROR_SPEC})
    result = run_cli("check", "--format", "sarif", cwd=root)
    assert result.code == 2
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "routinec"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["unknown-type"]
    [finding] = run["results"]
    assert (finding["ruleId"], finding["level"]) == ("unknown-type", "error")
    region = finding["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (7, 20)
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "specs/r.routine"
    demo = demo_copy(tmp_path)
    spec = demo / "specs" / "summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("temperature 0", "temperature 0.2", 1), "utf-8")
    drift = run_cli("verify", "--format", "sarif", cwd=demo)
    assert drift.code == 1
    [result_] = json.loads(drift.stdout)["runs"][0]["results"]
    assert result_["ruleId"] == "lock-drift"
    assert result_["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "specs/summarize_pr.routine"
    clean = run_cli("verify", "--format", "sarif", cwd=demo_copy((tmp_path / "clean").resolve() if (tmp_path / "clean").mkdir() is None else tmp_path))
    assert clean.code == 0 and json.loads(clean.stdout)["runs"][0]["results"] == []


# --- colour -------------------------------------------------------------------------------------


def test_color_always_never_and_no_color(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": ERROR_SPEC})
    always = run_cli("check", "--color", "always", cwd=root)
    assert "\x1b[1;31merror:\x1b[0m" in always.stdout
    assert "\x1b[" not in run_cli("check", "--color", "never", cwd=root).stdout
    assert "\x1b[" not in run_cli("check", cwd=root).stdout  # not a terminal: auto is off
    env = cli_env(NO_COLOR="1")
    assert "\x1b[" not in run_cli("check", "--color", "auto", cwd=root, env=env).stdout
    assert "\x1b[1;31m" in run_cli("check", "--color", "always", cwd=root, env=env).stdout


# --- strictness and suppression -----------------------------------------------------------------


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": WARN_SPEC})
    assert run_cli("check", cwd=root).code == 0
    strict = run_cli("check", "--strict", cwd=root)
    assert strict.code == 1
    assert "--strict: 1 warning fails the run" in strict.stderr
    summary = records(run_cli("check", "--strict", "--format", "json", cwd=root))[-1]
    assert (summary["strict"], summary["warnings"], summary["exit_code"]) == (True, 1, 1)


def test_pyproject_ignore_list(tmp_path: Path) -> None:
    pyproject = PYPROJECT + '[tool.routinec]\nignore = ["unused-input"]\n'
    root = write_project(tmp_path / "p", {"specs/r.routine": WARN_SPEC}, pyproject=pyproject)
    result = run_cli("check", "--strict", cwd=root)
    assert result.code == 0, result.output
    assert result.stdout == ""
    assert "0 warnings (1 suppressed)" in result.stderr
    bad = write_project(tmp_path / "q", {"specs/r.routine": WARN_SPEC},
                        pyproject=PYPROJECT + '[tool.routinec]\nignore = ["unused-inputs"]\n')
    refused = run_cli("check", cwd=bad)
    assert refused.code == 2
    assert "'unused-inputs' is not a diagnostic code" in refused.stdout
    assert "did you mean 'unused-input'?" in refused.stdout


def test_line_ignore_and_unused_ignore(tmp_path: Path) -> None:
    spec = WARN_SPEC.replace("extra: int }", "extra: int }  # routinec: ignore[unused-input]")
    root = write_project(tmp_path / "p", {"specs/r.routine": spec})
    result = run_cli("check", "--strict", cwd=root)
    assert (result.code, result.stdout) == (0, ""), result.output
    stale = spec.replace("prompt \"\"\"Hi {{ name }}\"\"\"", "prompt \"\"\"Hi {{ name }} {{ extra }}\"\"\"")
    (root / "specs" / "r.routine").write_text(stale, "utf-8")
    result = run_cli("check", cwd=root)
    assert result.code == 0
    assert "specs/r.routine:6:19: warning: `# routinec: ignore[unused-input]` suppresses nothing on this line  [unused-ignore]" in result.stdout
    assert run_cli("check", "--strict", cwd=root).code == 1
    # errors are never suppressed
    broken = ERROR_SPEC.replace("answer: strng }", "answer: strng }  # routinec: ignore[unknown-type]")
    (root / "specs" / "r.routine").write_text(broken, "utf-8")
    assert run_cli("check", cwd=root).code == 2


# --- commands -----------------------------------------------------------------------------------


def test_did_you_mean_for_commands(tmp_path: Path) -> None:
    result = run_cli("chek", cwd=tmp_path)
    assert result.code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in result.stderr
    assert "Did you mean" not in run_cli("zzzz", cwd=tmp_path).stderr


@pytest.mark.parametrize("command", ["verify", "test"])
def test_same_lock_problem_same_exit_code(tmp_path: Path, command: str) -> None:
    root = demo_copy(tmp_path)
    lock = root / "routines.lock"
    data = json.loads(lock.read_text("utf-8"))
    entry = data["routines"]["summarize_pr"]
    entry["description"] = "edited by hand"
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    tampered = run_cli(command, cwd=root, env=cli_env(CI="true"))
    assert tampered.code == 1, tampered.output
    assert "[lock-tampered]" in tampered.stdout
    lock.unlink()
    missing = run_cli(command, cwd=root, env=cli_env(CI="true"))
    assert missing.code == 1, missing.output
    assert "[lock-missing]" in missing.stdout
    lock.write_text("{}\n", "utf-8")
    corrupt = run_cli(command, cwd=root, env=cli_env(CI="true"))
    assert corrupt.code == 2
    assert "[lock-corrupt]" in corrupt.stdout


def test_every_command_takes_the_shared_options() -> None:
    """New commands get the conventions by using the helpers in routinec.cli.options."""
    import click

    from routinec.cli import _COMMANDS, cli

    ctx = click.Context(cli)
    for name in ("check", "fmt", "lock", "verify", "record", "test", "show", "compat"):
        assert name in _COMMANDS
        command = cli.get_command(ctx, name)
        assert command is not None
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"--format", "-q", "-v", "--color", "--strict"} <= opts, (name, opts)
