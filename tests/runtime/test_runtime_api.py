"""The application API in process: Runtime/Session/Result, request building from the lock,
state session vs reset, the forced-tool path, replay isolation (no SDK import, no socket)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from routinec.canonical import digest
from routinec.runtime import RoutineError, Runtime
from routinec.runtime.fixtures import write_fixtures
from routinec.runtime.request import api_schema, build_request
from tests.runtime import lockbuilder
from tests.support.fake_api import TEST_KEY, FakeAnthropic, Reply, output_reply


def test_replay_result_has_provenance(project: Path) -> None:
    write_fixtures(project)
    rt = Runtime(project, mode="replay")
    result = rt.run("summarize_pr", {"title": "Fix typo", "diff": "-teh\n+the"})
    assert result.output == {"files": [], "risk": "low", "summary": "example"}
    assert result.entry_hash == rt.lock.routines["summarize_pr"].entry_hash
    assert result.model == "claude-haiku-4-5-20251001"
    assert result.transcript == project / "golden/summarize_pr/typo.transcript.json"
    assert result.case is None and result.mode == "replay"


def test_replay_miss_names_closest_and_command(project: Path) -> None:
    write_fixtures(project)
    rt = Runtime(project, mode="replay")
    with pytest.raises(RoutineError) as info:
        rt.run("summarize_pr", {"title": "Fix typos", "diff": "-teh\n+the"})
    message = info.value.one_line()
    assert "closest is typo.transcript.json: prompt text changed (messages[0] at char 15" in message
    assert "routinec record summarize_pr --case typo" in message


def test_missing_template_variable_names_routine_and_line(tmp_path: Path) -> None:
    root = lockbuilder.write_project(
        tmp_path / "p", lockbuilder.entry("needs", template="line one\n{{ question }}\n{{ missing_var }}\n")
    )
    rt = Runtime(root, mode="replay")
    with pytest.raises(RoutineError) as info:
        rt.run("needs", {"question": "q"})
    assert info.value.kind == "template-error"
    assert "needs: template <needs.prompt> line 3: 'missing_var' is undefined" in info.value.one_line()


def test_input_defaults_and_validation(project: Path) -> None:
    rt = Runtime(project, mode="replay")
    routine = rt.routine("summarize_pr")
    assert routine.validate_input({"title": "t", "diff": "d"})["labels"] == []
    with pytest.raises(RoutineError, match="title: '' should be non-empty"):
        routine.validate_input({"title": "", "diff": "d"})
    with pytest.raises(RoutineError, match="Additional properties are not allowed"):
        routine.validate_input({"title": "t", "diff": "d", "extra": 1})


def test_request_from_lock_parameters(tmp_path: Path) -> None:
    params = {
        "max_tokens": 300,
        "temperature": Decimal("0.7"),
        "top_k": 40,
        "stop_sequences": ["</end>"],
        "effort": "high",
        "thinking_budget": 2048,
    }
    root = lockbuilder.write_project(tmp_path / "p", lockbuilder.entry("p", params=params, structured=False))
    routine = Runtime(root, mode="replay").routine("p")
    body = build_request(routine, None, "hello")
    assert body["temperature"] == 0.7 and isinstance(body["temperature"], float)
    assert body["top_k"] == 40 and body["stop_sequences"] == ["</end>"]
    assert body["output_config"] == {"effort": "high"}
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["tools"][0]["name"] == "emit_output"
    assert body["tools"][0]["input_schema"]["required"] == ["answer", "score"]
    assert body["tool_choice"] == {"type": "auto"}  # forced choice is rejected with thinking
    assert "system" not in body
    # The hash is stable across runs and independent of dict order.
    assert digest(body) == digest(dict(reversed(list(body.items()))))


def test_api_schema_moves_unsupported_keywords_to_description() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 1}, "tags": {"type": "array", "items": {"type": "string"}, "minItems": 3}},
        "required": ["n"],
    }
    out = api_schema(schema)
    assert "$schema" not in out and out["additionalProperties"] is False
    assert out["properties"]["n"] == {"type": "integer", "description": "{minimum: 1}"}
    assert out["properties"]["tags"]["description"] == "{minItems: 3}"


def test_session_keeps_turns_reset_does_not(project: Path) -> None:
    with FakeAnthropic() as api:
        def respond(req: dict[str, Any]) -> Reply:
            if "answer" in req["output_config"]["format"]["schema"]["properties"]:
                return output_reply(req, {"answer": f"turn {len(req['messages'])}"})
            return output_reply(req, {"summary": "s", "risk": "low", "files": []})

        api.respond = respond
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ANTHROPIC_BASE_URL", api.base_url)
            rt = Runtime(project, mode="live", api_key=TEST_KEY)
            session = rt.session()
            first = session.run("chat", {"question": "one"})
            second = session.run("chat", {"question": "two"})
            fresh = rt.run("chat", {"question": "two"})
            s1 = rt.session().run("summarize_pr", {"title": "a", "diff": "b"})
            assert s1.output["summary"]
            s2 = session.run("summarize_pr", {"title": "a", "diff": "b"})
            s3 = session.run("summarize_pr", {"title": "a", "diff": "b"})
        assert first.output == {"answer": "turn 1"}
        assert second.output == {"answer": "turn 3"}
        assert fresh.output == {"answer": "turn 1"}
        chat_bodies = [r.body for r in api.messages() if r.body["messages"][0]["content"].startswith("Q:")]
        assert [m["role"] for m in chat_bodies[1]["messages"]] == ["user", "assistant", "user"]
        assert chat_bodies[1]["messages"][1]["content"][0]["text"] == '{"answer": "turn 1"}'
        assert s2.request_hash == s3.request_hash  # state reset: no history carried
        assert second.served_model == "claude-haiku-4-5-20251001" and second.request_id


def test_forced_tool_session_answers_tool_use_first(tmp_path: Path) -> None:
    root = lockbuilder.write_project(tmp_path / "p", lockbuilder.entry("t", structured=False, state="session"))
    with FakeAnthropic() as api, pytest.MonkeyPatch.context() as mp:
        api.respond = lambda req: output_reply(req, {"answer": "a", "score": 1})
        mp.setenv("ANTHROPIC_BASE_URL", api.base_url)
        session = Runtime(root, mode="live", api_key=TEST_KEY).session()
        assert session.run("t", {"question": "1"}).output == {"answer": "a", "score": 1}
        session.run("t", {"question": "2"})
        second = api.messages()[1].body
    assert second["tool_choice"] == {"type": "tool", "name": "emit_output"}
    user = second["messages"][2]["content"]
    assert user[0] == {"type": "tool_result", "tool_use_id": "toolu_fake", "content": "received"}
    assert user[1] == {"type": "text", "text": "Q: 2"}


def test_record_mode_needs_a_case(project: Path) -> None:
    rt = Runtime(project, mode="record", api_key=TEST_KEY)
    with pytest.raises(RoutineError, match="needs a case name"):
        rt.run("chat", {"question": "x"})


def test_replay_imports_no_sdk_and_opens_no_socket(project: Path) -> None:
    write_fixtures(project)
    code = textwrap.dedent(
        """
        import socket, sys
        def forbidden(*a, **k):
            raise AssertionError("replay opened a socket")
        socket.socket = forbidden
        socket.create_connection = forbidden
        from routinec.runtime import Runtime
        from routinec.runtime.suite import run_suite
        outcomes = run_suite(Runtime(sys.argv[1], mode="replay"), [], update_golden=False)
        assert [o.status for o in outcomes] == ["pass", "pass", "pass"], outcomes
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("anthropic", "httpx", "httpx2", "lark"))
        assert leaked == [], leaked
        assert not any(m.startswith("routinec.compiler") for m in sys.modules)
        print("clean")
        """
    )
    result = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
