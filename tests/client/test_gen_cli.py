"""`routinec gen python` through the real CLI (subprocesses) on a copy of the example app
project: the module and its record in the lock, `verify` naming stale routines and files,
`lock` keeping the record, bad input, and failed writes leaving files as they were."""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli, snapshot

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "examples" / "app"
MODULE = "review_app/routines.py"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    dest = tmp_path / "app"
    shutil.copytree(APP, dest, ignore=shutil.ignore_patterns("__pycache__", ".routinec", ".mypy_cache"))
    return dest


def _env(tmp_path: Path) -> dict[str, str]:
    return cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))


def test_the_shipped_client_is_what_the_lock_generates(app: Path, tmp_path: Path) -> None:
    shipped = (app / MODULE).read_bytes()
    before = snapshot(app)
    done = run_cli("gen", "python", cwd=app, env=_env(tmp_path))
    assert done.code == 0, done.output
    assert "2 routines, already up to date" in (done.stdout + done.stderr)
    assert snapshot(app) == before
    assert (app / MODULE).read_bytes() == shipped
    verify = run_cli("verify", cwd=app, env=_env(tmp_path))
    assert verify.code == 0, verify.output


def test_gen_writes_the_module_and_records_it_in_the_lock(app: Path, tmp_path: Path) -> None:
    (app / MODULE).unlink()
    lock = json.loads((app / "routines.lock").read_text("utf-8"))
    del lock["generated"]
    (app / "routines.lock").write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", "utf-8")
    done = run_cli("gen", "python", cwd=app, env=_env(tmp_path))
    assert done.code == 0, done.output
    assert f"{MODULE}: 2 routines, written (recorded in routines.lock)" in (done.stdout + done.stderr)
    written = json.loads((app / "routines.lock").read_text("utf-8"))["generated"]
    assert list(written) == [MODULE]
    assert written[MODULE]["generator"] == "python"
    assert sorted(written[MODULE]["routines"]) == ["summarize_pr", "triage_issue"]
    assert (app / MODULE).read_bytes() == (APP / MODULE).read_bytes()
    # -o moves it: the lock records one client, at the new path.
    moved = run_cli("gen", "python", "-o", "elsewhere/client.py", cwd=app, env=_env(tmp_path))
    assert moved.code == 0, moved.output
    table = json.loads((app / "routines.lock").read_text("utf-8"))["generated"]
    assert list(table) == ["elsewhere/client.py"]
    assert "parents[1]" in (app / "elsewhere" / "client.py").read_text("utf-8")


def test_verify_names_the_routine_a_spec_change_left_stale(app: Path, tmp_path: Path) -> None:
    spec = app / "specs" / "triage_issue.routine"
    text = spec.read_text("utf-8").replace("routine triage_issue v2", "routine triage_issue v3")
    spec.write_text(text.replace("duplicate_of?: int (minimum 1)", "duplicate_of?: int (minimum 1)\n    confidence?: number"), "utf-8")
    env = _env(tmp_path)
    locked = run_cli("lock", cwd=app, env=env)
    assert locked.code == 0, locked.output
    # `lock` keeps the record of the generated file (it was not regenerated).
    assert MODULE in json.loads((app / "routines.lock").read_text("utf-8"))["generated"]
    stale = run_cli("verify", cwd=app, env=env)
    assert stale.code == 1, stale.output
    assert f"{MODULE} is stale: routine 'triage_issue' changed since it was generated  [generated-stale]" in (stale.stdout + stale.stderr)
    assert "summarize_pr" not in (stale.stdout + stale.stderr)
    assert "help: run 'routinec gen python' and commit the result" in (stale.stdout + stale.stderr)
    # The fast path (a verify of unchanged lock bytes) says the same.
    assert run_cli("verify", cwd=app, env=env).stdout == stale.stdout
    assert run_cli("gen", "python", cwd=app, env=env).code == 0
    assert "confidence: float | _Skip[None]" in (app / MODULE).read_text("utf-8")
    fixed = run_cli("verify", cwd=app, env=env)
    assert fixed.code == 0, fixed.output


