"""Run records: the real SDK against the loopback server, a real SQLite file or a real
PostgreSQL database per test (`backend`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.ledger import Ledger
from routinec.runtime import RoutineError, Runtime
from tests.ledger.backends import Backend, set_ledger_setting
from tests.support.fake_api import TEST_KEY, FakeAnthropic, error_reply, message_reply


def _live(project: Path, api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, mode: str = "live") -> Runtime:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    return Runtime(project, mode)


def test_live_run_appends_one_record(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = _live(project, fake_api, monkeypatch)
    result = rt.run("summarize_pr", {"title": "Fix", "diff": "-a\n+b"})
    assert result.run_id is not None and not rt.ledger_failures
    with Ledger.open(project) as ledger:
        record = ledger.run(result.run_id)
        assert [r.run_id for r in ledger.runs()] == [result.run_id]
    assert record.status == "ok" and record.output_valid and record.mode == "live"
    assert record.routine == "summarize_pr" and record.version == 1
    assert record.entry_hash == result.entry_hash
    assert record.model_snapshot == result.model and record.served_model == result.served_model
    assert record.response_id and record.request_id == result.request_id
    assert record.input_tokens == result.usage["input_tokens"]
    assert record.lock_digest and record.lock_digest.startswith("sha256:")
    assert record.output_json is not None and json.loads(record.output_json) == result.output
    assert record.input_digest and record.output_digest and record.params_digest
    assert record.invoker in ("local", "ci", "github-actions", "gitlab-ci", "buildkite", "circleci", "jenkins")
    assert record.git_commit is None  # the temp project is not a git checkout


def test_failed_runs_are_recorded_and_still_raise(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = _live(project, fake_api, monkeypatch)
    fake_api.push(error_reply(400, "bad request"))
    with pytest.raises(RoutineError) as api_error:
        rt.run("summarize_pr", {"title": "Fix", "diff": "x"})
    fake_api.push(message_reply([{"type": "text", "text": "{\"summary\": 3}"}]))
    with pytest.raises(RoutineError):
        rt.run("summarize_pr", {"title": "Fix", "diff": "y"})
    fake_api.push(message_reply([{"type": "text", "text": "{\"sum"}], stop_reason="max_tokens"))
    with pytest.raises(RoutineError):
        rt.run("summarize_pr", {"title": "Fix", "diff": "z"})
    with Ledger.open(project) as ledger:
        records = ledger.runs()
    assert [r.status for r in records] == ["error", "invalid-output", "max-tokens"]
    assert records[0].error_code == "api-error" and records[0].error_class == "RoutineError"
    assert api_error.value.kind.value == "api-error"
    assert not any(r.output_valid for r in records) and all(r.output_json is None for r in records)
    with Ledger.open(project) as ledger:
        assert [r.status for r in ledger.runs(status="invalid-output")] == ["invalid-output"]


def test_replay_writes_no_record_unless_asked(
    project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, backend: Backend
) -> None:
    recorder = _live(project, fake_api, monkeypatch, mode="record")
    recorder.run_case("summarize_pr", "small_fix")
    assert backend.exists(project)
    replay = Runtime(project, "replay")
    assert replay.audit is None and replay.run_case("summarize_pr", "small_fix").run_id is None
    asked = Runtime(project, "replay", ledger=True)
    run_id = asked.run_case("summarize_pr", "small_fix").run_id
    with Ledger.open(project) as ledger:
        assert [r.mode for r in ledger.runs()] == ["record", "replay"]
        assert ledger.run(run_id or "").case == "small_fix"


def test_digests_only_keeps_no_content(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    set_ledger_setting(project, 'content = "digests"')
    result = _live(project, fake_api, monkeypatch).run("summarize_pr", {"title": "Fix", "diff": "q"})
    with Ledger.open(project) as ledger:
        record = ledger.run(result.run_id or "")
    assert record.content == "digests" and record.input_json is None and record.output_json is None
    assert record.output_digest and record.input_digest


def test_records_are_never_updated(
    project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, backend: Backend
) -> None:
    rt = _live(project, fake_api, monkeypatch)
    first = rt.run("summarize_pr", {"title": "Fix", "diff": "1"})
    rt.run("summarize_pr", {"title": "Fix", "diff": "1"})
    rows = backend.query(project, "select run_id, input_digest from runs order by run_id")
    assert len(rows) == 2 and rows[0][0] == first.run_id and rows[0][1] == rows[1][1]


def test_outcome_api_takes_a_correction_value(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    from decimal import Decimal

    from routinec.ledger import LedgerError

    result = _live(project, fake_api, monkeypatch).run("summarize_pr", {"title": "Fix", "diff": "d"})
    run_id = result.run_id or ""
    with Ledger.open(project) as ledger:
        fixed = {**result.output, "files": [{"path": "a.py", "change": "added"}]}
        outcome = ledger.outcome(run_id, "modified", correction=fixed, by="alice", source="judge")
        assert json.loads(outcome.diff_json or "")[0]["op"] in ("added", "changed")
        with pytest.raises(LedgerError) as bad:
            ledger.outcome(run_id, "modified", correction={**result.output, "risk": Decimal("0.5")})
        assert bad.value.code.value == "invalid-correction"
        with pytest.raises(LedgerError):
            ledger.outcome(run_id, "approved")
        assert [o.verdict for o in ledger.current_outcomes(run_id)] == ["modified"]
