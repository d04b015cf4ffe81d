"""The shipped example application (examples/app/review_app) imports the generated client,
type-checks under `mypy --strict`, passes ruff, and runs in replay mode against its goldens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

from routinec.runtime import Runtime
from routinec.runtime.errors import RoutineError

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "examples" / "app"


@pytest.fixture(scope="module")
def review_app() -> Iterator[object]:
    sys.path.insert(0, str(APP))
    try:
        from review_app import review, routines

        yield (review, routines)
    finally:
        sys.path.remove(str(APP))


def _golden(path: str) -> dict[str, object]:
    value = json.loads((APP / "golden" / path).read_text("utf-8"))
    assert isinstance(value, dict)
    return value


def test_review_runs_through_the_typed_client(review_app: object) -> None:
    review, routines = review_app  # type: ignore[misc]
    runtime = Runtime(APP, mode="replay")
    given = _golden("summarize_pr/small_fix.input.json")
    expected = _golden("summarize_pr/small_fix.output.json")
    note = review.review(given["title"], given["diff"], given["labels"], runtime=runtime)
    assert note.headline == expected["summary"]
    assert note.needs_second_reviewer is (expected["risk"] == "high")
    assert note.touched == tuple(f["path"] for f in expected["files"] if f["change"] != "deleted")
    assert note.provenance.startswith("summarize_pr replay claude-haiku-4-5-")

    out = routines.summarize_pr(title=given["title"], diff=given["diff"], labels=given["labels"], runtime=runtime)
    assert isinstance(out, routines.SummarizePrOutput)
    assert isinstance(out.files[0], routines.FileChange)
    assert out.model_dump(mode="json", exclude_none=True) == expected
    run = routines.result_of(out)
    assert (run.routine, run.mode, run.output) == ("summarize_pr", "replay", expected)
    assert run.entry_hash == runtime.lock.routines["summarize_pr"].entry_hash
    assert run.transcript is not None and run.transcript.name == "small_fix.transcript.json"


def test_defaults_and_the_default_runtime(review_app: object) -> None:
    """Under pytest the default Runtime replays this project's lock (the module knows its root)."""
    _, routines = review_app  # type: ignore[misc]
    given = _golden("triage_issue/crash_report.input.json")
    out = routines.triage_issue(title=given["title"], body=given["body"])  # author_is_maintainer: its default
    assert out.priority == _golden("triage_issue/crash_report.output.json")["priority"]
    assert routines.result_of(out).mode == "replay"
    assert routines.default_runtime().config.root == APP


def test_the_async_twins(review_app: object) -> None:
    review, _ = review_app  # type: ignore[misc]
    crash = _golden("triage_issue/crash_report.input.json")
    got = asyncio.run(review.route_many(
        [(crash["title"], crash["body"]), ("it doesn't work", "Tried it, nothing happens.")],
        runtime=Runtime(APP, mode="replay"),
    ))
    assert got == ["p0 → compiler", "needs-info → docs"]


def test_bad_inputs_fail_before_any_call(review_app: object) -> None:
    _, routines = review_app  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="at least 1 character"):
        routines.triage_issue(title="", body="x", runtime=Runtime(APP, mode="replay"))
    # Valid input with no recording: the runtime's own error, not a pydantic one.
    with pytest.raises(RoutineError) as caught:
        routines.triage_issue(title="never recorded", body="x", runtime=Runtime(APP, mode="replay"))
    assert caught.value.kind == "transcript-missing"
    with pytest.raises(ValueError, match="not returned by a routine function"):
        routines.result_of(routines.TriageIssueOutput(labels=[], priority="p1", routing={"team": "docs", "reason": "r"}))


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(APP)}
    return subprocess.run([sys.executable, "-m", *args], cwd=APP, env=env, capture_output=True, text=True, check=False, timeout=300)


def test_the_app_and_its_client_pass_mypy_strict(tmp_path: Path) -> None:
    # The anthropic SDK is not followed: neither the app nor routinec's public API names its
    # types (routinec imports it inside a function), and analysing its ~1,500 modules was half
    # of this test's CPU. Errors are only ever reported in the app's own files either way.
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n\n[mypy-anthropic.*]\nfollow_imports = skip\n", "utf-8")
    done = _tool("mypy", "--config-file", str(config), "--strict", "--no-incremental",
                 "--cache-dir", str(tmp_path / "cache"), "-p", "review_app")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues found in 3 source files" in done.stdout


def test_the_client_passes_ruff() -> None:
    # routinec is a third-party package to an application: that is how its imports are sorted.
    done = _tool(
        "ruff", "check", "--no-cache", "--config", str(REPO / "pyproject.toml"),
        "--config", 'lint.isort.known-third-party = ["routinec"]', "review_app",
    )
    assert done.returncode == 0, done.stdout + done.stderr
