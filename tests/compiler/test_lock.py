"""Golden lock output: each tests/data/lock/NAME/ is a small project; expected.lock is the exact
routines.lock that `routinec lock` writes for it. ROUTINEC_UPDATE_GOLDEN=1 rewrites them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.canonical import digest, digest_bytes
from routinec.lockfile import entry_hash
from tests.helpers import DATA, UPDATE_GOLDEN, copy_case, invoke, run_cli, snapshot, write_project

CASES_DIR = DATA / "lock"
CONTROL = ("expected.lock",)
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def lock_case(name: str, tmp_path: Path) -> tuple[Path, bytes]:
    project = copy_case(CASES_DIR / name, tmp_path / "project", skip=CONTROL)
    # in-process for speed; test_determinism.py locks the same cases in subprocesses
    result = invoke("lock", cwd=project)
    assert result.code == 0, result.output
    assert "Traceback" not in result.output
    return project, (project / "routines.lock").read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_lock_golden(name: str, tmp_path: Path) -> None:
    _, actual = lock_case(name, tmp_path)
    expected_file = CASES_DIR / name / "expected.lock"
    if UPDATE_GOLDEN:
        expected_file.write_bytes(actual)
    assert expected_file.exists(), f"{name}: no expected.lock (run with ROUTINEC_UPDATE_GOLDEN=1)"
    assert actual == expected_file.read_bytes()


def test_every_case_has_a_project_and_an_expected_lock() -> None:
    stray = [p.name for p in CASES_DIR.iterdir() if not p.is_dir()]
    assert stray == []
    problems = []
    for case in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        if not (case / "expected.lock").exists():
            problems.append(f"{case.name}: case without expected.lock")
        if not list(case.glob("specs/**/*.routine")):
            problems.append(f"{case.name}: expected.lock without a project")
    assert problems == []


def _golden(name: str) -> dict:
    return json.loads((CASES_DIR / name / "expected.lock").read_text("utf-8"))


@pytest.mark.parametrize("name", CASES)
def test_golden_locks_are_canonical_and_sealed(name: str) -> None:
    raw = (CASES_DIR / name / "expected.lock").read_bytes()
    assert raw.endswith(b"}\n") and b"\r" not in raw
    data = json.loads(raw)
    assert data["format_version"] == 1
    for routine, entry in data["routines"].items():
        assert entry["name"] == routine
        # json floats would lose the digits the lock was hashed with: hash via Decimal
        from routinec.canonical import loads

        exact = loads(raw.decode("utf-8"))["routines"][routine]
        assert exact["entry_hash"] == entry_hash(exact)
        assert exact["input_schema_hash"] == digest(exact["input_schema"])
        assert exact["output_schema_hash"] == digest(exact["output_schema"])
        for consumer in exact["consumers"]:
            assert consumer["schema_hash"] == digest(consumer["schema"])
        for rel, hashed in entry["sources"].items():
            assert hashed == digest_bytes((CASES_DIR / name / rel).read_bytes()), rel


def test_pinning_and_parameters_recorded() -> None:
    design = _golden("design_example")["routines"]["summarize_pr"]
    assert design["model"]["alias"] == "claude-haiku-4-5"
    assert design["model"]["snapshot"] == "claude-haiku-4-5-20251001"
    assert design["model"]["resolved_by"] == "table"
    assert design["params"] == {"max_tokens": 1024, "temperature": 0}
    assert design["state"] == "reset"
    assert design["prompt"]["user"]["path"] == "specs/prompts/summarize_pr.j2"
    assert design["tests"]["small_fix"]["input_path"] == "golden/summarize_pr/small_fix.input.json"
    assert [c["name"] for c in design["consumers"]] == [
        "consumers/triage-bot.schema.json",
        "release_notes",
    ]
    assert set(design["sources"]) == {
        "specs/summarize_pr.routine",
        "specs/prompts/summarize_pr.j2",
        "golden/summarize_pr/small_fix.input.json",
        "consumers/triage-bot.schema.json",
    }
    multi = _golden("multi_file")["routines"]
    assert multi["release_notes"]["model"]["snapshot"] == "claude-sonnet-4-6"  # already pinned
    assert multi["summarize"]["model"]["snapshot"] == "claude-sonnet-4-5-20250929"
    assert multi["summarize"]["model"]["retires_at"] == "2026-11-30"
    # the type and the consumer live in other files: both are sources of the entry
    assert set(multi["release_notes"]["sources"]) == {
        "specs/consumers.routine",
        "specs/notes/release_notes.routine",
        "specs/types.routine",
    }
    params = _golden("all_parameters")["routines"]["triage_issue"]
    assert params["params"] == {
        "effort": "high",
        "max_tokens": 4096,
        "stop_sequences": ["</answer>", "\n\nHuman:"],
        "thinking_budget": 2048,
        "top_p": 0.95,
    }
    sampled = _golden("all_parameters")["routines"]["sampled"]
    assert sampled["params"] == {"max_tokens": 64000, "temperature": 0.7, "top_k": 40}
    assert params["state"] == "session"
    assert set(params["prompt"]["includes"]) == {"specs/prompts/_project.j2"}


def test_decimals_are_written_plainly() -> None:
    raw = (CASES_DIR / "all_parameters" / "expected.lock").read_text("utf-8")
    assert '"temperature": 0.7,' in raw  # 0.70 in the spec: no float noise, no trailing zero
    assert '"top_p": 0.95\n' in raw
    assert '"minimum": -1.5' in raw and '"maximum": 2.25' in raw
    assert '"tolerance": 0.05' in raw
    assert "e+" not in raw and "E+" not in raw


def test_lock_twice_does_not_rewrite(tmp_path: Path) -> None:
    project, first = lock_case("minimal", tmp_path)
    lock = project / "routines.lock"
    stat = lock.stat()
    result = invoke("lock", cwd=project)
    assert result.code == 0
    assert "already up to date" in result.output
    assert lock.read_bytes() == first
    assert lock.stat().st_mtime_ns == stat.st_mtime_ns
    assert lock.stat().st_ino == stat.st_ino


def test_failed_lock_leaves_old_lock_untouched(tmp_path: Path) -> None:
    project, first = lock_case("minimal", tmp_path)
    spec = project / "specs" / "hello.routine"
    spec.write_text(spec.read_text("utf-8").replace("max_tokens 256", "max_tokens 0"), "utf-8")
    before = snapshot(project)
    result = run_cli("lock", cwd=project)
    assert result.code == 2
    assert "specs/hello.routine:3:14: error: max_tokens 0" in result.output
    assert "left unchanged" in result.output
    assert snapshot(project) == before
    assert (project / "routines.lock").read_bytes() == first


def test_lock_with_a_deprecated_model_warns_and_writes(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "specs/s.routine": 'routine s v1 {\n  model "claude-sonnet-4-5"\n  max_tokens 10\n'
            '  prompt """x"""\n  output { a: string }\n}\n'
        },
    )
    result = run_cli("lock", cwd=project)
    assert result.code == 0, result.output
    assert "warning:" in result.output and "2026-11-30" in result.output
    assert (project / "routines.lock").exists()


def test_lock_with_a_retired_model_fails_naming_the_routine(tmp_path: Path) -> None:
    from tests.helpers import cli_env

    project = write_project(
        tmp_path / "p",
        {
            "specs/s.routine": 'routine old_one v1 {\n  model "claude-sonnet-4-5"\n  max_tokens 10\n'
            '  prompt """x"""\n  output { a: string }\n}\n'
        },
    )
    result = run_cli("lock", cwd=project, env=cli_env(ROUTINEC_TODAY="2027-01-01"))
    assert result.code == 1, result.output
    assert (
        "routine 'old_one' uses claude-sonnet-4-5-20250929, which retired on 2026-11-30"
        in result.output
    )
    assert not (project / "routines.lock").exists()
