"""The report's figures on the scripted history (tests/report/scripted.py), computed in
process through `build_report`: every figure checked against what the script wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from routinec.commands.report import build_report, report_json
from routinec.config import load_config
from routinec.health.figures import Report, VersionFigures
from tests.report.scripted import SINCE, Scripted, make_history


def _report(root: Path, **kwargs: object) -> Report:
    return build_report(load_config(root), since=str(kwargs.pop("since", SINCE)), **kwargs)  # type: ignore[arg-type]


def _version(report: Report, routine: str, version: int) -> VersionFigures:
    return next(v for r in report.routines if r.name == routine for v in r.versions if v.version == version)


def test_ledger_figures_per_version(scripted: Scripted) -> None:
    report = _report(scripted.root)
    assert report.today == "2026-06-01" and report.since == "2026-05-01T00:00:00.000Z"
    assert [r.name for r in report.routines] == ["chat", "summarize_pr"]
    assert report.total_runs == 18  # the April run is outside the window

    v1 = _version(report, "summarize_pr", 1)
    assert (v1.runs, v1.statuses) == (6, {"error": 1, "ok": 5})
    assert (v1.error_rate, v1.invalid_output_rate) == (0.1667, 0.0)
    assert (v1.reviewed_runs, v1.outcome_coverage, v1.verdicts["accepted"]) == (2, 0.3333, 2)
    assert (v1.latency_p50_ms, v1.latency_p95_ms) == (70.0, 100.0)  # 50..100 ms: nearest rank 3 and 6
    assert (v1.first_run, v1.last_run) == ("2026-05-06T08:00:00.000Z", "2026-05-14T13:00:00.000Z")

    v2 = _version(report, "summarize_pr", 2)
    assert v2.statuses == {"invalid-output": 1, "max-tokens": 1, "ok": 6}
    assert (v2.error_rate, v2.invalid_output_rate) == (0.125, 0.125)
    # run 0: accepted, then overridden by rolled-back: only the rollback counts
    assert v2.verdicts == {"accepted": 1, "modified": 2, "rejected": 1, "rolled-back": 1}
    assert (v2.reviewed_runs, v2.outcome_coverage, v2.superseded_outcomes) == (5, 0.625, 1)
    assert (v2.rollback_rate, v2.correction_rate) == (0.2, 0.4)
    assert [(f.path, f.corrections) for f in v2.corrected_fields] == [("/risk", 2), ("/summary", 1)]
    assert (v2.latency_p50_ms, v2.latency_p95_ms) == (400.0, 800.0)
    assert (v2.input_tokens, v2.output_tokens) == (800, 8 * 20 + sum(range(6, 14)))
    assert v2.models == ("claude-sonnet-4-5-20250929",)

    chat = _version(report, "chat", 1)
    assert (chat.runs, chat.reviewed_runs, chat.outcome_coverage, chat.rollback_rate) == (4, 0, 0.0, None)
    assert report.total_outcomes == 7  # 8 written, 1 superseded

    timeline = next(r for r in report.routines if r.name == "summarize_pr").timeline
    assert sum(d.runs for d in timeline) == 14
    assert [(d.day, d.version, d.runs) for d in timeline if d.day == "2026-05-08"] == [("2026-05-08", 1, 1)]


def test_models_nearing_retirement(scripted: Scripted) -> None:
    report = _report(scripted.root)
    sonnet, haiku = report.models
    assert (sonnet.snapshot, sonnet.lifecycle, sonnet.retires_at, sonnet.days_left) == (
        "claude-sonnet-4-5-20250929", "deprecated", "2026-11-30", 182)
    assert (sonnet.in_lock, sonnet.runs, sonnet.routines) == (("summarize_pr",), 14, ("summarize_pr v1", "summarize_pr v2"))
    assert (haiku.lifecycle, haiku.in_lock) == ("active", ("chat",))


def test_models_past_retirement(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTINEC_TODAY", "2026-12-05")
    report = _report(scripted.root)
    assert next((m.snapshot, m.lifecycle, m.days_left) for m in report.models) == ("claude-sonnet-4-5-20250929", "retired", -5)


def test_versioned_cleanly_from_git_history(scripted: Scripted) -> None:
    report = _report(scripted.root)
    assert report.history.available and report.history.commits == 5
    signals = {s.routine: s for s in report.versioning}
    s = signals["summarize_pr"]
    assert (s.lock_changes, s.version_bumps, s.schema_changes, s.breaking_changes, s.breaking_with_bump,
            s.clean_changes, s.clean_rate) == (4, 1, 1, 1, 1, 4, 1.0)
    c = signals["chat"]
    assert (c.lock_changes, c.version_bumps, c.schema_changes, c.breaking_changes, c.breaking_with_bump,
            c.clean_changes, c.clean_rate) == (2, 0, 1, 1, 0, 1, 0.5)


def test_schema_changes_vs_consumers(scripted: Scripted) -> None:
    report = _report(scripted.root)
    changes = [(c.subject, c.routine, c.kind, c.from_version, c.to_version, c.clean) for c in report.history.changes]
    assert changes == [
        ("add summarize_pr and chat", "chat", "added", None, 1, True),
        ("add summarize_pr and chat", "summarize_pr", "added", None, 1, True),
        ("summarize_pr: reword the prompt", "summarize_pr", "changed", 1, 1, True),
        ("summarize_pr v2: critical risk", "summarize_pr", "changed", 1, 2, True),
        ("chat: drop source", "chat", "changed", 1, 1, False),
        ("release_notes: accept critical", "summarize_pr", "changed", 2, 2, True),
    ]
    bump = report.history.changes[3]
    (schema,) = bump.schema_changes
    assert (schema.schema, schema.compatibility, schema.breaking, schema.rules) == ("output", "BACKWARD", True, ("enum-value-added",))
    (edge,) = bump.consumers
    assert (edge.consumer, edge.accepted_before, edge.accepted_after, edge.broke) == ("release_notes", True, False, True)
    assert any("critical" in f for f in edge.findings)
    (chat_change,) = report.history.changes[4].schema_changes
    assert (chat_change.compatibility, chat_change.breaking, chat_change.rules) == ("NONE", True, ("property-removed",))
    (repaired,) = report.history.changes[5].consumers
    assert (repaired.accepted_before, repaired.accepted_after, repaired.broke) == (False, True, False)
    sig = report.schema_signal
    assert (sig.schema_changes, sig.breaking_changes, sig.output_changes, sig.consumer_edges_checked,
            sig.consumer_edges_broken, sig.changes_without_consumer_break) == (2, 2, 2, 3, 1, 0)


def test_window_and_routine_filter(scripted: Scripted) -> None:
    report = _report(scripted.root, since="2026-05-16", routine="summarize_pr")
    assert [r.name for r in report.routines] == ["summarize_pr"]
    assert [v.version for v in report.routines[0].versions] == [2]  # v1's runs end on 05-14
    assert report.routines[0].versions[0].runs == 8  # all of v2: 05-16 to 05-30
    assert [c.subject for c in report.history.changes] == ["release_notes: accept critical"]
    assert [m.snapshot for m in report.models] == ["claude-sonnet-4-5-20250929"]
    relative = _report(scripted.root, since="10d")  # ROUTINEC_TODAY 2026-06-01: from 05-23 00:00
    assert relative.since == "2026-05-23T00:00:00.000Z"
    assert sum(r.runs for r in relative.routines) == 6  # v2 on 05-24, 26, 30; chat on 05-23, 27, 29


def test_json_is_deterministic_with_sorted_keys(scripted: Scripted) -> None:
    first, second = report_json(_report(scripted.root)), report_json(_report(scripted.root))
    assert first == second
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert data["format"] == "routinec-report/1"
    assert data["corrections"][2] == {"correction_rate": 0.4, "modified": 2, "reviewed_runs": 5, "rollback_rate": 0.2,
                                      "rolled_back": 1, "routine": "summarize_pr", "runs": 8, "version": 2}


def test_not_a_git_checkout(scripted: Scripted) -> None:
    shutil.rmtree(scripted.root / ".git")
    report = _report(scripted.root)
    assert not report.history.available
    assert report.history.note is not None and "not a git checkout" in report.history.note
    assert report.history.changes == () and report.versioning[0].lock_changes == 0
    assert report.total_runs == 18  # the ledger's figures do not need git


def test_project_without_git_ever(tmp_path: Path) -> None:
    scripted = make_history(tmp_path / "plain", git=False, outcomes=False)
    report = _report(scripted.root)
    assert not report.history.available and report.total_outcomes == 0
    assert all(v.reviewed_runs == 0 and v.outcome_coverage == 0.0 for r in report.routines for v in r.versions)


def test_same_figures_without_the_report_indexes(scripted: Scripted) -> None:
    """Schema version 3 ships covering indexes the queries walk (percentiles by offset); a
    ledger without them (dropped by hand) takes the window-function path to the same figures."""
    import sqlite3

    from routinec.health.queries import REPORT_INDEXES

    with_indexes = _report(scripted.root)
    con = sqlite3.connect(scripted.root / ".routinec" / "ledger.db")
    try:
        plan = con.execute("EXPLAIN QUERY PLAN SELECT latency_ms FROM runs WHERE routine = 'x' AND version = 1 "
                           "AND started_at >= '' ORDER BY latency_ms LIMIT 1 OFFSET 3").fetchall()
        for name in REPORT_INDEXES:
            con.execute(f"DROP INDEX {name}")
        con.commit()
    finally:
        con.close()
    assert "COVERING INDEX ix_runs_report_latency" in str(plan)
    without = _report(scripted.root)
    assert without == with_indexes
    assert _version(without, "summarize_pr", 2).latency_p95_ms == 800.0
