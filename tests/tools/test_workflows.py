"""Triggers: cron validity at check time, `routinec gen workflows` (validated against the
published GitHub workflow schema, vendored in tests/data/workflows; its install step run with
bash and a real pip), the workflows recorded in the lock's `generated` table and `verify`
failing on stale ones, and `routinec run` on inputs from a file, stdin and an event payload."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from routinec.compiler.tools import cron_problem
from routinec.lockfile import entry_hash, read_lock
from routinec.lockfile.entry import Trigger
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


def test_triggers_are_typed_in_the_lock_and_round_trip_byte_for_byte(triggered: Path) -> None:
    path = triggered / "routines.lock"
    data = path.read_bytes()
    entry = read_lock(path).routines["greet"]
    assert entry.triggers == (
        Trigger("schedule", cron="0 9 * * 1-5"), Trigger("schedule", cron="*/15 * * * *"),
        Trigger("pull_request", types=("opened", "synchronize")), Trigger("dispatch"),
    )
    assert read_lock(path).to_bytes() == data
    # a trigger the compiler never writes is a corrupt entry, not a workflow quietly missing an event
    raw = json.loads(data)
    raw["routines"]["greet"]["triggers"][3] = {"event": "push"}
    raw["routines"]["greet"]["entry_hash"] = entry_hash(raw["routines"]["greet"])
    path.write_text(json.dumps(raw))
    done = run_cli(triggered, "gen", "workflows")
    assert done.returncode == 2
    assert "lock entry 'greet' is corrupt: triggers[3].event is 'push', not one of schedule, pull_request, dispatch" in done.stdout


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
    # routinec installs from the repository variable (it is on no package index), with the extra
    [install] = [s for s in steps if s.get("name") == "Install routinec"]
    assert steps.index(install) < runs.index("routinec verify")
    assert install["env"] == {"ROUTINEC_SOURCE": "${{ vars.ROUTINEC_SOURCE }}"}
    assert 'requirement="routinec[anthropic] @ $ROUTINEC_SOURCE"' in install["run"]
    assert 'requirement="$ROUTINEC_SOURCE[anthropic]"' in install["run"]
    assert "==" not in install["run"] and 'python -m pip install "$requirement"' in install["run"]
    # recorded in the lock's `generated` table, like the typed client
    recorded = json.loads((triggered / "routines.lock").read_text())["generated"]
    assert recorded == {".github/workflows/routinec-greet.yml": {
        "generator": "workflows", "routines": {"greet": recorded[".github/workflows/routinec-greet.yml"]["routines"]["greet"]},
        "sha256": "sha256:" + hashlib.sha256(text.encode()).hexdigest()}}
    lock_bytes = (triggered / "routines.lock").read_bytes()
    # Deterministic: a second run writes nothing.
    again = run_cli(triggered, "gen", "workflows")
    assert "0 written, 1 unchanged" in (again.stdout + again.stderr)
    assert files[0].read_text() == text
    assert (triggered / "routines.lock").read_bytes() == lock_bytes
    # `lock` keeps the record
    lock(triggered)
    assert (triggered / "routines.lock").read_bytes() == lock_bytes


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


def test_verify_names_hand_edits_and_unrecorded_workflows(triggered: Path) -> None:
    before = (triggered / "routines.lock").read_bytes()
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    path = triggered / ".github" / "workflows" / "routinec-greet.yml"
    generated = path.read_text()
    path.write_text(generated.replace("timeout-minutes: 30", "timeout-minutes: 60"))
    done = run_cli(triggered, "verify")
    assert done.returncode == 1
    assert "routinec-greet.yml was edited after it was generated" in done.stdout, done.stdout
    path.write_text(generated)
    assert run_cli(triggered, "verify").returncode == 0
    # a lock that does not record the file (as before `gen workflows` recorded its files)
    (triggered / "routines.lock").write_bytes(before)
    done = run_cli(triggered, "verify")
    assert done.returncode == 1
    assert "routinec-greet.yml is not recorded in routines.lock: routine 'greet' declares triggers" in done.stdout


def test_the_install_setting_goes_into_the_workflow(triggered: Path) -> None:
    pyproject = triggered / "pyproject.toml"
    source = "git+https://github.com/acme/routinec@v0.1.0"
    pyproject.write_text(pyproject.read_text() + f'[tool.routinec]\ninstall = "{source}"\n')
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    workflow = yaml.safe_load((triggered / ".github" / "workflows" / "routinec-greet.yml").read_text())
    jsonschema.Draft7Validator(SCHEMA).validate(workflow)
    [install] = [s for s in workflow["jobs"]["run"]["steps"] if s.get("name") == "Install routinec"]
    assert install["env"] == {"ROUTINEC_SOURCE": source}
    assert run_cli(triggered, "verify").returncode == 0
    # changing the setting makes the workflow stale
    pyproject.write_text(pyproject.read_text().replace(source, "dist/routinec-0.1.0-py3-none-any.whl"))
    done = run_cli(triggered, "verify")
    assert done.returncode == 1
    assert "routinec-greet.yml is stale: it differs from what the lock and pyproject.toml generate" in done.stdout
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    assert run_cli(triggered, "verify").returncode == 0
    pyproject.write_text(pyproject.read_text().replace('"dist/routinec-0.1.0-py3-none-any.whl"', '""'))
    done = run_cli(triggered, "gen", "workflows")
    assert done.returncode == 2
    assert "[tool.routinec] install must be a non-empty string" in done.stdout and "Traceback" not in done.stderr


def test_init_and_gen_workflows_install_routinec_alike(tmp_path: Path, triggered: Path) -> None:
    assert run_cli(tmp_path, "init", "fresh").returncode == 0
    init_workflow = yaml.safe_load((tmp_path / "fresh" / ".github" / "workflows" / "routinec.yml").read_text())
    [init_step] = [s for s in init_workflow["jobs"]["routinec"]["steps"] if s.get("name") == "Install routinec"]
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    workflow = yaml.safe_load((triggered / ".github" / "workflows" / "routinec-greet.yml").read_text())
    [gen_step] = [s for s in workflow["jobs"]["run"]["steps"] if s.get("name") == "Install routinec"]
    assert init_step["env"] == gen_step["env"] == {"ROUTINEC_SOURCE": "${{ vars.ROUTINEC_SOURCE }}"}
    # the same check of the variable; init's replays offline so it needs no extra
    guard = init_step["run"].split("python -m pip")[0]
    assert guard.startswith('if [ -z "$ROUTINEC_SOURCE" ]') and gen_step["run"].startswith(guard)
    assert init_step["run"].endswith('python -m pip install "$ROUTINEC_SOURCE"\n')


# A stand-in distribution named routinec with an `anthropic` extra: a PEP 517 in-tree backend
# that writes its metadata, so pip resolves a directory or git URL of it without a network or
# setuptools (the real checkout would need its build backend from an index).
_BACKEND = """\
import os

