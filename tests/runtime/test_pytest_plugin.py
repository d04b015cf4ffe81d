"""The pytest plugin in a real pytest subprocess, on two xdist workers: one item per case,
the same diffs as `routinec test`, goldens rewritten without loss, and nothing collected
unless --routinec is given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from routinec.runtime.fixtures import write_fixtures
from tests.helpers import UNRELATED_PYTEST_PLUGINS
from tests.runtime.conftest import cli_env


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *UNRELATED_PYTEST_PLUGINS, "-q", *args],
        cwd=root,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_off_unless_asked(project: Path) -> None:
    write_fixtures(project)
    result = _pytest(project)
    assert result.returncode == 5, result.stdout  # no tests collected: nothing added by surprise


def test_items_pass_then_fail_with_field_diff_under_xdist(project: Path) -> None:
    write_fixtures(project)
    listing = _pytest(project, "--routinec", "--collect-only")
    assert "routines.lock::summarize_pr::small_fix" in listing.stdout
    assert "routines.lock::orphans" in listing.stdout
    green = _pytest(project, "--routinec", "-n", "2")
    assert green.returncode == 0, green.stdout
    assert "4 passed" in green.stdout

    golden = project / "golden/summarize_pr/small_fix.output.json"
    value = json.loads(golden.read_text())
    value["risk"] = "high"
    golden.write_text(json.dumps(value))
    red = _pytest(project, "--routinec", "-n", "2", "-k", "small_fix")
    assert red.returncode == 1
    assert 'risk: expected "high", got "low"  [exact]' in red.stdout
    assert "1 failed" in red.stdout and "passed" not in red.stdout


def test_update_golden_under_xdist_loses_nothing(project: Path) -> None:
    write_fixtures(project)
    goldens = sorted(project.glob("golden/*/*.output.json"))
    for path in goldens:
        path.unlink()
    updated = _pytest(project, "--routinec-update-golden", "-n", "2")
    assert updated.returncode == 0, updated.stdout
    assert sorted(project.glob("golden/*/*.output.json")) == goldens
    assert not list(project.rglob("*.tmp"))
    again = _pytest(project, "--routinec", "-n", "2")
    assert again.returncode == 0, again.stdout


def test_update_golden_refused_in_ci(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *UNRELATED_PYTEST_PLUGINS, "--routinec-update-golden"],
        cwd=project,
        env=cli_env(CI="true"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4
    assert "refused under CI=true" in result.stderr
