"""`lock`, `check` and `verify` leave without freeing their objects (`options.leave_fast`):
whatever they print must still arrive whole, through a pipe, with the command's exit code,
and the GitHub job summary they append must be complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import cli_env, write_project

ROUTINE = """\
routine r{i} v1 {{
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 100
  prompt "Say {{{{ nothing_{i} }}}}"
  output {{ answer: string }}
}}
"""


def test_a_big_output_arrives_whole_through_a_pipe(tmp_path: Path) -> None:
    # 400 undefined template variables: ~150 KB of JSON lines, more than a pipe holds, so the
    # output is still being written when the command decides to leave.
    root = write_project(tmp_path / "p", {"specs/many.routine": "".join(ROUTINE.format(i=i) for i in range(400))})
    summary = tmp_path / "summary.md"
    env = {**cli_env(), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    for command in (["check", "--format", "json"], ["lock", "--format", "json"]):
        proc = subprocess.run([sys.executable, "-m", "routinec", *command], cwd=root, env=env,
                              capture_output=True, check=False)
        lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        found = [line for line in lines if line.get("code") == "undefined-variable"]
        assert proc.returncode == 2, proc.stderr.decode()
        assert len(proc.stdout) > 100_000 and len(found) == 400
        assert lines[-1]["kind"] == "summary" and lines[-1]["errors"] == 400 and lines[-1]["exit_code"] == 2
    proc = subprocess.run([sys.executable, "-m", "routinec", "check", "--format", "github"], cwd=root, env=env,
                          capture_output=True, check=False)
    assert proc.returncode == 2 and proc.stdout.decode().count("::error ") == 400
    table = summary.read_text("utf-8")
    assert table.count("undefined-variable") == 50 and table.rstrip().endswith("|"), table[-300:]


def test_in_process_main_returns_to_its_caller(tmp_path: Path) -> None:
    # main() (what tests and embedders call) raises SystemExit as usual; only the console
    # script (`entry`) leaves early.
    root = write_project(tmp_path / "p", {"specs/one.routine": ROUTINE.format(i=0)})
    code = (
        "import sys\nfrom routinec.cli import main\n"
        "try:\n    main(['check'])\nexcept SystemExit as done:\n    print('returned', done.code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=cli_env(), capture_output=True, check=False)
    assert proc.returncode == 0 and proc.stdout.decode().strip().endswith("returned 2"), proc.stdout.decode()
