"""SIGKILL at random moments, and concurrent runs: every file afterwards is its old bytes or
its new bytes (never partial), and no temp file outlives the next run.

Scenarios (each on a fresh temp project): `lock` on a generated project whose specs changed
since its lock; `record` against the loopback fake API; `test --update-golden` over stale
goldens; N concurrent `lock` runs. Kill points are random (seeded); every outcome is checked.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_project import generate  # noqa: E402

from routinec.canonical import loads  # noqa: E402
from tests.support import forked  # noqa: E402
from tests.support.fake_api import TEST_KEY, FakeAnthropic  # noqa: E402

__all__ = ["KillFigures", "run_kills", "scenario_concurrent", "scenario_lock", "scenario_record", "scenario_update_golden"]

_TEMP = "*.tmp"


@dataclass
class KillFigures:
    name: str
    kills: int = 0
    finished_first: int = 0  # the run ended before the kill landed
    files_old: int = 0
    files_new: int = 0
    torn: list[str] = field(default_factory=list)
    left_by_kill: set[str] = field(default_factory=set)
    temps_after_next_run: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.torn or self.temps_after_next_run or self.other)

    def report(self) -> str:
        return (
            f"== kill {self.name}: {self.kills} SIGKILLs ({self.finished_first} landed after the run ended); "
            f"files old {self.files_old}, new {self.files_new}, torn {len(self.torn)}; "
            f"temp files left by kills {len(self.left_by_kill)}, after the next run {len(self.temps_after_next_run)}"
            + "".join(f"\n   TORN {t}" for t in self.torn[:10])
            + "".join(f"\n   LEFT {t}" for t in self.temps_after_next_run[:10])
            + "".join(f"\n   PROBLEM {t}" for t in self.other[:10])
        )


def env(api: FakeAnthropic | None = None, **extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "ROUTINEC_"))}
    out.pop("CI", None)
    out.update({"ROUTINEC_TODAY": "2026-06-01"})
    if api is not None:
        out.update({"ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_API_KEY": TEST_KEY})
    out.update(extra)
    return out


def cli(root: Path, *args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return forked.run_text(list(args), cwd=root, env=environ or env(), timeout=600)


def temps(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(_TEMP))


def _start(root: Path, args: list[str], environ: dict[str, str]) -> forked.Process | subprocess.Popen[bytes]:
    """The CLI as a process of its own (forked from the test zygote: it starts working at
    once, so a random kill point falls in the command's work rather than in its imports)."""
    with open(os.devnull, "wb") as null:
        return forked.start(args, cwd=root, env=environ, stdin=null.fileno(), stdout=null.fileno(),
                            stderr=null.fileno())


def _kill_at_random(root: Path, args: list[str], environ: dict[str, str], within: float, rng: random.Random) -> bool:
    """Start the CLI, SIGKILL it after a random delay in [0, within); True if it was still running.
    (The delay only picks the kill point; nothing asserts on time.)"""
    proc = _start(root, args, environ)
    try:
        proc.wait(rng.uniform(0, within))
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def _kill_at_temp(root: Path, args: list[str], environ: dict[str, str]) -> bool:
    """Start the CLI and SIGKILL it as soon as a temp file of an atomic write appears (the
    worst moment: mid-write). True if it was killed while running."""
    proc = _start(root, args, environ)
    while proc.poll() is None:
        if any(root.glob(".*.tmp")):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
    return False


def _classify(fig: KillFigures, name: str, data: bytes | None, old: bytes | None, new: bytes | None) -> None:
    if data == old:
        fig.files_old += 1
    elif data == new:
        fig.files_new += 1
    else:
        fig.torn.append(f"{name}: {len(data or b'')} bytes, neither old ({len(old or b'')}) nor new ({len(new or b'')})")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _timed(root: Path, *args: str, environ: dict[str, str] | None = None) -> float:
    start = time.monotonic()
    result = cli(root, *args, environ=environ)
    if result.returncode != 0:
        raise RuntimeError(f"routinec {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return time.monotonic() - start


def _changed_specs(root: Path) -> None:
    for spec in (root / "specs").glob("*.routine"):
        spec.write_text(spec.read_text("utf-8").replace("temperature 0\n", "temperature 0.5\n"), "utf-8")


def _lock_project(base: Path, routines: int) -> tuple[Path, bytes, bytes, float]:
    """A generated project, its old lock (written) and the lock after its specs changed."""
    root = base / "lock-project"
    generate(root, routines)
    _timed(root, "lock")
    old = (root / "routines.lock").read_bytes()
    _changed_specs(root)
    seconds = _timed(root, "lock")
    new = (root / "routines.lock").read_bytes()
    assert old != new
    return root, old, new, seconds


def scenario_lock(base: Path, routines: int, kills: int, rng: random.Random) -> KillFigures:
    fig = KillFigures(f"lock ({routines} routines)")
    root, old, new, seconds = _lock_project(base, routines)
    lock = root / "routines.lock"
    for _ in range(kills):
        lock.write_bytes(old)
        fig.kills += 1
        at_temp = rng.random() < 0.5
        killed = _kill_at_temp(root, ["lock"], env()) if at_temp else _kill_at_random(root, ["lock"], env(), seconds * 1.2, rng)
        if not killed:
            fig.finished_first += 1
        _classify(fig, "routines.lock", _read(lock), old, new)
        fig.left_by_kill.update(temps(root))
        if rng.random() < 0.3:  # sometimes the next run finds the lock unchanged: it must still sweep
            lock.write_bytes(new)
    _timed(root, "lock")
    if lock.read_bytes() != new:
        fig.other.append("the lock after a full run differs from the reference")
    fig.temps_after_next_run = temps(root)
    return fig


def _record_project(base: Path, routines: int) -> Path:
    root = base / "record-project"
    generate(root, routines, per_file=5)
    _timed(root, "lock")
    return root


def scenario_record(base: Path, routines: int, kills: int, rng: random.Random) -> KillFigures:
    fig = KillFigures(f"record ({routines} routines)")
    root = _record_project(base, routines)
    golden = root / "golden"
    with FakeAnthropic() as api:
        environ = env(api)
        seconds = _timed(root, "record", environ=environ)
        for path in golden.rglob("*.transcript.json"):
            path.unlink()
        for _ in range(kills):
            fig.kills += 1
            if not _kill_at_random(root, ["record"], environ, seconds * 1.2, rng):
                fig.finished_first += 1
            fig.left_by_kill.update(temps(root))
            for path in sorted(golden.rglob("*.transcript.json")):  # absent (old) or complete (new)
                try:
                    data = loads(path.read_bytes())
                    complete = isinstance(data, dict) and data.get("origin") == "recorded" and data.get("responses")
                except ValueError:
                    complete = False
                if complete:
                    fig.files_new += 1
                else:
                    fig.torn.append(f"{path.relative_to(root)}: not a complete transcript")
                path.unlink()
        _timed(root, "record", environ=environ)
    fig.temps_after_next_run = temps(root)
    if len(list(golden.rglob("*.transcript.json"))) != routines:
        fig.other.append("a full record did not write every transcript")
    return fig


def scenario_update_golden(base: Path, routines: int, kills: int, rng: random.Random) -> KillFigures:
    fig = KillFigures(f"test --update-golden ({routines} routines)")
    root = base / "golden-project"
    shutil.copytree(_recorded(base, routines), root)
    goldens = sorted(p.parent / p.name.replace(".transcript.json", ".output.json") for p in (root / "golden").rglob("*.transcript.json"))
    stale = {p: b'{"summary": "stale", "findings": []}\n' for p in goldens}
    for path, data in stale.items():
        path.write_bytes(data)
    seconds = _timed(root, "test", "--update-golden")
    new = {p: p.read_bytes() for p in goldens}
    for _ in range(kills):
        for path, data in stale.items():
            path.write_bytes(data)
        fig.kills += 1
        if not _kill_at_random(root, ["test", "--update-golden"], env(), seconds * 1.2, rng):
            fig.finished_first += 1
        fig.left_by_kill.update(temps(root))
        for path in goldens:
            _classify(fig, str(path.relative_to(root)), _read(path), stale[path], new[path])
    _timed(root, "test", "--update-golden")
    fig.temps_after_next_run = temps(root)
    return fig


def _recorded(base: Path, routines: int) -> Path:
    root = base / "record-project"
    if not any(root.rglob("*.transcript.json")):
        if not root.exists():
            _record_project(base, routines)
        with FakeAnthropic() as api:
            _timed(root, "record", environ=env(api))
    return root


def scenario_concurrent(base: Path, routines: int, jobs: int, rounds: int) -> KillFigures:
    fig = KillFigures(f"{jobs} concurrent lock runs x {rounds} rounds ({routines} routines)")
    root, old, new, _ = _lock_project(base / "concurrent", routines)
    lock = root / "routines.lock"
    for _ in range(rounds):
        lock.write_bytes(old)
        with contextlib.ExitStack() as stack:
            outputs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(jobs)]
            procs = [forked.start(["lock"], cwd=root, env=env(), stdout=out.fileno(), stderr=out.fileno())
                     for out in outputs]
            for proc, out in zip(procs, outputs, strict=True):
                if proc.wait(timeout=600) != 0:
                    out.seek(0)
                    fig.other.append(f"a concurrent lock exited {proc.returncode}: {out.read().decode().strip()[:200]}")
        fig.kills += 0
        _classify(fig, "routines.lock", _read(lock), old, new)
        if lock.read_bytes() != new:
            fig.other.append("after concurrent runs the lock is not the new lock")
        fig.temps_after_next_run += temps(root)
    return fig


def run_kills(kills: int, routines: int, seed: int) -> Iterator[tuple[str, bool]]:
    """The nox session's figures: kills per scenario, `routines` in the killed lock's project."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="routinec-kill-") as tmp:
        base = Path(tmp)
        for fig in (
            scenario_lock(base, routines, kills, rng),
            scenario_record(base, 40, kills, rng),
            scenario_update_golden(base, 40, kills, rng),
            scenario_concurrent(base, 200, 8, 10),
        ):
            yield fig.report(), fig.ok
