"""Compatibility gates in `lock`, `check` and `verify`, through the real CLI (subprocess).

- Consumer edges: every consumer a routine lists (a `consumer` block or a JSON Schema file)
  must accept the routine's output; a broken edge fails with producer, consumer, rule, JSON
  pointer and a counterexample, and the lockfile is not touched.
- Breaking changes: an output (direction out) or input (direction in) schema change with an
  ERR finding fails `lock` and `verify` unless the routine's version was bumped; compatible
  changes (COMPAT-RULES.md §6.2) lock without a bump.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result, run_cli, snapshot, write_project

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
  consumers [reader, "consumers/bot.schema.json"]
}

consumer reader {
  expects {
    summary: string
    risk: "low" | "medium" | "high"
  }
}
"""

BOT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"risk": {"type": "string", "enum": ["low", "medium", "high", "unknown"]}},
    "required": ["risk"],
}

SPEC_PATH = "specs/producer.routine"
BOT_PATH = "consumers/bot.schema.json"


def _files(spec: str = SPEC, bot: dict[str, Any] | None = None) -> dict[str, str]:
    return {SPEC_PATH: spec, BOT_PATH: json.dumps(bot or BOT_SCHEMA, indent=2) + "\n"}


def edit(root: Path, old: str, new: str, rel: str = SPEC_PATH) -> None:
    path = root / rel
    text = path.read_text("utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), "utf-8")


def lock_entry(root: Path, name: str = "producer") -> dict[str, Any]:
    entry: dict[str, Any] = json.loads((root / "routines.lock").read_text("utf-8"))["routines"][name]
    return entry


def _locked(root: Path, files: dict[str, str]) -> Path:
    write_project(root, files)
    result = run_cli("lock", cwd=root)
    assert result.code == 0, result.output
    assert lock_entry(root)["version"] == 1
    return root


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Locked once per module (and xdist worker), copied per test."""
    base = tmp_path_factory.mktemp("templates")
    alone = SPEC.replace('  consumers [reader, "consumers/bot.schema.json"]\n', "")
    return {
        # the producer with its two consumers, both of which accept its output
        "consumers": _locked(base / "consumers", _files()),
        # the producer alone: output changes are judged against the lock, not an edge
        "alone": _locked(base / "alone", _files(alone)),
    }


def _copy(templates: dict[str, Path], which: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates[which], tmp_path / "p"))


@pytest.fixture
def project(templates: dict[str, Path], tmp_path: Path) -> Path:
    return _copy(templates, "consumers", tmp_path)


@pytest.fixture
def alone(templates: dict[str, Path], tmp_path: Path) -> Path:
    return _copy(templates, "alone", tmp_path)


def assert_lock_refused(root: Path, before: bytes, *needles: str) -> Result:
    result = run_cli("lock", cwd=root)
    assert result.code == 1, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    assert "routines.lock left unchanged" in result.output
    assert (root / "routines.lock").read_bytes() == before
    return result


# --- consumer edges ---------------------------------------------------------------------------


def test_compatible_consumers_pass_every_command(project: Path) -> None:
    entry = lock_entry(project)
    assert sorted(c["name"] for c in entry["consumers"]) == [BOT_PATH, "reader"]
    for command in ("check", "lock", "verify"):
        result = run_cli(command, cwd=project)
        assert result.code == 0, (command, result.output)
        assert "consumer-break" not in result.output


@pytest.mark.parametrize("kind", ["block", "file"])
def test_broken_consumer_edge_fails_lock_check_and_verify(project: Path, kind: str) -> None:
    if kind == "block":
        consumer = "reader"
        edit(project, 'risk: "low" | "medium" | "high"\n  }\n}', 'risk: "low" | "medium"\n  }\n}')
        rejects = 'counterexample: reader rejects {"risk": "high", "summary": "a"}'
    else:
        consumer = BOT_PATH
        bot = json.loads(json.dumps(BOT_SCHEMA))
        bot["properties"]["risk"]["enum"] = ["low", "medium"]
        (project / BOT_PATH).write_text(json.dumps(bot), "utf-8")
        rejects = f'counterexample: {BOT_PATH} rejects {{"risk": "high"'
    before = (project / "routines.lock").read_bytes()
    lines = (
        f"consumer {consumer!r} does not accept the output of 'producer'",
        "[consumer-break]",
        "#/properties/risk/enum: ERR [enum-value-removed]",
        '"high"',
        rejects,
    )
    result = assert_lock_refused(project, before, *lines)
    # the diagnostic points at the producer's declaration
    assert f"{SPEC_PATH}:1:9: error: consumer {consumer!r}" in result.output

    checked = run_cli("check", cwd=project)
    assert checked.code == 1, checked.output
    for needle in lines:
        assert needle in checked.output, (needle, checked.output)

    verified = run_cli("verify", cwd=project)
    assert verified.code == 1, verified.output
    assert f"consumer {consumer!r} does not accept the output of 'producer'" in verified.output
    assert (project / "routines.lock").read_bytes() == before


def test_broken_edge_on_first_lock_writes_no_lockfile(tmp_path: Path) -> None:
    # tmp_path, not a template: no routines.lock yet
    bot = dict(BOT_SCHEMA, properties={"risk": {"enum": ["low"]}, "summary": {"maxLength": 3}})
    root = write_project(tmp_path / "p", _files(bot=bot))
    result = run_cli("lock", cwd=root)
    assert result.code == 1, result.output
    assert f"consumer '{BOT_PATH}' does not accept the output of 'producer'" in result.output
    assert "[enum-value-removed]" in result.output
    assert "#/properties/summary/maxLength: ERR [max-length-added]" in result.output
    assert "counterexample:" in result.output
    assert not (root / "routines.lock").exists()


def test_a_consumer_schema_that_cannot_be_compared_names_the_file_and_the_fix(tmp_path: Path) -> None:
    # Valid JSON Schema, but its $ref points at nothing: there is no schema to compare against.
    bot = dict(BOT_SCHEMA, properties={"risk": {"$ref": "#/$defs/missing"}})
    root = write_project(tmp_path / "p", _files(bot=bot))
    result = run_cli("lock", cwd=root)
    assert result.code == 1, result.output
    assert f"producer → {BOT_PATH}: cannot compare schemas:" in result.output
    assert f"help: in schema {BOT_PATH}: define the target under $defs" in result.output
    assert "then run 'routinec lock'" in result.output
    assert not (root / "routines.lock").exists()


def test_consumer_widened_stays_compatible(project: Path) -> None:
    # A consumer that accepts more (a new enum value, a field dropped) still accepts the output.
    edit(project, 'risk: "low" | "medium" | "high"\n  }\n}', 'risk: "low" | "medium" | "high" | "n/a"\n  }\n}')
    edit(project, "    summary: string\n    risk", "    risk")
    before = (project / "routines.lock").read_bytes()
    result = run_cli("lock", cwd=project)
    assert result.code == 0, result.output
    assert (project / "routines.lock").read_bytes() != before  # the consumer's schema is locked
    reader = next(c for c in lock_entry(project)["consumers"] if c["name"] == "reader")
    assert reader["schema"]["properties"]["risk"]["enum"] == ["low", "medium", "high", "n/a"]


# --- breaking changes without a bump ----------------------------------------------------------

OUT_BREAKING = {
    "enum-value-added": (
        'risk: "low" | "medium" | "high"\n    note',
        'risk: "low" | "medium" | "high" | "critical"\n    note',
        "#/properties/risk/enum: ERR [enum-value-added]",
    ),
    "required-removed": (
        '    risk: "low" | "medium" | "high"\n    note',
        "    note",
        "#/properties/risk: ERR [property-removed]",
    ),
    "became-optional": (
        "    summary: string (min_length 1)\n",
        "    summary?: string (min_length 1)\n",
        "#/required: ERR [property-became-optional]",
    ),
    "optional-added-to-closed-output": (
        "    note?: string\n",
        "    note?: string\n    extra?: string\n",
        "#/properties/extra: ERR [property-added-optional]",
    ),
    "min-length-removed": (
        "summary: string (min_length 1)",
        "summary: string",
        "#/properties/summary/minLength: ERR [min-length-removed]",
    ),
}


@pytest.mark.parametrize("change", sorted(OUT_BREAKING))
def test_breaking_output_change_without_bump_fails_lock_and_verify(alone: Path, change: str) -> None:
    old, new, finding = OUT_BREAKING[change]
    edit(alone, old, new)
    before = (alone / "routines.lock").read_bytes()
    assert_lock_refused(
        alone, before,
        "producer: breaking change to the output schema without a version bump  [compat-break]",
        f"bump the version to v2 in {SPEC_PATH} (`routine producer v2`)",
        finding,
        "counterexample: {",
    )
    verified = run_cli("verify", cwd=alone)
    assert verified.code == 1, verified.output
    assert "producer: output schema changed" in verified.stdout  # the drift
    assert "[compat-break]" in verified.output and finding in verified.output  # the finding
    assert (alone / "routines.lock").read_bytes() == before


def test_breaking_output_change_with_bump_locks_version_2(alone: Path) -> None:
    old, new, finding = OUT_BREAKING["enum-value-added"]
    edit(alone, old, new)
    edit(alone, "routine producer v1 {", "routine producer v2 {")
    # bumped but not re-locked: verify still fails on drift; the break is only a note
    pending = run_cli("verify", cwd=alone)
    assert pending.code == 1, pending.output
    assert "producer: breaking output schema change, accepted by the bump to v2" in pending.output
    assert finding in pending.output
    assert "without a version bump" not in pending.output

    locked = run_cli("lock", cwd=alone)
    assert locked.code == 0, locked.output
    assert "[compat-break]" not in locked.output
    assert lock_entry(alone)["version"] == 2
    assert '"version": 2' in (alone / "routines.lock").read_text("utf-8")
    assert lock_entry(alone)["output_schema"]["properties"]["risk"]["enum"][-1] == "critical"
    after = run_cli("verify", cwd=alone)
    assert after.code == 0, after.output


IN_BREAKING: dict[str, tuple[str, str, str]] = {
    "required-input-added": (
        "    title: string\n",
        "    title: string\n    body: string\n",
        "#/properties/body: ERR [property-added-required]",
    ),
    "max-length-added": (
        "    title: string\n",
        "    title: string (max_length 10)\n",
        "#/properties/title/maxLength: ERR [max-length-added]",
    ),
}


@pytest.mark.parametrize("change", sorted(IN_BREAKING))
def test_breaking_input_change_needs_a_bump(alone: Path, change: str) -> None:
    root = alone
    old, new, finding = IN_BREAKING[change]
    edit(root, old, new)
    before = (root / "routines.lock").read_bytes()
    assert_lock_refused(
        root, before,
        "producer: breaking change to the input schema without a version bump  [compat-break]",
        f"bump the version to v2 in {SPEC_PATH}",
        finding,
        "counterexample: {",
    )
    verified = run_cli("verify", cwd=root)
    assert verified.code == 1, verified.output
    assert "producer: input schema changed" in verified.stdout
    assert finding in verified.output

    edit(root, "routine producer v1 {", "routine producer v2 {")
    locked = run_cli("lock", cwd=root)
    assert locked.code == 0, locked.output
    assert lock_entry(root)["version"] == 2
    assert run_cli("verify", cwd=root).code == 0


# --- compatible changes: no bump needed -------------------------------------------------------

COMPATIBLE = {
    # OUT: the new output values are all valid under the old output schema (NARROW), or
    # only WARN (an optional output field removed).
    "out-enum-value-removed": ('risk: "low" | "medium" | "high"\n    note', 'risk: "low" | "medium"\n    note'),
    "out-optional-became-required": ("note?: string", "note: string"),
    "out-min-length-increased": ("(min_length 1)", "(min_length 5)"),
    "out-optional-removed": ("    note?: string\n", ""),
    # IN: every old input is still accepted (WIDEN)
    "in-optional-added": ("    title: string\n", "    title: string\n    body?: string\n"),
    "in-defaulted-added": ("    title: string\n", "    title: string\n    labels: list[string] = []\n"),
    "in-required-became-optional": ("    title: string\n", "    title?: string\n"),
}


@pytest.mark.parametrize("change", sorted(COMPATIBLE))
def test_compatible_change_locks_without_a_bump(alone: Path, change: str) -> None:
    root = alone
    before = (root / "routines.lock").read_bytes()
    old, new = COMPATIBLE[change]
    edit(root, old, new)
    result = run_cli("lock", cwd=root)
    assert result.code == 0, result.output
    assert "[compat-break]" not in result.output
    assert (root / "routines.lock").read_bytes() != before
    assert lock_entry(root)["version"] == 1
    assert run_cli("verify", cwd=root).code == 0


def test_compatible_output_change_still_checked_against_consumers(project: Path) -> None:
    # Dropping "high" narrows the output: no bump needed and both consumers still accept it.
    edit(project, 'risk: "low" | "medium" | "high"\n    note', 'risk: "low" | "medium"\n    note')
    result = run_cli("lock", cwd=project)
    assert result.code == 0, result.output
    assert lock_entry(project)["output_schema"]["properties"]["risk"]["enum"] == ["low", "medium"]
    # ...whereas adding "critical" breaks the lock (no bump) and, even bumped, the consumers
    edit(project, 'risk: "low" | "medium"\n    note', 'risk: "low" | "medium" | "critical"\n    note')
    edit(project, "routine producer v1 {", "routine producer v2 {")
    before = (project / "routines.lock").read_bytes()
    refused = assert_lock_refused(project, before, "[consumer-break]", '"critical"')
    assert "consumer 'reader' does not accept" in refused.output
    assert f"consumer '{BOT_PATH}' does not accept" in refused.output
    assert "without a version bump" not in refused.output


# --- check runs lock's gates; every hint names the step that works ----------------------------


def test_check_runs_the_version_gate_and_verify_advises_the_bump(alone: Path) -> None:
    old, new, finding = OUT_BREAKING["became-optional"]
    edit(alone, old, new)
    before = snapshot(alone)

    checked = run_cli("check", cwd=alone)
    assert checked.code == 1, checked.output
    # the gate's code, at the routine's version in the spec (`routine producer v1`: col 18)
    assert (
        f"{SPEC_PATH}:1:18: error: producer: breaking change to the output schema without a version bump  [compat-break]"
        in checked.stdout
    )
    assert f"help: bump the version to v2 in {SPEC_PATH} (`routine producer v2`), then run 'routinec lock'" in checked.stdout
    assert finding in checked.stdout
    assert snapshot(alone) == before  # check writes nothing

    # lock refuses the same way, so verify must not send the user to it as the fix
    assert run_cli("lock", cwd=alone).code == 1
    verified = run_cli("verify", cwd=alone)
    assert verified.code == 1, verified.output
    summary = verified.stderr.strip().splitlines()[-1]
    assert summary == (
        f"error: 1 routine drifted from routines.lock; bump the version to v2 in {SPEC_PATH} "
        "(`routine producer v2`), then run 'routinec lock' and commit it"
    )
    github = run_cli("verify", "--format", "github", cwd=alone)
    drift = [line for line in github.stdout.splitlines() if "title=lock-drift" in line]
    assert drift and all("help: bump the version to v2" in line for line in drift), github.stdout

    # after the bump: check is green, lock passes, verify is clean
    edit(alone, "routine producer v1 {", "routine producer v2 {")
    rechecked = run_cli("check", cwd=alone)
    assert rechecked.code == 0, rechecked.output
    assert "[compat-break]" not in rechecked.output
    pending = run_cli("verify", cwd=alone)
    assert pending.code == 1
    assert pending.stderr.strip().splitlines()[-1].endswith("; run 'routinec lock' and commit it")
    assert run_cli("lock", cwd=alone).code == 0
    assert lock_entry(alone)["version"] == 2
    assert run_cli("verify", cwd=alone).code == 0


def test_verify_names_the_consumer_to_fix(project: Path) -> None:
    edit(project, 'risk: "low" | "medium" | "high"\n  }\n}', 'risk: "low" | "medium"\n  }\n}')
    checked = run_cli("check", cwd=project)
    assert checked.code == 1, checked.output
    step = f"fix the consumer 'reader' ({SPEC_PATH}:17) so it accepts this output, or change the output of 'producer'"
    assert f"help: {step}, then run 'routinec lock'" in checked.stdout
    verified = run_cli("verify", cwd=project)
    assert verified.code == 1, verified.output
    assert verified.stderr.strip().splitlines()[-1] == (
        f"error: 1 routine drifted from routines.lock; {step}, then run 'routinec lock' and commit it"
    )


def test_check_of_one_file_runs_the_gate_for_that_file_only(alone: Path) -> None:
    other = "routine other v1 {\n" + SPEC.split("\n", 1)[1].split("\nconsumer reader")[0].replace("  consumers [reader, \"consumers/bot.schema.json\"]\n", "")
    write_project(alone, {"specs/other.routine": other}, pyproject=None)
    assert run_cli("lock", cwd=alone).code == 0
    edit(alone, *OUT_BREAKING["became-optional"][:2])
    assert run_cli("check", "specs/other.routine", cwd=alone).code == 0
    assert run_cli("check", SPEC_PATH, cwd=alone).code == 1
