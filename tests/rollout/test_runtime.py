"""Runtime resolution through the real Runtime against the loopback Messages API, after a
real `routinec rollout canary`: SPLIT by an input field (sticky), by the caller's key, by a
request id when there is none (and the result says so); PIN by channel and by version;
DEFAULT without a canary; the frozen v1 keeps running after its spec moved on; and the
ledger records each run's version, channel and reason (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.codes import Code
from routinec.ledger import Ledger
from routinec.lockfile import read_lock
from routinec.runtime import Runtime
from routinec.runtime.errors import RoutineError
from tests.rollout.conftest import bump
from tests.runtime.conftest import run_cli
from tests.support.fake_api import TEST_KEY, FakeAnthropic


def _runtime(project: Path, api: FakeAnthropic, mp: pytest.MonkeyPatch) -> Runtime:
    mp.setenv("ANTHROPIC_BASE_URL", api.base_url)
    return Runtime(project, mode="live", api_key=TEST_KEY)


def _canary(project: Path, *extra: str) -> None:
    done = run_cli(project, "rollout", "canary", "summarize_pr", "--weight", "30", *extra)
    assert done.returncode == 0, done.stderr


def _systems(api: FakeAnthropic) -> list[str]:
    out = []
    for m in api.messages():
        system = m.body.get("system")
        out.append(system if isinstance(system, str) else system[0]["text"])
    return out


def test_split_by_input_field_is_sticky_and_recorded(project: Path, fake_api: FakeAnthropic) -> None:
    bump(project)
    _canary(project, "--key", "input.title")
    with pytest.MonkeyPatch.context() as mp:
        rt = _runtime(project, fake_api, mp)
        results = {}
        for i in range(40):
            title = f"PR {i}"
            first = rt.run("summarize_pr", {"title": title, "diff": "x"})
            again = rt.run("summarize_pr", {"title": title, "diff": "y"})
            assert (first.version, first.channel) == (again.version, again.channel)  # sticky
            assert first.reason == "SPLIT" and first.split_by == "input.title"
            results[title] = first
        assert {r.version for r in results.values()} == {1, 2}
        assert all((r.version == 2) == (r.channel == "canary") for r in results.values())
    # Each version ran its own frozen prompt.
    systems = _systems(fake_api)
    assert "You are a careful code reviewer." in systems and "You are reviewer number 2." in systems
    with Ledger.open(project) as ledger:
        runs = ledger.runs(routine="summarize_pr")
    assert len(runs) == 80
    by_run = {r.run_id: r for r in runs}
    for result in results.values():
        record = by_run[result.run_id or ""]
        assert (record.version, record.channel, record.route_reason) == (result.version, result.channel, "SPLIT")


def test_pins_keys_request_ids_and_bad_picks(project: Path, fake_api: FakeAnthropic) -> None:
    bump(project)
    _canary(project)  # no --key: the caller's key, else a request id
    inputs = {"title": "t", "diff": "d"}
    with pytest.MonkeyPatch.context() as mp:
        rt = _runtime(project, fake_api, mp)
        pinned = rt.run("summarize_pr", inputs, version=1)
        assert (pinned.version, pinned.channel, pinned.reason) == (1, "stable", "PIN")
        assert rt.run("summarize_pr", inputs, channel="canary").version == 2
        assert rt.run("summarize_pr", inputs, channel="stable").reason == "PIN"
        keyed = [rt.run("summarize_pr", inputs, key=f"user-{i}") for i in range(20)]
        assert {r.split_by for r in keyed} == {"key"} and {r.version for r in keyed} == {1, 2}
        anonymous = rt.run("summarize_pr", inputs)
        assert anonymous.reason == "SPLIT" and anonymous.split_by == "request-id"
        plain = rt.run("chat", {"question": "hi"})
        assert (plain.version, plain.channel, plain.reason) == (1, "stable", "DEFAULT")
        for kwargs, code in [
            ({"version": 9}, Code.UNKNOWN_VERSION),
            ({"channel": "beta"}, Code.ROLLOUT_INVALID),
            ({"channel": "stable", "version": 1}, Code.ROLLOUT_INVALID),
        ]:
            with pytest.raises(RoutineError) as caught:
                rt.run("summarize_pr", inputs, **kwargs)  # type: ignore[arg-type]
            assert caught.value.kind is code
        with pytest.raises(RoutineError) as caught:
            rt.run("chat", {"question": "hi"}, channel="canary")
        assert caught.value.kind is Code.NO_CANARY and "rollout canary chat" in (caught.value.hint or "")


def test_abort_sends_everything_back_even_when_the_spec_is_newer(project: Path, fake_api: FakeAnthropic) -> None:
    bump(project)
    _canary(project)
    bump(project, 3)  # the spec moves on past both channels
    aborted = run_cli(project, "rollout", "abort", "summarize_pr", "--why", "bad summaries")
    assert aborted.returncode == 0, aborted.stderr
    with pytest.MonkeyPatch.context() as mp:
        rt = _runtime(project, fake_api, mp)
        results = [rt.run("summarize_pr", {"title": "t", "diff": "d"}, key=str(i)) for i in range(10)]
    assert {(r.version, r.channel, r.reason) for r in results} == {(1, "stable", "DEFAULT")}
    assert set(_systems(fake_api)) == {"You are a careful code reviewer."}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_run_of_a_frozen_version_attests_and_takes_outcomes(project: Path, fake_api: FakeAnthropic, tmp_path: Path) -> None:
    bump(project)
    _canary(project)
    with pytest.MonkeyPatch.context() as mp:
        rt = _runtime(project, fake_api, mp)
        stable = rt.run("summarize_pr", {"title": "t", "diff": "d"}, channel="stable")
    assert stable.version == 1 and stable.entry_hash != read_lock(project / "routines.lock").routines["summarize_pr"].entry_hash
    statement = tmp_path / "run.intoto.json"
    attested = run_cli(project, "attest", stable.run_id or "", "-o", str(statement))
    assert attested.returncode == 0, attested.stderr
    assert run_cli(project, "attest", "--verify", str(statement)).returncode == 0
    fix = tmp_path / "fix.json"
    fix.write_text(json.dumps({**stable.output, "risk": "high" if stable.output["risk"] != "high" else "low"}))
    modified = run_cli(project, "outcome", stable.run_id or "", "modified", "--correction", str(fix))
    assert modified.returncode == 0, modified.stderr  # validated against v1's frozen output schema
