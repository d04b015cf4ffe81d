"""The report in a real headless Chromium (Debian's /usr/bin/chromium through Playwright;
never a downloaded browser): its charts draw bars with data, its tables have rows, the
console stays clean and the page asks the network for nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.scripted import SINCE, TODAY, Scripted

CHROMIUM = os.environ.get("ROUTINEC_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: CI must install it (.ci/run)")
        pytest.skip(f"no Chromium at {CHROMIUM} (set ROUTINEC_TEST_CHROMIUM)")


def test_report_renders_in_chromium(scripted: Scripted, tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTINEC_")} | {"ROUTINEC_TODAY": TODAY}
    done = subprocess.run([sys.executable, "-m", "routinec", "report", "--since", SINCE, "-o", str(page_file)],
                          cwd=scripted.root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    console: list[str] = []
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri(), wait_until="load")

            assert page.title() == "Routine health: release-bot"
            charts = page.locator("svg.chart")
            # versioned cleanly, verdicts per version, runs per day for each of the two routines
            assert charts.count() == 4
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 50
            bars = page.eval_on_selector_all(
                "svg.chart rect[data-value]",
                "els => els.map(e => [e.dataset.series, e.dataset.label, Number(e.dataset.value), e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
            )
            assert all(w > 0 and h > 0 for *_, w, h in bars)
            per_day = [b for b in bars if b[0] in ("v1", "v2")]
            assert sum(b[2] for b in per_day) == 18  # every run in the window, one bar segment per day and version
            verdicts = {(b[1], b[0]): b[2] for b in bars if b[1] == "summarize_pr v2"}
            assert verdicts == {("summarize_pr v2", "accepted"): 0.2, ("summarize_pr v2", "modified"): 0.4,
                                ("summarize_pr v2", "rejected"): 0.2, ("summarize_pr v2", "rolled-back"): 0.2}

            def rows(selector: str) -> list[list[str]]:
                found: list[list[str]] = page.eval_on_selector_all(
                    f"{selector} tbody tr", "rs => rs.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
                return found

            assert [r[0] for r in rows("table.versioning")] == ["chat", "summarize_pr"]
            assert rows("table.corrections")[2] == ["summarize_pr v2", "8", "5", "1", "2", "20.0%", "40.0%"]
            schema_rows = rows("table.schema-changes")
            assert any(r[2] == "summarize_pr" and "broke" in r[6] for r in schema_rows)
            assert any(r[2] == "chat" and "needed, missing" in r[5] for r in schema_rows)
            assert ["v2", "/risk", "2"] in rows("table.fields")
            # No channels in this history: the rollout section says so (tests/rollout/test_end_to_end.py
            # reads its tables after a guard aborted a canary).
            assert page.locator("#rollouts").is_visible() and rows("table.rollout-sides") == []
            assert "No rollouts" in page.inner_text("body")
            assert rows("table.models")[0][:3] == ["claude-sonnet-4-5-20250929", "deprecated", "2026-11-30 (182 days left)"]
            page.screenshot(path=str(tmp_path / "shot.png"), full_page=True)  # lays out and paints the whole page
        finally:
            browser.close()
    assert errors == []
    assert [c for c in console if c.startswith(("error", "warning"))] == []
    assert requests == [page_file.as_uri()]  # the page itself, nothing else
    assert (tmp_path / "shot.png").stat().st_size > 10_000
