"""`routinec show ROUTINE[/CASE]` through the CLI: a case's input, the output its transcript
replays to (recorded through the real SDK against the loopback API), its golden and the
field diff; a routine's lock summary and case statuses; unknown names (exit 2, did-you-mean)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.conftest import cli_env, lock, run_cli, snapshot, write_project
from tests.support.fake_api import FakeAnthropic, output_reply

ANSWER = {"summary": "Adds a None check.", "risk": "low", "files": [{"path": "app.py", "change": "modified"}]}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project whose three cases are recorded; small_fix answered with ANSWER."""
    root = write_project(tmp_path_factory.mktemp("show") / "proj")
    with FakeAnthropic() as api:
        api.push(output_reply({}, ANSWER))
        done = run_cli(root, "record", "summarize_pr", "--case", "small_fix", "--jobs", "1", env=cli_env(api))
        assert done.returncode == 0, done.stdout + done.stderr
        done = run_cli(root, "record", "chat", env=cli_env(api))
        assert done.returncode == 0, done.stdout + done.stderr
    yield root


def _json_lines(stdout: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert lines[-1]["kind"] == "summary" and lines[-1]["command"] == "show"
    return lines


def test_show_case_input_recorded_output_golden_and_diff(recorded: Path) -> None:
    golden = recorded / "golden" / "summarize_pr" / "small_fix.output.json"
    golden.write_text(json.dumps({**ANSWER, "risk": "high"}))
    before = snapshot(recorded)
    result = run_cli(recorded, "show", "summarize_pr/small_fix")
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert text.startswith("summarize_pr/small_fix\ninput:\n")
    assert '  title: "Fix null check"\n' in text and "  labels: []\n" in text  # defaults filled in, as runs see it
    assert "recorded output (golden/summarize_pr/small_fix.transcript.json, recorded, current):\n" in text
    assert '  files[0].change: "modified"\n' in text
    assert "golden (golden/summarize_pr/small_fix.output.json, present):\n" in text
    assert text.endswith(
        "diff: 1 field differs ('routinec test' fails):\n"
        '  risk: expected "high", got "low"  [exact]\n'
    )

    as_json = run_cli(recorded, "show", "summarize_pr/small_fix", "--format", "json")
    assert as_json.returncode == 0
    [case, summary] = _json_lines(as_json.stdout)
    assert case["kind"] == "case" and case["verdict"] == "differs"
    assert case["output"] == ANSWER  # a JSON value, not a string
    assert case["golden"] == {"path": "golden/summarize_pr/small_fix.output.json", "state": "present",
                              "problem": None, "value": {**ANSWER, "risk": "high"}}
    assert case["input"] == {"title": "Fix null check", "diff": "- if x:\n+ if x is not None:", "labels": []}
    assert case["transcript"] == {"path": "golden/summarize_pr/small_fix.transcript.json", "state": "current",
                                  "origin": "recorded", "problem": None}
    assert [d["path"] for d in case["diffs"]] == ["risk"]  # type: ignore[union-attr]
    assert (summary["cases"], summary["differs"], summary["exit_code"]) == (1, 1, 0)

    golden.write_text(json.dumps(ANSWER))
    same = run_cli(recorded, "show", "summarize_pr/small_fix")
    assert same.stdout.endswith("diff: none; the recorded output matches the golden\n")
    golden.write_text(json.dumps({**ANSWER, "risk": "high"}))
    assert snapshot(recorded) == before  # show writes nothing (no ledger either)


def test_show_routine_lists_cases_with_status_and_lock_summary(recorded: Path) -> None:
    (recorded / "golden" / "summarize_pr" / "small_fix.output.json").write_text(json.dumps(ANSWER))
    result = run_cli(recorded, "show", "summarize_pr")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "summarize_pr v1  claude-haiku-4-5 -> claude-haiku-4-5-20251001 (active)"
    assert lines[1] == "  params: max_tokens=512 temperature=0"
    assert lines[3] == "cases (2):"
    assert lines[4].split() == ["small_fix", "recorded", "(current)", "golden", "matches"]
    assert lines[5].split() == ["typo", "not", "recorded", "golden", "missing", "nothing", "to", "compare"]

    records = _json_lines(run_cli(recorded, "show", "summarize_pr", "--format", "json").stdout)
    routine = records[0]
    assert routine["kind"] == "routine" and routine["version"] == 1 and routine["model"] == "claude-haiku-4-5"
    assert routine["params"] == {"max_tokens": 512, "temperature": 0}
    assert routine["cases"] == ["small_fix", "typo"]
    assert [(r["case"], r["verdict"]) for r in records[1:-1]] == [("small_fix", "matches"), ("typo", "not-recorded")]
    assert [r["transcript"]["state"] for r in records[1:-1]] == ["current", "missing"]  # type: ignore[index]
    summary = records[-1]
    assert (summary["cases"], summary["matches"], summary["not_recorded"]) == (2, 1, 1)

    chat = run_cli(recorded, "show", "chat/hello").stdout
    assert "diff: no golden yet; review the output, then run 'routinec test chat --update-golden'" in chat


def test_show_without_an_argument_lists_every_routine(recorded: Path) -> None:
    (recorded / "golden" / "summarize_pr" / "small_fix.output.json").write_text(json.dumps(ANSWER))
    result = run_cli(recorded, "show")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "chat v1  claude-haiku-4-5 -> claude-haiku-4-5-20251001 (active)  1 case (1 without a golden)",
        "summarize_pr v1  claude-haiku-4-5 -> claude-haiku-4-5-20251001 (active)  2 cases (1 matching, 1 not recorded)",
    ]
    records = _json_lines(run_cli(recorded, "show", "--format", "json").stdout)
    assert [(r["routine"], r["cases"]) for r in records[:-1]] == [("chat", ["hello"]), ("summarize_pr", ["small_fix", "typo"])]
    summary = records[-1]
    assert (summary["routines"], summary["cases"], summary["matches"], summary["no_golden"]) == (2, 3, 1, 1)


