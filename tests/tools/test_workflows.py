"""Triggers: cron validity at check time, `routinec gen workflows` (validated against the
published GitHub workflow schema, vendored in tests/data/workflows), `verify` failing on stale
workflows, and `routinec run` on inputs from a file, stdin and an event payload."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from routinec.compiler.tools import cron_problem
from tests.helpers import DATA
from tests.runtime.conftest import cli_env, lock, run_cli
from tests.support.fake_api import FakeAnthropic

SCHEMA = json.loads((DATA / "workflows" / "github-workflow.schema.json").read_text())

SPEC = '''\
routine greet v1 {
  model "claude-haiku-4-5"
  max_tokens 256
  on schedule "0 9 * * 1-5"
  on schedule "*/15 * * * *"
  on pull_request [opened, synchronize]
  on dispatch
  input {
    title: string
    number?: int
  }
  output { reply: string }
  prompt "Say hello to {{ title }}"
}

routine quiet v1 {
  model "claude-haiku-4-5"
  max_tokens 256
  input { title: string }
  output { reply: string }
  prompt "{{ title }}"
}
'''


@pytest.fixture
def triggered(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (root / "specs" / "greet.routine").write_text(SPEC)
    lock(root)
    return root


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("0 9 * * 1-5", None),
        ("*/5 * * * *", None),
        ("*/4 * * * *", "it runs every 4 minutes"),
        ("0,3 12 * * *", "it runs every 3 minutes"),
        ("59 * * * *", None),
        ("0 9 * * MON-FRI", None),
        ("0 9 * *", "this one has 4"),
        ("61 * * * *", "minute 61 is outside 0-59"),
        ("0 0 32 * *", "day of month 32 is outside 1-31"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "step '0' is not a positive number"),
    ],
)
def test_cron_validity(cron: str, problem: str | None) -> None:
    found = cron_problem(cron)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_gen_workflows_writes_schema_valid_yaml(triggered: Path) -> None:
    done = run_cli(triggered, "gen", "workflows")
    assert done.returncode == 0, (done.stdout + done.stderr)
    files = sorted((triggered / ".github" / "workflows").iterdir())
    assert [f.name for f in files] == ["routinec-greet.yml"]
    text = files[0].read_text()
    workflow = yaml.safe_load(text)
    jsonschema.Draft7Validator(SCHEMA).validate(workflow)
    on = workflow["on"]
    assert on["schedule"] == [{"cron": "0 9 * * 1-5"}, {"cron": "*/15 * * * *"}]
    assert on["pull_request"] == {"types": ["opened", "synchronize"]}
    assert "workflow_dispatch" in on
    steps = workflow["jobs"]["run"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert runs.index("routinec verify") < next(i for i, r in enumerate(runs) if r.startswith("routinec run greet"))
    # Deterministic: a second run writes nothing.
    again = run_cli(triggered, "gen", "workflows")
    assert "0 written, 1 unchanged" in (again.stdout + again.stderr)
    assert files[0].read_text() == text


def test_the_schema_rejects_a_broken_workflow(triggered: Path) -> None:
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    workflow = yaml.safe_load((triggered / ".github" / "workflows" / "routinec-greet.yml").read_text())
    del workflow["jobs"]["run"]["runs-on"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(workflow)


def test_verify_fails_on_stale_workflows(triggered: Path) -> None:
    done = run_cli(triggered, "verify")
    assert done.returncode == 1
    assert "routinec-greet.yml is missing" in (done.stdout + done.stderr)
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    assert run_cli(triggered, "verify").returncode == 0
    spec = triggered / "specs" / "greet.routine"
    spec.write_text(spec.read_text().replace('on schedule "*/15 * * * *"\n', ""))
    lock(triggered)
    done = run_cli(triggered, "verify")
    assert done.returncode == 1
    assert "routinec-greet.yml is stale" in (done.stdout + done.stderr)
    assert "workflow-stale" in (done.stdout + done.stderr)
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    assert run_cli(triggered, "verify").returncode == 0
    spec.write_text(spec.read_text().replace("  on ", "  # on "))
    lock(triggered)
    done = run_cli(triggered, "verify")
    assert done.returncode == 1 and "no longer declares triggers" in (done.stdout + done.stderr)
    done = run_cli(triggered, "gen", "workflows")
    assert "removed .github/workflows/routinec-greet.yml" in done.stdout
    assert run_cli(triggered, "verify").returncode == 0


def test_run_reads_a_file_stdin_or_an_event(triggered: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    with FakeAnthropic() as api:
        env = cli_env(api)
        (tmp_path / "in.json").write_text('{"title": "Ada"}')
        done = run_cli(triggered, "run", "greet", "--input", str(tmp_path / "in.json"), "--output", str(tmp_path / "out.json"), env=env)
        assert done.returncode == 0, (done.stdout + done.stderr)
        assert json.loads(done.stdout) == {"reply": "x"}
        assert json.loads((tmp_path / "out.json").read_text()) == {"reply": "x"}
        piped = subprocess.run(
            [sys.executable, "-m", "routinec", "run", "greet", "--input", "-"], input='{"title": "Bob"}',
            cwd=triggered, env=env, capture_output=True, text=True, timeout=60,
        )
        assert piped.returncode == 0, (piped.stdout + piped.stderr)
        event = {"action": "opened", "pull_request": {"title": "Fix the parser", "number": 7, "body": "…"}}
        (tmp_path / "event.json").write_text(json.dumps(event))
        done = run_cli(triggered, "run", "greet", "--event", str(tmp_path / "event.json"), env=env)
        assert done.returncode == 0, (done.stdout + done.stderr)
        dispatch = {"inputs": {"inputs": '{"title": "from dispatch"}'}}
        (tmp_path / "dispatch.json").write_text(json.dumps(dispatch))
        assert run_cli(triggered, "run", "greet", "--event", str(tmp_path / "dispatch.json"), env=env).returncode == 0
        prompts = [r.body["messages"][0]["content"] for r in api.messages()]
    assert prompts == ["Say hello to Ada", "Say hello to Bob", "Say hello to Fix the parser", "Say hello to from dispatch"]


def test_run_bad_inputs_are_one_line_exit_2(triggered: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    done = run_cli(triggered, "run", "greet", "--input", str(tmp_path / "bad.json"))
    assert done.returncode == 2
    assert "are not JSON" in (done.stdout + done.stderr) and "Traceback" not in (done.stdout + done.stderr)
    done = run_cli(triggered, "run", "greet")
    assert done.returncode == 2 and "exactly one of" in (done.stdout + done.stderr)
    (tmp_path / "wrong.json").write_text('{"title": 5}')
    with FakeAnthropic() as api:
        done = run_cli(triggered, "run", "greet", "--input", str(tmp_path / "wrong.json"), env=cli_env(api))
        assert api.messages() == []
    assert done.returncode == 2 and "invalid-input" in (done.stdout + done.stderr)
