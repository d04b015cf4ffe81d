"""The tool loop end to end: record against the loopback Messages API (real anthropic SDK),
replay offline from the multi-turn transcript, and the ways a run can go wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.codes import Code
from routinec.runtime.errors import RoutineError
from tests.support.fake_api import FakeAnthropic, tool_script
from tests.tools.conftest import FINAL, STEPS, calls_log, runtime


def _transcript(root: Path) -> dict:
    return json.loads((root / "golden" / "triage" / "dup.transcript.json").read_text())


def test_record_then_replay_offline(tools_project: Path, scripted_api: FakeAnthropic) -> None:
    result = runtime(tools_project, "record", scripted_api).run_case("triage", "dup")
    assert result.output == FINAL
    assert result.turns == 3
    assert [(c.name, c.obtained) for c in result.tool_calls] == [
        ("search_code", "live"), ("read_file", "live"), ("add_label", "dry-run"),
    ]
    # The write tool did not run: its dry run did, and that is what the model saw.
    assert sorted(calls_log(tools_project)) == ["preview_label", "read_file", "search_code"]
    assert not (tools_project / "labels.txt").exists()
    requests = [r.body for r in scripted_api.messages()]
    assert len(requests) == 3
    answer = requests[1]["messages"][-1]
    assert [b["tool_use_id"] for b in answer["content"]] == ["toolu_0_0", "toolu_0_1"]
    assert answer["content"][1]["content"] == "VERSION = 'src/save.py'"
    assert requests[2]["messages"][-1]["content"][0]["content"] == "would add duplicate"
    assert [t["name"] for t in requests[0]["tools"]] == ["search_code", "read_file", "add_label"]

    data = _transcript(tools_project)
    assert data["origin"] == "recorded"
    assert len(data["turns"]) == 3 and len(data["responses"]) == 3
    assert data["turns"][0]["request_hash"] == data["request_hash"]
    calls = data["tool_calls"]
    assert [(c["name"], c["effect"], c["obtained"]) for c in calls] == [
        ("search_code", "read", "live"), ("read_file", "read", "live"), ("add_label", "write", "dry-run"),
    ]
    # The volatile key is normalised before the model or the transcript sees it.
    assert json.loads(calls[0]["result"])["took_ms"] == "<volatile>"

    before = calls_log(tools_project)
    replayed = runtime(tools_project, "replay").run_case("triage", "dup")
    assert replayed.output == FINAL
    assert replayed.turns == 3
    assert [c.obtained for c in replayed.tool_calls] == ["recorded"] * 3
    assert calls_log(tools_project) == before, "replay must not call the tools"


def test_allow_writes_runs_the_write_tool(tools_project: Path, scripted_api: FakeAnthropic) -> None:
    result = runtime(tools_project, "record", scripted_api, allow_writes=True).run_case("triage", "dup")
    assert [c.obtained for c in result.tool_calls] == ["live", "live", "live"]
    assert (tools_project / "labels.txt").read_text() == "duplicate\n"
    assert _transcript(tools_project)["tool_calls"][2]["result"] == "added duplicate"


def test_allow_writes_refused_under_ci(tools_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RoutineError) as info:
        runtime(tools_project, "replay", allow_writes=True)
    assert info.value.kind is Code.CI_REFUSED


def test_a_tool_that_raises_is_an_error_result(tools_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [[("search_code", {"query": "boom"})], ("final", FINAL)]
    with FakeAnthropic(tool_script(steps)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("CI", raising=False)
        result = runtime(tools_project, "record", api).run_case("triage", "dup")
        answer = api.messages()[1].body["messages"][-1]["content"][0]
    assert answer == {
        "type": "tool_result", "tool_use_id": "toolu_0_0",
        "content": "ValueError: the index is not built", "is_error": True,
    }
    assert result.tool_calls[0].is_error
    assert _transcript(tools_project)["tool_calls"][0]["is_error"] is True


def test_limit_exceeded_keeps_the_partial_transcript(tools_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [[("read_file", {"path": f"f{i}"})] for i in range(10)]
    with FakeAnthropic(tool_script(steps)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("CI", raising=False)
        with pytest.raises(RoutineError) as info:
            runtime(tools_project, "record", api).run_case("triage", "dup")
        assert len(api.messages()) == 4  # max_turns 4
    exc = info.value
    assert exc.kind is Code.TOOL_LIMIT
    assert "max_turns 4" in exc.text
    assert exc.partial_transcript is not None and len(exc.partial_transcript["turns"]) == 4
    assert exc.partial_path is not None and exc.partial_path.name == "dup.partial.json"
    kept = json.loads(exc.partial_path.read_text())
    assert kept["partial"] is True and len(kept["tool_calls"]) == 4
    assert not (tools_project / "golden" / "triage" / "dup.transcript.json").exists()


def test_max_tool_calls(tools_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [[("read_file", {"path": f"f{k}"}) for k in range(7)]]
    with FakeAnthropic(tool_script(steps)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("CI", raising=False)
        with pytest.raises(RoutineError) as info:
            runtime(tools_project, "live", api).run("triage", {"title": "x"})
    assert info.value.kind is Code.TOOL_LIMIT
    assert "max_tool_calls 6" in info.value.text
    assert calls_log(tools_project) == [], "no call of an over-limit turn runs"


def test_pause_turn_is_continued(tools_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = ["pause", [("read_file", {"path": "a"})], ("final", FINAL)]
    with FakeAnthropic(tool_script(steps)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("CI", raising=False)
        result = runtime(tools_project, "record", api).run_case("triage", "dup")
        second = api.messages()[1].body["messages"]
    assert result.output == FINAL and result.turns == 3
    assert second[-1]["role"] == "assistant"  # sent back as is, no user turn after it
    assert runtime(tools_project, "replay").run_case("triage", "dup").output == FINAL


def test_parallel_calls_replayed_whatever_order_they_finished_in(
    tools_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [[("search_code", {"query": "parallel"}), ("read_file", {"path": "p"})], ("final", FINAL)]
    with FakeAnthropic(tool_script(steps)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("CI", raising=False)
        runtime(tools_project, "record", api).run_case("triage", "dup")
        answer = api.messages()[1].body["messages"][-1]["content"]
    # read_file finished first (search_code waited for it), yet the answer is in tool_use order.
    assert sorted(calls_log(tools_project)) == ["read_file", "search_code"]
    assert [b["tool_use_id"] for b in answer] == ["toolu_0_0", "toolu_0_1"]
    assert json.loads(answer[0]["content"])["after_read_file"] is True
    # A transcript whose calls are listed in completion order replays the same.
    path = tools_project / "golden" / "triage" / "dup.transcript.json"
    data = json.loads(path.read_text())
    data["tool_calls"].reverse()
    path.write_text(json.dumps(data))
    assert runtime(tools_project, "replay").run_case("triage", "dup").output == FINAL


def test_replay_miss_names_the_turn_and_what_changed(tools_project: Path, scripted_api: FakeAnthropic) -> None:
    runtime(tools_project, "record", scripted_api).run_case("triage", "dup")
    spec = tools_project / "specs" / "triage.routine"
    spec.write_text(spec.read_text().replace("Triage this issue", "Triage the issue"))
    from tests.runtime.conftest import lock

    lock(tools_project)
    with pytest.raises(RoutineError) as info:
        runtime(tools_project, "replay").run_case("triage", "dup")
    assert info.value.kind is Code.TRANSCRIPT_MISMATCH
    assert info.value.text.startswith(
        "turn 1: the request no longer matches the recording (closest: recorded turn 1 of 3): prompt text changed"
    )


def test_replay_of_an_inconsistent_transcript_names_the_turn(tools_project: Path, scripted_api: FakeAnthropic) -> None:
    runtime(tools_project, "record", scripted_api).run_case("triage", "dup")
    path = tools_project / "golden" / "triage" / "dup.transcript.json"
    data = json.loads(path.read_text())
    data["tool_calls"][2]["result"] = "added duplicate"  # as if the write had run
    data["turns"][1]["response"]["content"].insert(0, {"type": "text", "text": "Let me look."})
    path.write_text(json.dumps(data))
    with pytest.raises(RoutineError) as info:
        runtime(tools_project, "replay").run_case("triage", "dup")
    assert info.value.kind is Code.TRANSCRIPT_CORRUPT
    assert info.value.text.startswith("turn 3: the transcript does not add up")


def test_replay_of_a_longer_run_than_recorded(tools_project: Path, scripted_api: FakeAnthropic) -> None:
    runtime(tools_project, "record", scripted_api).run_case("triage", "dup")
    path = tools_project / "golden" / "triage" / "dup.transcript.json"
    data = json.loads(path.read_text())
    del data["turns"][2]
    path.write_text(json.dumps(data))
    with pytest.raises(RoutineError) as info:
        runtime(tools_project, "replay").run_case("triage", "dup")
    assert "turn 3: the recording ends after 2 turns" in info.value.text


def test_steps_fixture_is_three_turns() -> None:
    assert len(STEPS) == 3
