"""`routinec record/test --channel`: a routine with channels keeps transcripts and goldens
per version (golden/NAME/vN/, read first; the shared folder, where everything recorded before
the first rollout lives, is the fallback), and a golden is written per version only where it
differs. Real CLI subprocesses, the real SDK against the loopback Messages API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rollout.conftest import bump
from tests.runtime.conftest import cli_env, run_cli
from tests.support.fake_api import (
    FakeAnthropic,
    Reply,
    default_reply,
    example_for_schema,
    output_reply,
)

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _by_version(request: dict[str, Any]) -> Reply:
    system = request.get("system")
    text = system if isinstance(system, str) else json.dumps(system)
    if "reviewer number 2" not in text or "summary" not in json.dumps(request):
        return default_reply(request)
    schema = request.get("output_config", {}).get("format", {}).get("schema") or request["tools"][0]["input_schema"]
    output = example_for_schema(schema)
    output["summary"] = "written by v2"
    return output_reply(request, output)


@pytest.fixture
def api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(_by_version) as fake:
        yield fake


def _run(project: Path, *args: str, api: FakeAnthropic | None = None, code: int = 0) -> str:
    done = run_cli(project, *args, env=cli_env(api))
    assert done.returncode == code, (args, done.stdout, done.stderr)
    return done.stdout + done.stderr


@SQLITE_ONLY
def test_goldens_per_version_where_they_differ(project: Path, api: FakeAnthropic) -> None:
    golden = project / "golden" / "summarize_pr"
    _run(project, "record", "summarize_pr", api=api)
    _run(project, "test", "summarize_pr", "--update-golden")
    shared = {p.name: p.read_bytes() for p in golden.iterdir() if p.is_file()}
    assert {"small_fix.output.json", "small_fix.transcript.json", "typo.transcript.json"} <= set(shared)

    bump(project)
    _run(project, "rollout", "canary", "summarize_pr", "--weight", "10")
    _run(project, "test", "summarize_pr", "--channel", "stable")  # v1, from the shared folder
    said = _run(project, "test", "--channel", "canary", code=1)
    assert "transcript-mismatch" in said or "no longer matches" in said

    _run(project, "record", "--channel", "canary", api=api)
    assert sorted(p.name for p in (golden / "v2").iterdir()) == ["small_fix.transcript.json", "typo.transcript.json"]
    assert {p.name: p.read_bytes() for p in golden.iterdir() if p.is_file()} == shared  # stable's files untouched

    said = _run(project, "test", "--channel", "canary", code=1)
    assert "written by v2" in said
    _run(project, "test", "--channel", "canary", "--update-golden")
    assert json.loads((golden / "v2" / "small_fix.output.json").read_text())["summary"] == "written by v2"
    _run(project, "test", "--channel", "canary")
    _run(project, "test", "summarize_pr", "--channel", "stable")
    _run(project, "test", "summarize_pr")  # the current entry is v2: its own folder

    said = _run(project, "test", "chat", "--channel", "canary", code=2)
    assert "[no-canary]" in said and "Traceback" not in said
    _run(project, "rollout", "abort", "summarize_pr")
    said = _run(project, "test", "--channel", "canary", code=2)
    assert "no routine has a canary" in said
