"""End to end through the CLI in subprocesses, on SQLite and on PostgreSQL (`backend`):
record appends runs, `outcome` appends verdicts, `ledger ls|show` read them back; every bad
input is one diagnostic, exit 2, and leaves the ledger as it was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import json_lines
from tests.ledger.backends import Backend
from tests.runtime.conftest import cli_env, run_cli
from tests.support.fake_api import FakeAnthropic


def _record(project: Path, api: FakeAnthropic) -> list[dict[str, object]]:
    done = run_cli(project, "record", env=cli_env(api))
    assert done.returncode == 0, done.stdout + done.stderr
    listed = run_cli(project, "ledger", "ls", "--format", "json")
    assert listed.returncode == 0, (listed.stdout + listed.stderr)
    rows: list[dict[str, object]] = json_lines(listed.stdout, "run")
    return rows


def _db(project: Path) -> Path:
    return project / ".routinec" / "ledger.db"


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_record_outcome_ls_show(project: Path, fake_api: FakeAnthropic, tmp_path: Path) -> None:
    rows = _record(project, fake_api)
    assert sorted((r["routine"], r["case"], r["mode"], r["status"]) for r in rows) == [
        ("chat", "hello", "record", "ok"),
        ("summarize_pr", "small_fix", "record", "ok"),
        ("summarize_pr", "typo", "record", "ok"),
    ]
    run = next(r for r in rows if r["case"] == "small_fix")
    run_id = str(run["run_id"])

    [shown] = json_lines(run_cli(project, "ledger", "show", run_id, "--format", "json").stdout, "run")
    original = shown["output"]
    corrected = {**original, "risk": "high" if original["risk"] != "high" else "low"}
    fix = tmp_path / "fix.json"
    fix.write_text(json.dumps(corrected))

    first = run_cli(project, "outcome", run_id, "accepted", "--by", "alice", "--format", "json")
    assert first.returncode == 0, (first.stdout + first.stderr)
    [stored] = json_lines(first.stdout, "outcome")
    accepted = stored["outcome_id"]
    second = run_cli(project, "outcome", run_id, "modified", "--correction", str(fix), "--by", "bob",
                     "--comment", "risk was wrong", "--overrides", accepted)
    assert second.returncode == 0, (second.stdout + second.stderr)
    assert second.stdout.startswith("outcome ") and "modified" in second.stdout

    [shown] = json_lines(run_cli(project, "ledger", "show", run_id, "--format", "json").stdout, "run")
    assert shown["verdict"] == ["modified"]
    assert [(o["verdict"], o["superseded"]) for o in shown["outcomes"]] == [("accepted", True), ("modified", False)]
    assert shown["outcomes"][1]["diff"] == [{"path": "/risk", "op": "changed", "from": original["risk"], "to": corrected["risk"]}]
    assert shown["outcomes"][1]["correction"] == corrected

    text = run_cli(project, "ledger", "show", run_id)
    assert text.returncode == 0 and "changed /risk" in text.stdout and "(superseded)" in text.stdout
    listed = run_cli(project, "ledger", "ls", "--routine", "summarize_pr", "--since", "1d")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 2 and "modified" in listed.stdout
    none = run_cli(project, "ledger", "ls", "--since", "2999-01-01", "--format", "json")
    assert none.stdout.count("\n") == 1 and json_lines(none.stdout) == []  # the summary record alone
    assert json.loads(none.stdout)["runs"] == 0


def test_replay_records_only_with_ledger_flag(project: Path, recorded_project: list[dict[str, object]], fake_api: FakeAnthropic, backend: Backend) -> None:
    assert run_cli(project, "test", "--update-golden").returncode == 0
    before = backend.rows(project)
    assert run_cli(project, "test").returncode == 0
    assert backend.rows(project) == before
    assert run_cli(project, "test", "--ledger").returncode == 0
    runs, _ = backend.rows(project)
    assert len(runs) == len(before[0]) + 3
    live = run_cli(project, "test", "--live", env=cli_env(fake_api))
    check = run_cli(project, "record", "--check", env=cli_env(fake_api))
    assert live.returncode in (0, 1) and check.returncode in (0, 1)
    modes = [r["mode"] for r in json_lines(run_cli(project, "ledger", "ls", "--format", "json").stdout, "run")]
    assert modes == ["record"] * 3 + ["replay"] * 3 + ["live"] * 6


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["outcome", "RUN", "approved"], 2, "approved"),  # click's Choice
        (["outcome", "0000-not-a-run", "accepted"], 2, "[unknown-run]"),
        (["outcome", "RUN", "modified"], 2, "[invalid-outcome]"),
        (["outcome", "RUN", "accepted", "--correction", "FIX"], 2, "[invalid-outcome]"),
        (["outcome", "RUN", "modified", "--correction", "BADFIX"], 2, "[invalid-correction]"),
        (["outcome", "RUN", "modified", "--correction", "NOTJSON"], 2, "[invalid-json]"),
        (["outcome", "RUN", "accepted", "--overrides", "0000-none"], 2, "[unknown-run]"),
        (["ledger", "show", "0000-not-a-run"], 2, "[unknown-run]"),
        (["ledger", "ls", "--since", "last tuesday"], 2, "--since"),
    ],
)
def test_bad_input_is_one_diagnostic_and_changes_nothing(
    project: Path, recorded_project: list[dict[str, object]], tmp_path: Path, args: list[str], code: int, words: str, backend: Backend
) -> None:
    rows = recorded_project
    run_id = str(rows[0]["run_id"])
    (tmp_path / "fix.json").write_text(json.dumps({"summary": "s", "risk": "low", "files": []}))
    (tmp_path / "bad.json").write_text(json.dumps({"summary": "", "risk": "catastrophic"}))
    (tmp_path / "not.json").write_text("{nope")
    names = {"RUN": run_id, "FIX": str(tmp_path / "fix.json"), "BADFIX": str(tmp_path / "bad.json"),
             "NOTJSON": str(tmp_path / "not.json")}
    before = backend.rows(project)
    done = run_cli(project, *[names.get(a, a) for a in args])
    assert done.returncode == code, done.stdout + done.stderr
    assert words in (done.stdout + done.stderr)
    assert "Traceback" not in (done.stdout + done.stderr) and (done.stdout + done.stderr).lower().count("error:") == 1, (done.stdout + done.stderr)
    assert backend.rows(project) == before


@SQLITE_ONLY
def test_a_file_that_is_not_a_database_refuses(project: Path, fake_api: FakeAnthropic) -> None:
    db = _db(project)
    db.parent.mkdir()
    db.write_bytes(b"this is not a database at all, just some bytes\n" * 10)
    for args in (["ledger", "ls"], ["record"]):
        done = run_cli(project, *args, env=cli_env(fake_api))
        assert done.returncode == 2 and "[ledger-corrupt]" in (done.stdout + done.stderr) and "help:" in (done.stdout + done.stderr), (done.stdout + done.stderr)
    assert fake_api.messages() == []  # refused before any model call
    assert db.read_bytes().startswith(b"this is not")


def test_foreign_and_newer_ledgers_refuse(project: Path, fake_api: FakeAnthropic, backend: Backend) -> None:
    if not backend.postgres:
        _db(project).parent.mkdir()
        sqlite3.connect(_db(project)).close()
    backend.execute(project, "create table invoices (id integer primary key, total real)",
                    "insert into invoices values (1, 9.5)")
    for args in (["ledger", "ls"], ["record"]):
        done = run_cli(project, *args, env=cli_env(fake_api))
        assert done.returncode == 2 and "not a routinec ledger" in (done.stdout + done.stderr) and "[ledger-corrupt]" in (done.stdout + done.stderr), (done.stdout + done.stderr)
        assert (done.stdout + done.stderr).count("\n") == 2 and "help:" in (done.stdout + done.stderr)  # the error and its hint
    assert fake_api.messages() == []  # refused before any model call
    assert backend.query(project, "select * from invoices") == [(1, 9.5)]
    assert not backend.exists(project)  # nothing created beside the foreign table

    backend.execute(project, "drop table invoices")
    _record(project, fake_api)
    backend.execute(project, "insert into schema_version values (99, '2099-01-01T00:00:00.000Z', '9.0.0')")
    before_rows = backend.rows(project)
    done = run_cli(project, "ledger", "ls")
    assert done.returncode == 2 and "[ledger-format]" in (done.stdout + done.stderr) and "upgrade routinec" in (done.stdout + done.stderr), (done.stdout + done.stderr)
    assert "routinec 9.0.0" in (done.stdout + done.stderr) and "Traceback" not in (done.stdout + done.stderr)
    assert backend.rows(project) == before_rows

    # A newer routinec's Alembic revision is refused the same way.
    backend.execute(project, "delete from schema_version where version = 99", "update alembic_version set version_num = '0099'")
    done = run_cli(project, "ledger", "ls")
    assert done.returncode == 2 and "[ledger-format]" in (done.stdout + done.stderr) and "version 0099" in (done.stdout + done.stderr), (done.stdout + done.stderr)
    assert backend.rows(project) == before_rows


@SQLITE_ONLY
def test_a_ledger_that_cannot_be_written_never_costs_the_answer(project: Path, fake_api: FakeAnthropic) -> None:
    (project / ".routinec").write_text("a file where the ledger's directory should be\n")
    done = run_cli(project, "record", "summarize_pr", "--case", "small_fix", env=cli_env(fake_api))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 run record(s) not written to the ledger" in (done.stdout + done.stderr) and "Traceback" not in (done.stdout + done.stderr)
    assert (project / "golden" / "summarize_pr" / "small_fix.transcript.json").is_file()


def test_spooled_records_are_delivered_exactly_once(project: Path, fake_api: FakeAnthropic, backend: Backend) -> None:
    backend.break_connection(project)  # a directory in the file's place; a port that refuses
    done = run_cli(project, "record", "summarize_pr", env=cli_env(fake_api))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 run record(s) kept in .routinec/spool/" in (done.stdout + done.stderr) and "Traceback" not in (done.stdout + done.stderr)
    spooled = sorted((project / ".routinec" / "spool").glob("*.run.json"))
    assert len(spooled) == 2
    down = run_cli(project, "ledger", "sync")
    assert down.returncode == 2 and "[ledger-unavailable]" in (down.stdout + down.stderr) and "help:" in (down.stdout + down.stderr), (down.stdout + down.stderr)
    assert (down.stdout + down.stderr).count("\n") == 2 and "Traceback" not in (down.stdout + down.stderr)
    backend.mend_connection(project)
    keep = spooled[0].read_bytes()
    first = run_cli(project, "ledger", "sync")
    assert first.returncode == 0 and "2 run record(s) delivered, 0 already there, 0 left" in first.stdout, (first.stdout + first.stderr)
    # A delivery cut short after its commit and before removing a file: delivered again, never twice.
    spooled[0].write_bytes(keep)
    again = run_cli(project, "ledger", "sync")
    assert "0 run record(s) delivered, 1 already there, 0 left" in again.stdout
    rows = json_lines(run_cli(project, "ledger", "ls", "--format", "json").stdout, "run")
    assert sorted(r["case"] for r in rows) == ["small_fix", "typo"]


def test_the_next_working_write_drains_the_spool(project: Path, fake_api: FakeAnthropic, backend: Backend) -> None:
    backend.break_connection(project)
    assert run_cli(project, "record", "chat", env=cli_env(fake_api)).returncode == 0
    backend.mend_connection(project)
    assert run_cli(project, "record", "summarize_pr", "--case", "typo", env=cli_env(fake_api)).returncode == 0
    assert list((project / ".routinec" / "spool").glob("*.run.json")) == []
    rows = json_lines(run_cli(project, "ledger", "ls", "--format", "json").stdout, "run")
    assert sorted(r["case"] for r in rows) == ["hello", "typo"]


@SQLITE_ONLY
def test_json_output_is_json_lines_with_one_summary(project: Path, recorded_project: list[dict[str, object]], tmp_path: Path) -> None:
    """`ledger ls|show|sync`, `outcome` and `attest` print JSON lines and the closing summary
    record, as every command does; `report --format json` stays one document (the report)."""
    rows = recorded_project
    listed = run_cli(project, "ledger", "ls", "--format", "json")
    lines = listed.stdout.splitlines()
    assert len(lines) == len(rows) + 1 == 4  # one run per line, then the summary
    assert all(json.loads(line)["kind"] == "run" for line in lines[:-1])
    summary = json.loads(lines[-1])
    assert (summary["command"], summary["runs"], summary["exit_code"]) == ("ledger ls", 3, 0)
    assert isinstance(rows[0]["latency_ms"], float) and isinstance(rows[0]["version"], int)  # JSON types kept
    assert listed.stderr == ""

    run_id = str(rows[0]["run_id"])
    shown = run_cli(project, "ledger", "show", run_id, "--format", "json")
    [run] = json_lines(shown.stdout, "run")
    assert run["run_id"] == run_id and isinstance(run["output"], dict)
    assert json.loads(shown.stdout.splitlines()[-1])["command"] == "ledger show"
    stored = run_cli(project, "outcome", run_id, "accepted", "--format", "json")
    [outcome] = json_lines(stored.stdout, "outcome")
    assert outcome["run_id"] == run_id and outcome["verdict"] == "accepted"
    synced = run_cli(project, "ledger", "sync", "--format", "json")
    assert json_lines(synced.stdout) == []
    assert {k: json.loads(synced.stdout)[k] for k in ("delivered", "duplicates", "left")} == {"delivered": 0, "duplicates": 0, "left": 0}

    # Bad input in JSON too: the diagnostic as a record, the summary says exit 2.
    unknown = run_cli(project, "ledger", "show", "0193f0f0-0000-7000-8000-000000000000", "--format", "json")
    assert unknown.returncode == 2
    [diag] = json_lines(unknown.stdout)
    assert diag["code"] == "unknown-run" and json.loads(unknown.stdout.splitlines()[-1])["exit_code"] == 2

    # attest: the default is the statement's own bytes; --format json wraps it in a record.
    raw = run_cli(project, "attest", run_id)
    as_json = run_cli(project, "attest", run_id, "--format", "json")
    [statement] = json_lines(as_json.stdout, "statement")
    assert statement["document"] == json.loads(raw.stdout) and statement["path"] is None
    out = tmp_path / "run.intoto.json"
    written = run_cli(project, "attest", run_id, "-o", str(out), "--format", "json")
    [where] = json_lines(written.stdout, "statement")
    assert where["path"] == str(out) and "document" not in where and out.read_text() == raw.stdout

    report = run_cli(project, "report", "--format", "json")
    assert report.returncode == 0
    assert json.loads(report.stdout)["routines"]  # one document of figures, not JSON lines
