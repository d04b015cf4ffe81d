"""The composite GitHub Action (action.yml): valid against the published action metadata
schema (vendored in tests/data/workflows), and its steps run locally as a runner runs them:
`${{ … }}` expressions substituted, each `run:` under `bash --noprofile --norc -eo pipefail`,
with the environment Actions sets, in a real git repository with a base branch on a remote."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.helpers import DATA, cli_env, copy_examples, run_cli

REPO = Path(__file__).resolve().parents[2]
ACTION: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))
SCHEMA = json.loads((DATA / "workflows" / "github-action.schema.json").read_text("utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SUB = "routines"  # the project lives in a subdirectory: annotations name files from the repo root


def test_action_metadata_is_valid() -> None:
    jsonschema.validate(ACTION, SCHEMA)
    assert ACTION["runs"]["using"] == "composite"
    # The schema is the real, strict one: a run step without `shell` is refused.
    broken = {**ACTION, "runs": {"using": "composite", "steps": [{"run": "routinec verify"}]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_every_expression_names_a_declared_input_or_output() -> None:
    text = (REPO / "action.yml").read_text("utf-8")
    inputs = set(ACTION["inputs"])
    for name in re.findall(r"inputs\.([A-Za-z0-9_-]+)", text):
        assert name in inputs, name
    for spec in ACTION["inputs"].values():
        assert spec["description"] and isinstance(spec["default"], str)
    # the runs below check that the step writes each of them to $GITHUB_OUTPUT
    for name, spec in ACTION["outputs"].items():
        assert spec["value"] == f"${{{{ steps.routinec.outputs.{name} }}}}"


def test_install_step_installs_from_the_action_checkout() -> None:
    steps = ACTION["runs"]["steps"]
    setup = next(s for s in steps if "uses" in s)
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["if"] == "inputs.python-version != ''"
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    # routinec is on no package index: the action installs the copy it was checked out as.
    assert install["env"]["ROUTINEC_SOURCE"] == "${{ github.action_path }}"
    assert 'python -m pip install' in install["run"] and '"$spec"' in install["run"]
    assert 'spec="$ROUTINEC_SOURCE"' in install["run"]
    assert "$ROUTINEC_SOURCE/constraints.txt" in install["run"]
    assert "pip install routinec" not in install["run"]


# --- running the steps -----------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A pull request's checkout: the shipped example project committed on `main`, pushed to
    a remote, then a `feature` branch; like actions/checkout's default, origin/main is not
    fetched (the action fetches it)."""
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    ws = tmp_path / "workspace"
    (ws / SUB).mkdir(parents=True)
    copy_examples(ws / SUB)
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "base")
    _git(ws, "remote", "add", "origin", origin.as_uri())
    _git(ws, "push", "-q", "origin", "main")
    _git(ws, "checkout", "-q", "-b", "feature")
    _git(ws, "update-ref", "-d", "refs/remotes/origin/main")
    return ws


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]  # the action's outputs, evaluated as a runner would
    summary: str


def _evaluate(expr: str, context: dict[str, str]) -> str:
    if expr not in context:
        raise AssertionError(f"the test runner does not know the expression ${{{{ {expr} }}}}")
    return context[expr]


def _substitute(text: str, context: dict[str, str]) -> str:
    return EXPR.sub(lambda m: _evaluate(m.group(1), context), text)


def _condition(text: str, context: dict[str, str]) -> bool:
    match = re.fullmatch(r"(\S+)\s*(==|!=)\s*'([^']*)'", text.strip())
    assert match, f"the test runner does not know the condition {text!r}"
    value = _evaluate(match.group(1), context)
    return (value == match.group(3)) is (match.group(2) == "==")


