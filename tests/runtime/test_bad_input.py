"""Bad input through the real CLI: each case is one clear line with a hint, the documented
exit code, no traceback, and not one byte on disk changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.runtime.fixtures import write_fixtures
from tests.runtime import lockbuilder
from tests.runtime.conftest import cli_env, lock, run_cli, snapshot
from tests.support.fake_api import FakeAnthropic


def _ready(project: Path) -> Path:
    write_fixtures(project)
    return project


def _fails(
    project: Path,
    code: int,
    *needles: str,
    args: tuple[str, ...] = ("test",),
    env: dict[str, str] | None = None,
) -> str:
    before = snapshot(project)
    result = run_cli(project, *args, env=env)
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    for needle in needles:
        assert needle in out, out
    assert "Traceback" not in out
    assert snapshot(project) == before
    return out


def test_fixtures_replay_green(project: Path) -> None:
    _ready(project)
    result = run_cli(project, "test")
    assert result.returncode == 0, result.stdout
    transcript = json.loads((project / "golden/chat/hello.transcript.json").read_text())
    assert transcript["origin"] == "fixture"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "not-object", "no-responses"])
def test_corrupt_transcript(project: Path, damage: str) -> None:
    path = _ready(project) / "golden/summarize_pr/typo.transcript.json"
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\xff\xfe not json")
    elif damage == "not-object":
        path.write_text("[1, 2]\n")
    else:
        value = json.loads(data)
        value["responses"] = []
        path.write_text(json.dumps(value))
    _fails(project, 2, "summarize_pr/typo", "restore it from git, or run 'routinec record summarize_pr --case typo'")


def test_transcript_for_another_entry(project: Path) -> None:
    _ready(project)
    other = (project / "golden/chat/hello.transcript.json").read_bytes()
    (project / "golden/summarize_pr/typo.transcript.json").write_bytes(other)
    _fails(project, 1, "the transcript belongs to chat/hello", "routinec record summarize_pr --case typo")


def test_changed_prompt_misses_with_diff_and_command(project: Path) -> None:
    _ready(project)
    prompt = project / "specs/prompts/summarize_pr.j2"
    prompt.write_text(prompt.read_text().replace("Title:", "PR title:"))
    lock(project)
    _fails(
        project,
        1,
        "the recorded request no longer matches: prompt text changed (messages[0] at char 0",
        "run 'routinec record summarize_pr --case small_fix'",
    )


def test_changed_parameter_is_named(project: Path) -> None:
    _ready(project)
    spec = project / "specs/summarize_pr.routine"
    spec.write_text(spec.read_text().replace("temperature 0", "temperature 0.25"))
    lock(project)
    _fails(project, 1, "parameter temperature changed (0 → 0.25)")


def test_golden_no_longer_matches_schema(project: Path) -> None:
    _ready(project)
    golden = project / "golden/summarize_pr/typo.output.json"
    value = json.loads(golden.read_text())
    value["risk"] = "extreme"
    golden.write_text(json.dumps(value))
    _fails(project, 1, "golden output no longer matches the locked output schema", "'extreme' is not one of")


def test_response_with_invalid_json(project: Path) -> None:
    path = _ready(project) / "golden/summarize_pr/typo.transcript.json"
    value = json.loads(path.read_text())
    value["responses"][0]["content"][0]["text"] = '{"summary": "cut'
    path.write_text(json.dumps(value))
    _fails(project, 1, "the model's answer is not valid JSON", "typo.transcript.json")


@pytest.mark.parametrize(
    ("stop", "needle"), [("refusal", "the model refused"), ("max_tokens", "cut off at max_tokens")]
)
def test_refusal_and_max_tokens(project: Path, stop: str, needle: str) -> None:
    path = _ready(project) / "golden/summarize_pr/typo.transcript.json"
    value = json.loads(path.read_text())
    value["responses"][0]["stop_reason"] = stop
    path.write_text(json.dumps(value))
    _fails(project, 1, needle, "summarize_pr/typo")


def test_stale_source_file(project: Path) -> None:
    _ready(project)
    prompt = project / "specs/prompts/summarize_pr.j2"
    prompt.write_text(prompt.read_text() + "more\n")
    # exit 1 as in `verify`: the lock drifted from its sources (the same exit in every command)
    _fails(project, 1, "stale: specs/prompts/summarize_pr.j2 changed", "run 'routinec lock'")


def test_sandbox_escape_is_refused(tmp_path: Path, fake_api: FakeAnthropic) -> None:
    root = lockbuilder.write_project(
        tmp_path / "p", lockbuilder.entry("escape", template="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    )
    _fails(root, 2, "escape/one: the template sandbox refused an unsafe operation", "__class__")
    # In record mode too, and before anything is sent.
    _fails(root, 2, "sandbox refused", args=("record",), env=cli_env(fake_api))
    assert fake_api.messages() == []


def test_input_failing_validation(tmp_path: Path) -> None:
    root = lockbuilder.write_project(
        tmp_path / "p", lockbuilder.entry("strict", tests={"bad": {"question": "q", "count": 0}})
    )
    _fails(root, 2, "strict/bad: input does not match the locked input schema: count: 0 is less than the minimum of 1")


def test_hand_edited_lock(project: Path) -> None:
    lockfile = project / "routines.lock"
    lockfile.write_text(lockfile.read_text().replace('"temperature": 0', '"temperature": 1'))
    # exit 1 as in `verify`: a hand-edited lock is a finding, the same in every command
    _fails(project, 1, "lock entry 'summarize_pr' does not match its entry_hash")