def test_verify_finds_a_hand_edited_or_missing_client(app: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli("verify", cwd=app, env=env).code == 0  # files the fast path's summary
    module = app / MODULE
    module.write_text(module.read_text("utf-8") + "\nEXTRA = 1\n", "utf-8")
    edited = run_cli("verify", cwd=app, env=env)
    assert edited.code == 1
    assert f"{MODULE} was edited after it was generated" in (edited.stdout + edited.stderr)
    assert "put custom code in another module" in (edited.stdout + edited.stderr)
    module.unlink()
    missing = run_cli("verify", "--full", cwd=app, env=env)
    assert missing.code == 1
    assert f"{MODULE} is missing (the lock records it as generated)" in (missing.stdout + missing.stderr)


def test_a_removed_routine_is_named(app: Path, tmp_path: Path) -> None:
    (app / "specs" / "summarize_pr.routine").unlink()
    shutil.rmtree(app / "golden" / "summarize_pr")
    env = _env(tmp_path)
    assert run_cli("lock", cwd=app, env=env).code == 0
    stale = run_cli("verify", cwd=app, env=env)
    assert stale.code == 1
    assert "routine 'summarize_pr' is no longer in the lock" in (stale.stdout + stale.stderr)


@pytest.mark.parametrize(
    ("args", "pyproject", "message"),
    [
        (["-o", "../outside.py"], None, "is outside the project"),
        (["-o", "not-a-module.py"], None, "is not a Python module path"),
        ([], '[project]\nname = "x"\n[tool.routinec]\nclient = "app/routines.txt"\n', "is not a Python module path"),
        ([], '[project]\nname = "x"\n[tool.routinec]\nclient = "../x.py"\n', "leaves the project root"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(app: Path, tmp_path: Path, args: list[str], pyproject: str | None, message: str) -> None:
    if pyproject is not None:
        (app / "pyproject.toml").write_text(pyproject, "utf-8")
    before = snapshot(app)
    done = run_cli("gen", "python", *args, cwd=app, env=_env(tmp_path))
    assert done.code == 2, done.output
    assert message in (done.stdout + done.stderr)
    assert "help:" in (done.stdout + done.stderr)
    assert "Traceback" not in done.output
    assert snapshot(app) == before


def test_no_lock_says_how_to_make_one(app: Path, tmp_path: Path) -> None:
    (app / "routines.lock").unlink()
    done = run_cli("gen", "python", cwd=app, env=_env(tmp_path))
    assert done.code != 0
    assert "no lockfile at this path" in (done.stdout + done.stderr) and "run 'routinec lock'" in (done.stdout + done.stderr)
    assert "Traceback" not in done.output


def test_a_corrupt_generated_table_is_lock_corrupt(app: Path, tmp_path: Path) -> None:
    data = json.loads((app / "routines.lock").read_text("utf-8"))
    data["generated"][MODULE]["sha256"] = 5
    (app / "routines.lock").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    done = run_cli("gen", "python", cwd=app, env=_env(tmp_path))
    assert done.code == 2
    assert "needs a 'generator' string and a 'sha256' digest  [lock-corrupt]" in (done.stdout + done.stderr)


def _no_big_files(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_failed_lock_write_leaves_both_files_as_they_were(app: Path, tmp_path: Path) -> None:
    """The module is written first; when the lock cannot be, the module goes back."""
    module = app / MODULE
    module.unlink()
    data = json.loads((app / "routines.lock").read_text("utf-8"))
    del data["generated"]
    (app / "routines.lock").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    before = snapshot(app)
    size = len((APP / MODULE).read_bytes())
    assert size < (app / "routines.lock").stat().st_size  # the limit lets the module through only
    proc = subprocess.run(
        [sys.executable, "-m", "routinec", "gen", "python"], cwd=app, env=_env(tmp_path),
        capture_output=True, text=True, preexec_fn=lambda: _no_big_files(size + 100), check=False,
    )
    assert proc.returncode == 2, (proc.stdout + proc.stderr)
    assert "cannot write the lockfile" in (proc.stdout + proc.stderr)
    assert snapshot(app) == before