def test_show_stale_transcript_still_shows_what_was_recorded(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", chat=False)
    with FakeAnthropic() as api:
        api.push(output_reply({}, ANSWER))
        assert run_cli(root, "record", "summarize_pr", "--case", "small_fix", env=cli_env(api)).returncode == 0
    prompt = root / "specs" / "prompts" / "summarize_pr.j2"
    prompt.write_text("Review this.\n" + prompt.read_text())
    lock(root)
    result = run_cli(root, "show", "summarize_pr/small_fix")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recorded output (golden/summarize_pr/small_fix.transcript.json, recorded, stale):" in result.stdout
    assert '  risk: "low"' in result.stdout
    assert "  (stale) the recorded request no longer matches: prompt" in result.stdout
    assert "run 'routinec record summarize_pr --case small_fix'" in result.stdout

    # A golden or transcript that cannot be read is shown as such, never a traceback.
    golden = root / "golden" / "summarize_pr" / "small_fix.output.json"
    golden.write_text("{not json")
    (root / "golden" / "summarize_pr" / "small_fix.transcript.json").write_text("[]")
    broken = run_cli(root, "show", "summarize_pr/small_fix", "--format", "json")
    assert broken.returncode == 0, broken.stdout + broken.stderr
    case = json.loads(broken.stdout.splitlines()[0])
    assert (case["transcript"]["state"], case["golden"]["state"], case["verdict"]) == ("corrupt", "unusable", "not-recorded")
    assert case["golden"]["problem"].startswith("the golden output cannot be read")
    assert case["output"] is None and "Traceback" not in broken.stderr


def test_show_unknown_names_exit_2_with_did_you_mean(recorded: Path) -> None:
    before = snapshot(recorded, ledger=True)
    routine = run_cli(recorded, "show", "sumarize_pr")
    assert routine.returncode == 2
    assert "no routine named 'sumarize_pr' in the lock  [unknown-routine]" in routine.stdout
    assert "help: did you mean 'summarize_pr'?" in routine.stdout
    case = run_cli(recorded, "show", "summarize_pr/smal_fix", "--format", "json")
    assert case.returncode == 2
    [diag, summary] = _json_lines(case.stdout)
    assert (diag["code"], diag["help"], summary["exit_code"]) == ("unknown-case", "did you mean 'small_fix'?", 2)
    nothing = run_cli(recorded, "show", "zzz")
    assert nothing.returncode == 2 and "help: known: chat, summarize_pr" in nothing.stdout
    assert "Traceback" not in routine.stderr + case.stderr + nothing.stderr
    assert snapshot(recorded, ledger=True) == before


def test_test_case_across_routines_gets_a_did_you_mean(recorded: Path) -> None:
    env = cli_env(CI="true")
    misspelt = run_cli(recorded, "test", "--case", "smal_fix", env=env)
    assert misspelt.returncode == 2
    assert "no selected routine has a test case named 'smal_fix'  [unknown-case]" in misspelt.stdout
    assert "help: did you mean 'small_fix'?" in misspelt.stdout
    far = run_cli(recorded, "test", "--case", "zzz", env=env)
    assert far.returncode == 2 and "help: 'routinec show' lists every routine's cases" in far.stdout
