"""The suite's forked CLI runs (tests/support/forked.py) behave as ordinary `python -m routinec`
processes: same exit code, stdout, stderr and files, byte for byte, for each kind of outcome."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers import cli_env, copy_examples, snapshot
from tests.support import forked

# Each run in order, in one project; the same sequence once per way of starting the CLI.
SEQUENCE: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("check", "--format", "json"),
    ("lock",),
    ("verify",),
    ("test",),
    ("show", "summarize_pr/no_such_case"),  # exit 2, did-you-mean
    ("frobnicate",),  # click's usage error, exit 2
    ("fmt", "--check"),
    ("test", "--ledger"),  # SQLite: its -wal/-shm files are compared by name below
    ("ledger", "ls"),
)
# After a golden that disagrees and a drifted spec: exit 1, in text and for GitHub.
BROKEN: tuple[tuple[str, ...], ...] = (
    ("test",),
    ("show", "summarize_pr/small_fix"),
    ("verify", "--format", "github"),
)
# What differs between any two runs: durations, and a ledger run's id and time.
_VARYING = re.compile(rb"\d+(\.\d+)?\s?(ms|s)\b|[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
                      rb"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _break(root: Path) -> None:
    """Between the sequence's halves: a golden that disagrees and a drifted spec."""
    golden = root / "golden" / "summarize_pr" / "small_fix.output.json"
    golden.write_text(golden.read_text("utf-8").replace('"risk": "low"', '"risk": "high"'), "utf-8")
    spec = root / "specs" / "summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("temperature 0", "temperature 0.2", 1), "utf-8")


def _sequence(root: Path, *, fork: bool) -> list[tuple[tuple[str, ...], int, bytes, bytes, bool]]:
    env = cli_env(CI="true")
    seen = []
    for half, sequence in enumerate((SEQUENCE, BROKEN)):
        if half:
            _break(root)
        for args in sequence:
            done = forked.run(list(args), cwd=root, env=env, timeout=120, fork=fork)
            seen.append((args, done.returncode, _VARYING.sub(b"~", done.stdout),
                         _VARYING.sub(b"~", done.stderr), done.forked))
    return seen


def test_forked_and_ordinary_runs_agree_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "project"
    copy_examples(root)
    ordinary = _sequence(root, fork=False)
    files = _files(root)
    shutil.rmtree(root)
    copy_examples(root)  # the same path again: outputs that name files compare as they are
    forked_runs = _sequence(root, fork=True)
    assert all(run[-1] for run in forked_runs), "a run meant to be forked was not"
    assert not any(run[-1] for run in ordinary)
    codes = {run[1] for run in ordinary}
    assert {0, 1, 2} <= codes, codes  # the sequence covers each exit code
    for before, after in zip(ordinary, forked_runs, strict=True):
        assert before[:4] == after[:4], before[0]
    assert _files(root) == files


def _files(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes; under .routinec/ (run ids and times in the ledger) only its name."""
    return {k: None if k.startswith(".routinec/") else v for k, v in snapshot(root).items()}


def test_start_up_variables_get_a_fresh_interpreter(tmp_path: Path) -> None:
    copy_examples(tmp_path)
    profiled = forked.run(["verify"], cwd=tmp_path, env=cli_env(PYTHONPROFILEIMPORTTIME="1"), timeout=120)
    assert not profiled.forked
    assert b"import time:" in profiled.stderr and b"routinec.cli" in profiled.stderr
    seeded = forked.run(["verify"], cwd=tmp_path, env=cli_env(PYTHONHASHSEED="7"), timeout=120)
    assert not seeded.forked and seeded.returncode == 0


def test_a_run_past_its_timeout_is_killed_and_reported_as_subprocess_does(tmp_path: Path) -> None:
    read, write = os.pipe()  # the language server waits on stdin, which never closes
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            forked.run(["lsp"], cwd=tmp_path, env=cli_env(), timeout=1, stdin=read)
    finally:
        os.close(read)
        os.close(write)
    after = forked.run(["--version"], cwd=tmp_path, env=cli_env(), timeout=120)
    assert after.forked and after.returncode == 0  # the zygote serves on


def test_a_started_process_reports_a_signal_as_popen_does(tmp_path: Path) -> None:
    read, write = os.pipe()
    try:
        proc = forked.start(["lsp"], cwd=tmp_path, env=cli_env(), stdin=read)
        assert isinstance(proc, forked.Process)
        assert proc.poll() is None  # it waits on stdin, which never closes
        proc.kill()
        assert proc.wait() == -signal.SIGKILL == proc.returncode
        proc.kill()  # once it is reaped, a second kill is a no-op (as Popen's)
    finally:
        os.close(read)
        os.close(write)