METADATA = "Metadata-Version: 2.1\\nName: routinec\\nVersion: 0.1.0\\nProvides-Extra: anthropic\\n"


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, "routinec-0.1.0.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as handle:
        handle.write(METADATA)
    return "routinec-0.1.0.dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise NotImplementedError("the install step is only resolved (pip --dry-run)")
"""


def _stand_in(root: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        '[project]\nname = "routinec"\nversion = "0.1.0"\n'
    )
    (root / "backend.py").write_text(_BACKEND)
    return root


def _wheel(folder: Path) -> Path:
    wheel = folder / "routinec-0.1.0-py3-none-any.whl"
    info = "routinec-0.1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: routinec\nVersion: 0.1.0\nProvides-Extra: anthropic\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return wheel


def test_the_install_step_runs(triggered: Path, tmp_path: Path) -> None:
    """The generated step's own shell, run by bash with a real pip (`--dry-run`, no index):
    an empty ROUTINEC_SOURCE stops with the error; a directory, a wheel and a git URL each
    resolve to routinec with the anthropic extra."""
    assert run_cli(triggered, "gen", "workflows").returncode == 0
    workflow = yaml.safe_load((triggered / ".github" / "workflows" / "routinec-greet.yml").read_text())
    [install] = [s for s in workflow["jobs"]["run"]["steps"] if s.get("name") == "Install routinec"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"

    def step(source: str, report: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**base, "ROUTINEC_SOURCE": source, "PIP_CONFIG_FILE": os.devnull, "PIP_DRY_RUN": "1",
               "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
               "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        if report is not None:
            env["PIP_REPORT"] = str(report)
        return subprocess.run(["bash", "-e", "-c", install["run"]], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)

    empty = step("")
    assert empty.returncode == 2, empty.stdout + empty.stderr
    assert empty.stdout.startswith("::error::set the repository variable ROUTINEC_SOURCE"), empty.stdout
    package = _stand_in(tmp_path / "routinec-src")
    for command in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=package, check=True, capture_output=True)
    wheel = _wheel(tmp_path)
    for source, url in [
        (str(package), package.as_uri()),
        (str(wheel), wheel.as_uri()),
        # a URL with a host, as git+https://… has (pip refuses `git+file:///…` in `name @ URL`)
        (f"git+file://localhost{package.as_posix()}", None),
    ]:
        report = tmp_path / "report.json"
        report.unlink(missing_ok=True)
        done = step(source, report)
        assert done.returncode == 0, (source, done.stdout + done.stderr)
        [item] = json.loads(report.read_text())["install"]
        assert item["metadata"]["name"] == "routinec" and item["requested_extras"] == ["anthropic"], item
        if url is not None:
            assert item["download_info"]["url"] == url
        else:
            assert item["download_info"]["vcs_info"]["vcs"] == "git"


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
