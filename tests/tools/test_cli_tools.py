"""Tool-using routines through the CLI, in subprocesses: record, replay with trajectory
expectations, `--tools live`, and `verify` naming a changed tool schema or tool source."""

from __future__ import annotations

import json
from pathlib import Path

from tests.runtime.conftest import cli_env, run_cli
from tests.support.fake_api import FakeAnthropic, tool_script
from tests.tools.conftest import STEPS, module_of


def _record(root: Path) -> None:
    with FakeAnthropic(tool_script(STEPS)) as api:
        done = run_cli(root, "record", "triage", env=cli_env(api))
    assert done.returncode == 0, done.stderr + done.stdout
    assert (root / "golden" / "triage" / "dup.transcript.json").exists()


def test_record_then_test_offline_checks_the_trajectory(tools_project: Path) -> None:
    _record(tools_project)
    done = run_cli(tools_project, "test", "--format", "json", env=cli_env(CI="true"))
    assert done.returncode == 0, done.stderr + done.stdout
    spec = tools_project / "specs" / "triage.routine"
    spec.write_text(spec.read_text().replace("expect turns <= 3", "expect turns <= 2").replace(
        'expect tool add_label { label: "duplicate" }', 'expect tool add_label { label: "bug" }'
    ))
    assert run_cli(tools_project, "lock").returncode == 0
    done = run_cli(tools_project, "test", "--format", "json", env=cli_env(CI="true"))
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert '"trajectory-mismatch"' in out
    assert "expected a call add_label {'label': 'bug'}" in out
    assert "expected at most 2 turns, the run took 3" in out


def test_tools_live_reports_a_changed_read_tool(tools_project: Path) -> None:
    _record(tools_project)
    module = module_of(tools_project)
    module.write_text(module.read_text().replace('return "VERSION = " + repr(path)', 'return "VERSION = 2"'))
    assert run_cli(tools_project, "lock").returncode == 0  # the tool's source is pinned: re-lock
    done = run_cli(tools_project, "test", env=cli_env(CI="true"))
    assert done.returncode == 0, "recorded results need no tool at all"
    done = run_cli(tools_project, "test", "--tools", "live", "--format", "json", env=cli_env(CI="true"))
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert '"tool-result-changed"' in out
    assert "turn 1 read_file (toolu_0_1): recorded VERSION = 'src/save.py', live VERSION = 2" in out
    assert not (tools_project / "labels.txt").exists(), "write tools never run in replay"


def test_verify_names_a_changed_tool_schema(tools_project: Path) -> None:
    module = module_of(tools_project)
    module.write_text(module.read_text().replace("def read_file(path: str)", "def read_file(path: str, lines: int = 50)"))
    done = run_cli(tools_project, "verify")
    assert done.returncode == 1
    assert "triage: tool read_file schema" in done.stdout + done.stderr
    assert "#/properties/lines: (absent)" in done.stdout + done.stderr


def test_verify_names_an_edited_tool_source(tools_project: Path) -> None:
    module = module_of(tools_project)
    module.write_text(module.read_text() + "\n# a comment is an edit too\n")
    done = run_cli(tools_project, "verify")
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert f"triage: tool search_code source file {module.name}" in out
    assert "schema" not in out


def test_check_never_imports_tool_modules(tools_project: Path) -> None:
    module = module_of(tools_project)
    module.write_text('raise SystemExit("imported!")\n' + module.read_text())
    done = run_cli(tools_project, "check")
    assert done.returncode == 0, done.stderr
    lock = json.loads((tools_project / "routines.lock").read_text())
    tools = lock["routines"]["triage"]["tools"]["tools"]
    assert [t["effect"] for t in tools] == ["read", "read", "write"]
    assert tools[2]["dry_run"].endswith(":preview_label")


def test_state_session_on_a_tool_routine_is_refused_at_its_line(tools_project: Path) -> None:
    spec = tools_project / "specs" / "triage.routine"
    text = spec.read_text().replace("  max_turns 4\n", "  max_turns 4\n  state session\n")
    spec.write_text(text)
    line = text.splitlines().index("  state session") + 1
    before = (tools_project / "routines.lock").read_bytes()
    done = run_cli(tools_project, "check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"specs/triage.routine:{line}:9: error: routine 'triage' has tools, so it cannot keep `state session`  [tool-state]" in done.stdout
    assert "help: write `state reset`" in done.stdout
    assert run_cli(tools_project, "lock").returncode == 2
    assert (tools_project / "routines.lock").read_bytes() == before
    spec.write_text(text.replace("state session", "state reset"))
    assert run_cli(tools_project, "check").returncode == 0