def _run_action(ws: Path, tmp_path: Path, event: str = "pull_request", **with_: str) -> Run:
    """Every step of action.yml, in order, as the runner runs a composite action's steps;
    actions/setup-python is skipped by `python-version: ''` (the venv's python is on PATH)
    and the install step is not run (this venv has routinec installed from this checkout)."""
    declared = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    assert set(with_) <= set(declared), with_
    inputs = {**declared, "python-version": "", **with_}
    context = {f"inputs.{k}": v for k, v in inputs.items()}
    context.update({
        "github.action_path": str(REPO), "github.event_name": event,
        "github.base_ref": "main" if event == "pull_request" else "", "github.workspace": str(ws),
    })
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = runner_temp / "step_summary.md"
    outputs_file = runner_temp / "github_output"
    summary.write_text("", "utf-8")
    outputs_file.write_text("", "utf-8")
    env = cli_env(
        GITHUB_ACTIONS="true", CI="true", GITHUB_WORKSPACE=str(ws), GITHUB_EVENT_NAME=event,
        GITHUB_BASE_REF=context["github.base_ref"], GITHUB_HEAD_REF="feature" if event == "pull_request" else "",
        GITHUB_ACTION_PATH=str(REPO), RUNNER_TEMP=str(runner_temp), GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs_file), GITHUB_ENV=str(runner_temp / "github_env"),
        GITHUB_PATH=str(runner_temp / "github_path"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    stdout, stderr, code, ran = "", "", 0, []
    for step in ACTION["runs"]["steps"]:
        if "if" in step and not _condition(step["if"], context):
            continue
        assert "run" in step, f"a `uses:` step would run: {step}"
        if "pip install" in step["run"]:
            continue
        assert step["shell"] == "bash"
        script = runner_temp / f"step{len(ran)}.sh"
        script.write_text(_substitute(step["run"], context), "utf-8")
        step_env = {**env, **{k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}}
        cwd = ws / _substitute(step.get("working-directory", "."), context)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=cwd, env=step_env, capture_output=True, text=True, timeout=300, check=False)
        stdout, stderr, code = stdout + done.stdout, stderr + done.stderr, done.returncode
        ran.append(step.get("id"))
        if code:
            break
    assert ran == ["routinec"], ran
    steps = dict(line.split("=", 1) for line in outputs_file.read_text("utf-8").splitlines())
    context.update({f"steps.routinec.outputs.{k}": v for k, v in steps.items()})
    outputs = {name: _substitute(spec["value"], {**{f"steps.routinec.outputs.{n}": "" for n in ACTION["outputs"]}, **context})
               for name, spec in ACTION["outputs"].items()}
    return Run(code, stdout, stderr, outputs, summary.read_text("utf-8"))


