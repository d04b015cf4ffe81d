"""`routinec compat --against REF` on real git repositories (subprocess CLI, real `git`).

The template repository has two commits, tagged:
  `before-lock`  the project without routines.lock
  `locked`       the same project with its lock (HEAD)
Each test copies it (with .git), changes the working tree and compares against a ref.
Exit codes: 0 no finding at/above --fail-on, 1 breaking, 2 bad input.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result, cli_env, run_cli, write_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SPEC = """\
routine producer v1 {
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 1024
  prompt "Title: {{ title }}"
  input {
    title: string
  }
  output {
    summary: string (min_length 1)
    risk: "low" | "medium" | "high"
    note?: string
  }
  consumers ["consumers/bot.schema.json"]
}
"""
BOT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    # accepts "critical" too: ENUM_ADDED breaks the lock, not this edge
    "properties": {"risk": {"type": "string", "enum": ["low", "medium", "high", "critical", "unknown"]}},
    "required": ["risk"],
}
SPEC_PATH = "specs/producer.routine"
BOT_PATH = "consumers/bot.schema.json"
ENUM_OLD = 'risk: "low" | "medium" | "high"'
ENUM_ADDED = 'risk: "low" | "medium" | "high" | "critical"'
# <file>:<json pointer>: <LEVEL> [<rule-id>] <routine>: <message> (<direction>)
TEXT_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<ptr>#\S*): (?P<level>ERR|WARN) \[(?P<rule>[a-z0-9-]+)\] (?P<rest>.+)$")


def _env(root: Path) -> dict[str, str]:
    """No user/system git config, and no repository discovery above the test's tmp dir."""
    return cli_env(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CEILING_DIRECTORIES=str(root.parent),
    )


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=root, env=_env(root), capture_output=True, text=True, check=False, timeout=60,
    )
    assert proc.returncode == 0, (args, proc.output)
    return proc.stdout


def compat(root: Path, *args: str, cwd: Path | None = None) -> Result:
    return run_cli("compat", *args, cwd=cwd or root, env=_env(cwd or root))


def _records(result: Result) -> list[dict[str, object]]:
    """JSON lines without the closing summary record (checked here: it agrees with the exit)."""
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records and records[-1]["kind"] == "summary", result.stdout
    assert records[-1]["exit_code"] == result.code
    assert records[-1].get("verdict", "bad input") == {0: "compatible", 1: "breaking", 2: "bad input"}[result.code]
    return [{k: v for k, v in r.items() if k != "kind"} for r in records[:-1]]


