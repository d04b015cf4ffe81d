"""Concurrent rollout commands, as real processes released together (each waits for a line
on stdin; no sleeps): the writers queue on the lockfile's writer lock, every read of
routines.lock meanwhile sees complete old or new bytes, and the end state is one command's
whole result with one ledger record per change."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from routinec.diagnostics import DiagnosticError
from routinec.ledger import Ledger
from routinec.lockfile import read_lock
from tests.rollout.conftest import bump
from tests.runtime.conftest import cli_env, run_cli

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
GO = "import sys; sys.stdin.readline(); from routinec.cli import main; main(sys.argv[1:])"


def _released_together(project: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen([sys.executable, "-c", GO, *args], cwd=project, env=cli_env(), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in commands
    ]
    for proc in procs:  # the event: one line each, after all have started
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    out = []
    for proc, args in zip(procs, commands, strict=True):
        stdout, stderr = proc.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(args, proc.returncode, stdout, stderr))
    return out


class _Watcher:
    """Reads routines.lock in a loop until stopped; every read must parse as a whole lock."""

    def __init__(self, path: Path) -> None:
        self.path, self.stop, self.reads, self.problems = path, threading.Event(), 0, list[str]()
        self.thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                read_lock(self.path)
            except DiagnosticError as exc:
                self.problems.append(str(exc.diagnostics[0].message))
            self.reads += 1

    def __enter__(self) -> _Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


@SQLITE_ONLY
def test_concurrent_weight_changes_serialise(project: Path) -> None:
    bump(project)
    assert run_cli(project, "rollout", "canary", "summarize_pr", "--weight", "1").returncode == 0
    weights = [5, 10, 15, 20, 25, 30]
    with _Watcher(project / "routines.lock") as watcher:
        done = _released_together(project, [["rollout", "canary", "summarize_pr", "--weight", str(w), "--format", "json"]
                                            for w in weights])
    assert [d.returncode for d in done] == [0] * len(weights), [(d.stdout + d.stderr) for d in done]
    assert watcher.problems == [] and watcher.reads > 0
    final = read_lock(project / "routines.lock").rollout["summarize_pr"].channels
    assert final.canary is not None and final.canary.weight in weights
    with Ledger.open(project) as ledger:
        records = ledger.rollouts("summarize_pr")
    assert len(records) == 1 + len(weights)  # every change recorded, each on what the one before wrote
    chain = [json.loads(r.to_json)["canary"]["weight"] for r in records]
    assert [json.loads(r.from_json)["canary"]["weight"] for r in records[1:]] == chain[:-1]
    assert chain[-1] == final.canary.weight and sorted(chain[1:]) == weights


@SQLITE_ONLY
def test_promote_and_abort_race_one_wins(project: Path) -> None:
    bump(project)
    assert run_cli(project, "rollout", "canary", "summarize_pr", "--weight", "50").returncode == 0
    before = (project / "routines.lock").read_bytes()
    done = _released_together(project, [["rollout", "promote", "summarize_pr"], ["rollout", "abort", "summarize_pr"]])
    codes = sorted(d.returncode for d in done)
    assert codes == [0, 2], [(d.stdout + d.stderr) for d in done]
    loser = next(d for d in done if d.returncode == 2)
    assert "[no-canary]" in (loser.stdout + loser.stderr) and "Traceback" not in (loser.stdout + loser.stderr)
    winner = next(d for d in done if d.returncode == 0).args[1]
    channels = read_lock(project / "routines.lock").rollout["summarize_pr"].channels
    assert channels.canary is None and channels.stable == (2 if winner == "promote" else 1)
    assert (project / "routines.lock").read_bytes() != before
    with Ledger.open(project) as ledger:
        assert [r.action for r in ledger.rollouts("summarize_pr")] == ["canary", winner]