def _command_rows(summary: str) -> dict[str, list[str]]:
    """The summary table's command rows: command → its cells."""
    rows: dict[str, list[str]] = {}
    for line in summary.splitlines():
        if line.startswith("| `routinec "):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`").removeprefix("routinec ")] = cells[1:5]
    return rows


def test_clean_pull_request_passes(workspace: Path, tmp_path: Path) -> None:
    run = _run_action(workspace, tmp_path, **{"working-directory": SUB})
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs == {"verify-exit": "0", "test-exit": "0", "compat-exit": "0", "exit-code": "0"}
    assert "::error" not in run.stdout
    # the action fetched the base branch that the checkout lacked
    assert _git(workspace, "rev-parse", "origin/main") == _git(workspace, "rev-parse", "main")
    assert _command_rows(run.summary) == {
        "verify": ["✅ passed (exit 0)", "0", "4", "0"],
        "test": ["✅ passed (exit 0)", "0", "5", "0"],
        "compat --against origin/main": ["✅ passed (exit 0)", "0", "4", "0"],
    }
    assert run.summary.count("| command | status | findings | passed | failed |") == 1


def test_drifted_spec_is_annotated_and_fails_after_every_command(workspace: Path, tmp_path: Path) -> None:
    spec = workspace / SUB / "specs/summarize_pr.routine"
    lines = spec.read_text("utf-8").split("\n")
    line = next(i for i, text in enumerate(lines, start=1) if text.strip() == "temperature 0")
    lines[line - 1] = lines[line - 1].replace("temperature 0", "temperature 0.2")
    spec.write_text("\n".join(lines), "utf-8")
    _git(workspace, "commit", "-q", "-am", "warmer")

    run = _run_action(workspace, tmp_path, **{"working-directory": SUB})
    assert run.code == 1, run.stdout + run.stderr
    drift = [a for a in run.stdout.splitlines() if "title=lock-drift" in a]
    assert drift == [
        f"::error file={SUB}/specs/summarize_pr.routine,line={line},col=3,title=lock-drift::"
        "summarize_pr: temperature 0 → 0.2%0Ahelp: run 'routinec lock' and commit it"
    ]
    # verify failed, and test and compat still ran and reported
    assert run.outputs["verify-exit"] == "1"
    assert run.outputs == {"verify-exit": "1", "test-exit": "1", "compat-exit": "0", "exit-code": "1"}
    assert _command_rows(run.summary) == {
        "verify": ["❌ failed (exit 1)", "1", "3", "1"],
        "test": ["❌ failed (exit 1)", "1", "4", "1"],  # the stale lock entry's case
        "compat --against origin/main": ["✅ passed (exit 0)", "0", "4", "0"],
    }
    assert f"::error file={SUB}/routines.lock,title=lock-stale::summarize_pr: the lock entry is stale" in run.stdout
    assert (f"| ↳ | error |  |  |  | {SUB}/specs/summarize\\_pr.routine:{line} | lock-drift | "
            "summarize\\_pr: temperature 0 → 0.2<br>help: run 'routinec lock' and commit it |") in run.summary


def test_breaking_change_against_the_base_branch_is_a_compat_annotation(workspace: Path, tmp_path: Path) -> None:
    spec = workspace / SUB / "specs/label_issue.routine"
    text = spec.read_text("utf-8")
    wider = text.replace('"bug" | "duplicate" | "question" | "enhancement"',
                         '"bug" | "duplicate" | "question" | "enhancement" | "wontfix"')
    assert wider != text
    spec.write_text(wider, "utf-8")
    # The lock refuses a breaking change without a version bump; a PR that deletes the lock
    # and locks afresh gets past `verify`, and compat against the base branch catches it.
    assert run_cli("lock", cwd=workspace / SUB).code == 1
    (workspace / SUB / "routines.lock").unlink()
    assert run_cli("lock", cwd=workspace / SUB).code == 0
    _git(workspace, "commit", "-q", "-am", "wontfix")

    run = _run_action(workspace, tmp_path, **{"working-directory": SUB, "run-tests": "false"})
    assert run.code == 1, run.stdout + run.stderr
    assert run.outputs == {"verify-exit": "0", "test-exit": "", "compat-exit": "1", "exit-code": "1"}
    assert run.stdout.splitlines() == [
        f"::error file={SUB}/specs/label_issue.routine,title=enum-value-added::specs/label_issue.routine:"
        '#/properties/label/enum: ERR [enum-value-added] label_issue: enum values added: "wontfix" (producer-output)'
    ]
    rows = _command_rows(run.summary)
    assert rows == {
        "verify": ["✅ passed (exit 0)", "0", "4", "0"],
        "compat --against origin/main": ["❌ failed (exit 1)", "1", "3", "1"],
    }
    assert f"| ↳ | error |  |  |  | {SUB}/specs/label\\_issue.routine | enum-value-added |" in run.summary


def test_first_lock_needs_allow_missing_base(workspace: Path, tmp_path: Path) -> None:
    # The base branch has no project yet: the PR adds it (and its first lock).
    _git(workspace, "checkout", "-q", "main")
    _git(workspace, "rm", "-q", "-r", SUB)
    _git(workspace, "commit", "-q", "-m", "empty")
    _git(workspace, "push", "-q", "-f", "origin", "main")
    _git(workspace, "checkout", "-q", "feature")
    _git(workspace, "update-ref", "-d", "refs/remotes/origin/main")

    refused = _run_action(workspace, tmp_path, **{"working-directory": SUB, "run-tests": "false"})
    assert refused.code == 2 and refused.outputs["compat-exit"] == "2", refused.stdout + refused.stderr
    assert "origin/main has no routines.lock" in refused.stdout
    allowed = _run_action(workspace, tmp_path, **{"working-directory": SUB, "run-tests": "false",
                                                   "allow-missing-base": "true"})
    assert allowed.code == 0, allowed.stdout + allowed.stderr
    assert "compat --against origin/main (no lock there yet: --allow-missing)" in allowed.summary


def test_push_event_skips_compat(workspace: Path, tmp_path: Path) -> None:
    run = _run_action(workspace, tmp_path, event="push", **{"working-directory": SUB})
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs == {"verify-exit": "0", "test-exit": "0", "compat-exit": "", "exit-code": "0"}
    assert "compat skipped" in run.stderr
    assert set(_command_rows(run.summary)) == {"verify", "test"}


def test_readme_and_docs_show_the_uses_line() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    docs = (REPO / "docs/ci.md").read_text("utf-8")
    for text in (readme, docs):
        assert "uses: <owner>/routinec@<rev>" in text
    for name in ACTION["inputs"]:
        assert f"`{name}`" in docs, name
    for name in ACTION["outputs"]:
        assert f"`{name}`" in docs, name