def edit(root: Path, old: str, new: str, rel: str = SPEC_PATH) -> None:
    path = root / rel
    text = path.read_text("utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), "utf-8")


def findings(result: Result) -> list[re.Match[str]]:
    """The finding lines of text output; every non-counterexample line must be one."""
    out = []
    for line in result.stdout.splitlines():
        if line.startswith("  counterexample: "):
            continue
        match = TEXT_LINE.match(line)
        assert match, f"not a finding line: {line!r}"
        out.append(match)
    return out


def _make_repo(root: Path, spec: str = SPEC) -> Path:
    write_project(root, {SPEC_PATH: spec, BOT_PATH: json.dumps(BOT_SCHEMA, indent=2) + "\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "specs")
    git(root, "tag", "before-lock")
    locked = run_cli("lock", cwd=root, env=_env(root))
    assert locked.code == 0, locked.output
    git(root, "add", "routines.lock")
    git(root, "commit", "-q", "-m", "lock")
    git(root, "tag", "locked")
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


# --- the three formats on a breaking output change --------------------------------------------


def test_unchanged_project_is_exit_0(repo: Path) -> None:
    result = compat(repo, "--against", "HEAD")
    assert result.code == 0, result.output
    assert result.stdout == ""
    assert "compat against HEAD: 1 routine compared: compatible" in result.output


def test_breaking_change_text(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    result = compat(repo, "--against", "HEAD")
    assert result.code == 1, result.output
    [line] = findings(result)
    assert line["file"] == SPEC_PATH
    assert line["ptr"] == "#/properties/risk/enum"
    assert (line["level"], line["rule"]) == ("ERR", "enum-value-added")
    assert line["rest"] == 'producer: enum values added: "critical" (producer-output)'
    assert '  counterexample: {"risk": "critical", "summary": "a"}' in result.stdout.splitlines()
    assert "1 routine compared: breaking" in result.output
    assert "Traceback" not in result.output


def test_breaking_change_json(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    result = compat(repo, "--against", "HEAD", "--format", "json")
    assert result.code == 1, result.output
    records = _records(result)
    assert records == [{
        "consumer": None,
        "counterexample": {"risk": "critical", "summary": "a"},
        "direction": "out",
        "level": "ERR",
        "message": 'enum values added: "critical"',
        "path": "#/properties/risk/enum",
        "routine": "producer",
        "rule_id": "enum-value-added",
        "source": SPEC_PATH,
        "version_bumped": False,
    }]


def test_breaking_change_github(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    result = compat(repo, "--against", "HEAD", "--format", "github")
    assert result.code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        f"::error file={SPEC_PATH},title=enum-value-added::{SPEC_PATH}:#/properties/risk/enum: "
        'ERR [enum-value-added] producer: enum values added: "critical" (producer-output)'
    ]


def test_breaking_input_change_is_direction_in(repo: Path) -> None:
    edit(repo, "    title: string\n", "    title: string\n    body: string\n")
    result = compat(repo, "--against", "locked", "--format", "json")
    assert result.code == 1, result.output
    [record] = _records(result)
    assert (record["direction"], record["level"], record["rule_id"]) == ("in", "ERR", "property-added-required")
    assert record["path"] == "#/properties/body"
    text = compat(repo, "--against", "locked")
    assert text.code == 1
    assert text.stdout.startswith(f"{SPEC_PATH}:#/properties/body: ERR [property-added-required] producer:")
    assert "(consumer-input)" in text.stdout


# --- compatible, bumped, WARN-only ------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (ENUM_OLD, 'risk: "low" | "medium"'),  # OUT narrowed
        ("(min_length 1)", "(min_length 3)"),  # OUT narrowed
        ("    title: string\n", "    title: string\n    body?: string\n"),  # IN: new optional input
    ],
    ids=["enum-value-removed", "min-length-increased", "optional-input-added"],
)
def test_compatible_change_is_exit_0(repo: Path, old: str, new: str) -> None:
    edit(repo, old, new)
    result = compat(repo, "--against", "HEAD")
    assert result.code == 0, result.output
    assert " ERR [" not in result.stdout
    assert "compared: compatible" in result.output
    assert compat(repo, "--against", "HEAD", "--fail-on", "WARN").code == 0


def test_bumped_breaking_change_is_reported_but_passes(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    edit(repo, "routine producer v1 {", "routine producer v2 {")
    result = compat(repo, "--against", "HEAD")
    # current behaviour: an ERR on a bumped routine is shown, marked, and does not block
    assert result.code == 0, result.output
    [line] = findings(result)
    assert (line["level"], line["rule"]) == ("ERR", "enum-value-added")
    assert line["rest"].endswith("(producer-output) [version bumped]")
    assert "compatible (1 breaking change released as a new version)" in result.output
    as_json = compat(repo, "--against", "HEAD", "--format", "json")
    assert as_json.code == 0
    assert _records(as_json)[0]["version_bumped"] is True
    # ...but a bump does not excuse a broken consumer edge
    assert compat(repo, "--against", "HEAD", "--fail-on", "WARN").code == 0
    bot = json.loads(json.dumps(BOT_SCHEMA))
    bot["properties"]["risk"]["enum"] = ["low", "medium", "high"]
    (repo / BOT_PATH).write_text(json.dumps(bot), "utf-8")
    edge = compat(repo, "--against", "HEAD")
    assert edge.code == 1, edge.output
    assert f"(producer-output; breaks consumer {BOT_PATH})" in edge.stdout


def test_fail_on_warn_tightens(repo: Path) -> None:
    # An optional output field removed: WARN for OUT (a consumer may rely on it)
    edit(repo, "    note?: string\n", "")
    result = compat(repo, "--against", "HEAD")
    assert result.code == 0, result.output
    [line] = findings(result)
    assert (line["ptr"], line["level"], line["rule"]) == ("#/properties/note", "WARN", "property-removed")
    strict = compat(repo, "--against", "HEAD", "--fail-on", "WARN")
    assert strict.code == 1, strict.output
    assert "compared: breaking" in strict.output
    github = compat(repo, "--against", "HEAD", "--format", "github", "--fail-on", "WARN")
    assert github.code == 1
    assert github.stdout.startswith(f"::warning file={SPEC_PATH},title=property-removed::")


def test_counterexample_only_on_the_finding_it_demonstrates(repo: Path) -> None:
    edit(repo, "    note?: string\n", "")
    edit(repo, ENUM_OLD, ENUM_ADDED)
    result = compat(repo, "--against", "HEAD", "--format", "json")
    assert result.code == 1, result.output
    records = {r["rule_id"]: r for r in _records(result)}
    assert set(records) == {"property-removed", "enum-value-added"}
    assert records["enum-value-added"]["counterexample"] == {"risk": "critical", "summary": "a"}
    assert records["property-removed"]["counterexample"] is None


def test_lenient_policy_demotes_enum_addition_to_warn(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    lenient = compat(repo, "--against", "HEAD", "--policy", "lenient")
    assert lenient.code == 0, lenient.output
    [line] = findings(lenient)
    assert (line["level"], line["rule"]) == ("WARN", "enum-value-added")
    assert compat(repo, "--against", "HEAD", "--policy", "lenient", "--fail-on", "WARN").code == 1


def test_consumer_schema_file_change_breaks_edge(repo: Path) -> None:
    bot = json.loads(json.dumps(BOT_SCHEMA))
    bot["properties"]["risk"]["enum"] = ["low", "medium"]
    (repo / BOT_PATH).write_text(json.dumps(bot), "utf-8")
    result = compat(repo, "--against", "HEAD", "--format", "json")
    assert result.code == 1, result.output
    [record] = _records(result)
    assert record["direction"] == "edge"
    assert record["consumer"] == BOT_PATH
    assert (record["level"], record["rule_id"]) == ("ERR", "enum-value-removed")
    assert record["counterexample"]["risk"] == "high"


def test_removed_routine_is_an_error(repo: Path) -> None:
    (repo / SPEC_PATH).write_text(
        SPEC.replace("routine producer v1", "routine renamed v1"), "utf-8"
    )
    result = compat(repo, "--against", "HEAD")
    assert result.code == 1, result.output
    [line] = findings(result)
    assert (line["file"], line["ptr"], line["rule"]) == (SPEC_PATH, "#", "routine-removed")
    assert "producer: routine removed (was v1)" in line["rest"]
    assert "note: renamed: new routine (v1)" in result.output


def test_project_option_from_another_directory(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    result = compat(repo, "--against", "HEAD", "--project", "repo", cwd=repo.parent)
    assert result.code == 1, result.output
    assert [m["rule"] for m in findings(result)] == ["enum-value-added"]


# --- refs and repositories --------------------------------------------------------------------


def test_ref_without_lockfile_is_exit_2_unless_allowed(repo: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)  # would be breaking against `locked`
    result = compat(repo, "--against", "before-lock")
    assert result.code == 2, result.output  # never silently green
    assert "before-lock has no routines.lock: there is nothing to compare against" in result.stdout
    assert "--allow-missing" in result.stdout
    allowed = compat(repo, "--against", "before-lock", "--allow-missing")
    assert allowed.code == 0, allowed.output
    assert "passing because of --allow-missing" in allowed.stderr
    as_json = compat(repo, "--against", "HEAD~1", "--format", "json")
    assert as_json.code == 2
    assert [r.get("code") for r in _records(as_json)] == ["config"]
    assert compat(repo, "--against", "locked").code == 1


@pytest.mark.parametrize("ref", ["no-such-branch", "0123456789abcdef0123456789abcdef01234567", "--all"])
def test_unknown_ref_is_exit_2(repo: Path, ref: str) -> None:
    result = compat(repo, f"--against={ref}")
    assert result.code == 2, result.output
    assert f"unknown git revision {ref!r}" in result.output
    assert "check the branch, tag or commit name" in result.output
    assert "Traceback" not in result.output
    assert result.stderr == ""  # the error is the result: stdout


def test_not_a_git_repository_is_exit_2(template: Path, tmp_path: Path) -> None:
    plain = Path(shutil.copytree(template, tmp_path / "plain", ignore=shutil.ignore_patterns(".git")))
    result = compat(plain, "--against", "HEAD")
    assert result.code == 2, result.output
    assert "is not inside a git repository" in result.output
    assert "Traceback" not in result.output


def test_shallow_clone_names_the_problem_and_the_fix(repo: Path, tmp_path: Path) -> None:
    edit(repo, ENUM_OLD, ENUM_ADDED)
    git(repo, "commit", "-q", "-a", "-m", "add critical")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"

    result = compat(clone, "--against", "HEAD~1")
    assert result.code == 2, result.output
    assert "unknown git revision 'HEAD~1'" in result.output
    assert "shallow clone" in result.output
    assert "git fetch --deepen" in result.output
    assert "Traceback" not in result.output

    # following the hint works
    git(clone, "fetch", "-q", "--deepen=1")
    fetched = compat(clone, "--against", "HEAD~1")
    assert fetched.code == 1, fetched.output
    assert [m["rule"] for m in findings(fetched)] == ["enum-value-added"]


def test_corrupt_lockfile_at_ref_is_exit_2(repo: Path) -> None:
    (repo / "routines.lock").write_text("{not json", "utf-8")
    git(repo, "commit", "-q", "-a", "-m", "corrupt")
    result = compat(repo, "--against", "HEAD")
    assert result.code == 2, result.output
    assert "routines.lock at HEAD is not valid JSON" in result.output
    assert "Traceback" not in result.output


# --- a project in a subdirectory of the repository --------------------------------------------


@pytest.fixture(scope="module")
def nested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose routinec project lives in `svc/`, not at the top level."""
    top = tmp_path_factory.mktemp("nested") / "mono"
    project = top / "svc"
    write_project(project, {SPEC_PATH: SPEC, BOT_PATH: json.dumps(BOT_SCHEMA)})
    locked = run_cli("lock", cwd=project, env=_env(top))
    assert locked.code == 0, locked.output
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "lock")
    return top


@pytest.fixture
def mono(nested: Path, tmp_path: Path) -> Path:
    top = Path(shutil.copytree(nested, tmp_path / "mono", symlinks=True))
    edit(top / "svc", ENUM_OLD, ENUM_ADDED)
    return top


def test_project_in_subdirectory_reads_its_lock(mono: Path) -> None:
    result = compat(mono, "--against", "HEAD", "--project", "svc")
    assert result.code == 1, result.output
    [line] = findings(result)
    assert line["rule"] == "enum-value-added"


def test_github_annotation_path_is_repository_relative(mono: Path) -> None:
    result = compat(mono, "--against", "HEAD", "--project", "svc", "--format", "github")
    assert result.code == 1, result.output
    assert result.stdout.startswith(f"::error file=svc/{SPEC_PATH},"), result.stdout
