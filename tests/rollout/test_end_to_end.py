"""The issue's scenario end to end, on SQLite and on PostgreSQL: v1 stable, v2 canary at 20%
through the CLI; an application's runs through the real Runtime and anthropic SDK against the
loopback Messages API; outcomes recorded (v2 gets more rejections; some through `routinec
outcome`); `rollout check` fails and `rollout check --apply` aborts the canary; runs go back to
v1; `verify` passes; the report (JSON, and HTML in a real headless Chromium) shows canary vs
stable side by side and the rollout history."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from routinec.ledger import Ledger
from routinec.lockfile import read_lock
from routinec.runtime import Runtime
from tests.rollout.conftest import bump
from tests.runtime.conftest import run_cli
from tests.support.fake_api import TEST_KEY, FakeAnthropic

CHROMIUM = os.environ.get("ROUTINEC_TEST_CHROMIUM", "/usr/bin/chromium")


def _runs(project: Path, api: FakeAnthropic, titles: list[str]) -> list[tuple[str, int, str | None]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTHROPIC_BASE_URL", api.base_url)
        rt = Runtime(project, mode="live", api_key=TEST_KEY)
        out = []
        for title in titles:
            result = rt.run("summarize_pr", {"title": title, "diff": "- a\n+ b"})
            out.append((result.run_id or "", result.version or 0, result.channel))
        return out


def _ok(project: Path, *args: str) -> str:
    done = run_cli(project, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_canary_guard_aborts_and_runs_go_back(project: Path, fake_api: FakeAnthropic, tmp_path: Path) -> None:
    bump(project)
    _ok(project, "rollout", "canary", "summarize_pr", "--weight", "20", "--key", "input.title",
        "--guard", "rejected<=+5%", "--min-outcomes", "10", "--by", "alice", "--why", "try the v2 prompt")
    runs = _runs(project, fake_api, [f"PR #{i}" for i in range(150)])
    canary = [r for r in runs if r[1] == 2]
    stable = [r for r in runs if r[1] == 1]
    assert {r[2] for r in canary} == {"canary"} and {r[2] for r in stable} == {"stable"}
    assert 15 <= len(canary) <= 45  # 20% of 150, give or take what the hash gives these titles

    # Outcomes: two through the CLI, the rest through the ledger API (as a review tool would).
    _ok(project, "outcome", canary[0][0], "rejected", "--by", "bob", "--comment", "missed the risk")
    _ok(project, "outcome", stable[0][0], "accepted", "--by", "bob")
    with Ledger.open(project) as ledger:
        for i, (run_id, _, _) in enumerate(canary[1:12]):
            ledger.outcome(run_id, "rejected" if i % 3 else "accepted", by="carol")  # ~2/3 rejected
        for i, (run_id, _, _) in enumerate(stable[1:41]):
            ledger.outcome(run_id, "rolled-back" if i % 10 == 0 else "accepted", by="carol")  # 10%

    status = json.loads(_ok(project, "rollout", "status", "summarize_pr", "--format", "json").splitlines()[0])
    assert status["guard"]["state"] == "fail" and status["counts"]["canary"]["outcomes"] == 12
    assert status["counts"]["canary"]["runs"] == len(canary) and status["counts"]["stable"]["runs"] == len(stable)

    before = (project / "routines.lock").read_bytes()
    checked = run_cli(project, "rollout", "check")
    assert checked.returncode == 1 and "[guard-failed]" in (checked.stdout + checked.stderr) and "--apply" in (checked.stdout + checked.stderr)
    assert (project / "routines.lock").read_bytes() == before  # without --apply nothing changes

    applied = run_cli(project, "rollout", "check", "--apply", "--format", "json")
    assert applied.returncode == 1, (applied.stdout + applied.stderr)
    lines = [json.loads(line) for line in applied.stdout.splitlines()]
    assert [line["kind"] for line in lines if "kind" in line][:2] == ["guard", "change"]
    channels = read_lock(project / "routines.lock").rollout["summarize_pr"].channels
    assert channels.stable == 1 and channels.canary is None
    assert run_cli(project, "rollout", "check").returncode == 0  # nothing left to fail

    after = _runs(project, fake_api, [f"PR #{i}" for i in range(150)])
    assert {(v, c) for _, v, c in after} == {(1, "stable")}
    _ok(project, "verify", "--full")
    _ok(project, "verify")

    with Ledger.open(project) as ledger:
        records = ledger.rollouts("summarize_pr")
        back = ledger.runs(routine="summarize_pr")[-150:]
    assert [(r.action, r.by) for r in records] == [("canary", "alice"), ("abort", "routinec rollout check")]
    assert records[1].why is not None and records[1].why.startswith("guard rejected<=+5% failed")
    assert {(r.version, r.channel, r.route_reason) for r in back} == {(1, "stable", "DEFAULT")}

    report = tmp_path / "report.json"
    _ok(project, "report", "--format", "json", "-o", str(report))
    data = json.loads(report.read_text())
    (section,) = data["rollouts"]
    assert section["routine"] == "summarize_pr" and section["stable"] == 1 and section["canary"] is None
    sides = {s["channel"]: s for s in section["sides"]}
    assert set(sides) == {"stable", "canary (aborted)"}
    assert sides["canary (aborted)"]["version"] == 2 and sides["canary (aborted)"]["runs"] == len(canary)
    assert sides["canary (aborted)"]["rejected_rate"] > sides["stable"]["rejected_rate"]
    assert [e["action"] for e in section["history"]] == ["canary", "abort"]

    page = tmp_path / "report.html"
    _ok(project, "report", "-o", str(page))
    _in_chromium(page, len(canary))


def _in_chromium(page_file: Path, canary_runs: int) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: CI must install it (.ci/run)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from tests.report.test_browser import ARGS

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri(), wait_until="load")

            def rows(selector: str) -> list[list[str]]:
                found: list[list[str]] = page.eval_on_selector_all(
                    f"{selector} tbody tr", "rs => rs.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
                return found

            assert page.locator("#rollouts").is_visible()
            sides = rows("table.rollout-sides")
            assert [r[:3] for r in sides] == [["stable", "v1", "–"], ["canary (aborted)", "v2", "20%"]]
            assert sides[1][3] == str(canary_runs)
            history = rows("table.rollout-history")
            assert [r[1] for r in history] == ["canary", "abort"]
            assert history[1][2] == "routinec rollout check" and history[1][5] == "stable v1"
            box = page.locator("table.rollout-sides").bounding_box()
            assert box is not None and box["width"] > 300
        finally:
            browser.close()
    assert errors == []
