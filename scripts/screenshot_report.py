"""Take the README's screenshot of `routinec report` (docs/img/report.png).

Builds the report tests' scripted history (tests/report/scripted.py: a real git repository,
five lock commits, a SQLite ledger with runs and outcomes) in a temp dir, runs
`routinec report` on it in a subprocess, and photographs the page in headless Chromium
through Playwright (Debian's /usr/bin/chromium, or ROUTINEC_TEST_CHROMIUM; never a
downloaded browser). Run: `python scripts/screenshot_report.py [OUT.png]`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "report.png"
    os.environ["ROUTINEC_TODAY"] = "2026-06-01"
    from playwright.sync_api import sync_playwright
    from tests.report.scripted import SINCE, make_history

    with tempfile.TemporaryDirectory(prefix="routinec-screenshot-") as tmp:
        project = make_history(Path(tmp) / "release-bot").root
        page_file = Path(tmp) / "report.html"
        subprocess.run([sys.executable, "-m", "routinec", "report", "--since", SINCE, "-o", str(page_file)],
                       cwd=project, check=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("ROUTINEC_TEST_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1180, "height": 900}, device_scale_factor=1)
            page.goto(page_file.as_uri())
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
