"""SIGKILL at random moments and concurrent runs (short versions of `nox -s fuzz`): files are
old or new, never partial; temp files left by a kill are swept by the next run; a killed
`lock` does not leave its forked worker running."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fuzz.kill import (
    KillFigures,
    cli,
    env,
    generate,
    scenario_concurrent,
    scenario_lock,
    scenario_record,
    scenario_update_golden,
    temps,
)


def _ok(fig: KillFigures) -> None:
    assert fig.ok, fig.report()
    assert fig.kills or fig.files_new, fig.report()


def test_sigkill_lock_leaves_old_or_new_lock(tmp_path: Path) -> None:
    fig = scenario_lock(tmp_path, 200, 6, random.Random(1))
    _ok(fig)
    assert fig.files_old + fig.files_new == 6


def test_sigkill_record_leaves_only_complete_transcripts(tmp_path: Path) -> None:
    _ok(scenario_record(tmp_path, 8, 3, random.Random(2)))


def test_sigkill_update_golden_leaves_old_or_new_goldens(tmp_path: Path) -> None:
    _ok(scenario_update_golden(tmp_path, 8, 3, random.Random(3)))


def test_concurrent_locks_agree(tmp_path: Path) -> None:
    _ok(scenario_concurrent(tmp_path, 200, 4, 3))


def test_stale_temp_of_a_dead_writer_is_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    root = tmp_path / "p"
    generate(root, 3)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = root / f".routines.lock.rc{dead.pid}-abc123.tmp"
    live = root / f".routines.lock.rc{os.getpid()}-def456.tmp"
    stale.write_bytes(b'{"partial')
    live.write_bytes(b'{"in progress')
    result = cli(root, "lock")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not stale.exists()
    assert live.exists()  # its writer (this process) is alive: never someone else's to remove
    live.unlink()
    assert temps(root) == []
    # A later run that finds nothing changed writes nothing (the summary fast path), and must
    # still sweep: the 100-kill run found a temp left behind by exactly that case.
    stale.write_bytes(b'{"partial')
    again = cli(root, "lock")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already up to date" in again.stderr
    assert temps(root) == []


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, ValueError, IndexError):
        return 0


def _dying(pid: int) -> bool:
    if not _running(pid):
        return True
    try:
        status = dict(
            line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line
        )
        flags = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[6])
    except (OSError, ValueError, IndexError):
        return True  # gone while we looked
    pending = int(status.get("ShdPnd", "0"), 16) | int(status.get("SigPnd", "0"), 16)
    return bool(pending & (1 << (signal.SIGKILL - 1))) or bool(flags & 0x4)  # PF_EXITING


def test_sigkill_lock_ends_its_forked_worker(tmp_path: Path) -> None:
    if sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2:
        import pytest

        pytest.skip("the lock forks a worker only on Linux with two cores")
    root = tmp_path / "big"
    generate(root, 400, per_file=10)  # 40 spec files, 400 routines: lock forks
    for _attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "routinec", "lock"], cwd=root, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        worker = None
        # Wait for the worker, and for it to have run a while (CPU ticks, not wall time):
        # past its first instructions, where it arms the death signal.
        while proc.poll() is None and (worker is None or _cpu_ticks(worker) < 2):
            kids = _children(proc.pid)
            worker = kids[0] if kids else None
        if worker is None or proc.poll() is not None:  # ended before we saw its worker; again
            (root / "routines.lock").unlink(missing_ok=True)
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The worker was computing when its parent died. Right now it must be gone or dying
        # (SIGKILL pending, or already exiting): an orphan still working is the bug.
        assert _dying(worker), "the forked worker kept running after its parent was killed"
        deadline = time.monotonic() + 30  # a bound for the poll, not a timing assertion
        while _running(worker) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _running(worker), "the forked worker outlived its killed parent"
        return
    raise AssertionError("never saw the forked worker of a 400-routine lock")
