"""`routinec report` end to end in subprocesses: the HTML page and the JSON on the scripted
history, and every bad input as one diagnostic line, exit 2, nothing written or changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.report.scripted import SINCE, TODAY, Scripted


def _run(cwd: Path, *args: str, today: str = TODAY) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROUTINEC_", "ANTHROPIC_"))}
    env.pop("PYTEST_CURRENT_TEST", None)
    env["ROUTINEC_TODAY"] = today
    return subprocess.run([sys.executable, "-m", "routinec", "report", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _one_error(done: subprocess.CompletedProcess[str], code: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in (done.stdout + done.stderr)
    first = (done.stdout + done.stderr).splitlines()[0]
    assert f"[{code}]" in first, (done.stdout + done.stderr)
    assert "help:" in (done.stdout + done.stderr)
    return first


def test_html_and_json(scripted: Scripted, tmp_path: Path) -> None:
    page = tmp_path / "out" / "report.html"
    done = _run(scripted.root, "--since", SINCE, "-o", str(page))
    assert done.returncode == 0, (done.stdout + done.stderr)
    assert "18 run(s) of 2 routine(s)" in (done.stdout + done.stderr)
    html = page.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "Versioned cleanly" in html
    for forbidden in ("<script", "<link", "http://", "https://", "@import", "url("):
        # the SVG namespace is the one URL, an identifier that is never fetched
        assert forbidden not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), forbidden

    listed = _run(scripted.root, "--since", SINCE, "--format", "json")
    assert listed.returncode == 0, (listed.stdout + listed.stderr)
    data = json.loads(listed.stdout)
    assert listed.stdout == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert data["total_runs"] == 18 and data["schema_signal"]["consumer_edges_broken"] == 1
    to_file = tmp_path / "report.json"
    assert _run(scripted.root, "--since", SINCE, "--format", "json", "-o", str(to_file)).returncode == 0
    assert to_file.read_text("utf-8") == listed.stdout

    default = _run(scripted.root, "--since", SINCE, "--routine", "chat")
    assert default.returncode == 0, (default.stdout + default.stderr)
    assert "chat" in (scripted.root / "report.html").read_text("utf-8")


def test_unknown_routine(scripted: Scripted) -> None:
    first = _one_error(_run(scripted.root, "--routine", "sumarize_pr"), "unknown-routine")
    assert "sumarize_pr" in first
    assert not (scripted.root / "report.html").exists()


def test_bad_since(scripted: Scripted) -> None:
    for bad in ("30x", "last week", "-3d"):
        first = _one_error(_run(scripted.root, "--since", bad), "config")
        assert "--since" in first


def test_bad_today(scripted: Scripted) -> None:
    _one_error(_run(scripted.root, today="2026-13-01"), "config")


def test_no_ledger_yet(scripted: Scripted) -> None:
    ledger = scripted.root / ".routinec"
    for path in sorted(ledger.iterdir()):
        path.unlink()
    first = _one_error(_run(scripted.root), "ledger-unavailable")
    assert "no run ledger yet" in first
    assert list(ledger.iterdir()) == []  # a report never creates an empty ledger


def test_corrupt_ledger_and_output_left_as_it_was(scripted: Scripted, tmp_path: Path) -> None:
    db = scripted.root / ".routinec" / "ledger.db"
    for name in ("ledger.db-wal", "ledger.db-shm"):
        (db.parent / name).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    page = tmp_path / "report.html"
    page.write_text("the previous report")
    _one_error(_run(scripted.root, "-o", str(page)), "ledger-corrupt")
    assert db.read_bytes() == b"this is not a database" * 100
    assert page.read_text() == "the previous report"


def test_foreign_sqlite_database(scripted: Scripted) -> None:
    import sqlite3

    db = scripted.root / ".routinec" / "ledger.db"
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
        (db.parent / name).unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute("create table notes (x text)")
    con.commit()
    con.close()
    _one_error(_run(scripted.root), "ledger-corrupt")


def test_output_that_is_a_directory(scripted: Scripted, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    done = _run(scripted.root, "-o", str(target))
    assert done.returncode == 2 and "Traceback" not in (done.stdout + done.stderr)
    assert "is a directory" in (done.stdout + done.stderr)
    assert list(target.iterdir()) == []
