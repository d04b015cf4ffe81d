"""Benchmark (not a test): `routinec compat --against HEAD~1` on a 200-routine project.

Generates the project with gen_project.generate, locks it, commits (commit 1), then changes
the output schemas of 10 routines and commits again (commit 2, lock not rewritten, as a
pull request would look before `routinec lock`):

- 4 compatible for a producer's output (narrowing: a longer min_length, a smaller max_items,
  an enum value removed, an optional output field made required);
- 4 breaking without a version bump (an enum value added, min_length dropped, max_items
  raised, an optional output field added to the closed output object);
- 2 breaking with a version bump (reported, not blocking).

Times `routinec compat --against HEAD~1` in a subprocess: one warm-up, then the median of 5
runs, with the peak RSS of the child (os.wait4). Budget: under 1 s on this machine.
Run: `python benchmarks/bench_against.py` (needs git).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from gen_project import generate

ROUTINES = 200
RUNS = 5
BUDGET_S = 1.0
GIT = ("git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("ROUTINEC_DEBUG", "ROUTINEC_UPDATE_GOLDEN", "PYTHONHASHSEED"):
        env.pop(key, None)
    env["ROUTINEC_TODAY"] = "2026-06-01"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    return env


def _git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, env=_env())


def _edit(root: Path, i: int, old: str, new: str) -> None:
    """Replace `old` by `new` inside routine i's block (its type comes first in the block)."""
    spec = root / "specs" / f"group_{i // 10:04d}.routine"
    text = spec.read_text("utf-8")
    start = text.index(f"# routine_{i:05d}:")
    end = text.find("\n# routine_", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    if old not in block:
        raise SystemExit(f"bench_against: {old!r} not in routine {i}")
    spec.write_text(text[:start] + block.replace(old, new, 1) + text[end:], "utf-8")


# (routine index, old text, new text, expectation)
CHANGES: list[tuple[int, str, str, str]] = [
    (3, "summary: string (min_length 1)", "summary: string (min_length 5)", "compatible"),
    (17, "(max_items 50)", "(max_items 20)", "compatible"),
    (42, '"added" | "modified" | "deleted"', '"added" | "modified"', "compatible"),
    (58, "note?: string", "note: string", "compatible"),
    (71, '"added" | "modified" | "deleted"', '"added" | "modified" | "deleted" | "renamed"', "breaking"),
    (99, "summary: string (min_length 1)", "summary: string", "breaking"),
    (123, "(max_items 50)", "(max_items 100)", "breaking"),
    (150, "note?: string", "note?: string\n  reviewer?: string", "breaking"),
    (166, '"added" | "modified" | "deleted"', '"added" | "deleted"\n  score?: int', "breaking, bumped"),
    (187, "(max_items 50)", "", "breaking, bumped"),
]


def _bump(root: Path, i: int) -> None:
    version = 1 + i % 3
    _edit(root, i, f"routine routine_{i:05d} v{version} ", f"routine routine_{i:05d} v{version + 1} ")


def _run(root: Path) -> tuple[float, int, int, bytes]:
    """Wall time (s), exit code, peak RSS (KiB) and stdout of one `compat --against HEAD~1`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "routinec", "compat", "--against", "HEAD~1"],
            cwd=root, stdout=out, stderr=err, env=_env(),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench_against: exit {proc.returncode}\n{stderr.decode(errors='replace')}")
    return elapsed, proc.returncode, usage.ru_maxrss, stdout


def main() -> int:
    if shutil.which("git") is None:
        print("bench_against: git not found; skipped", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="routinec-bench-against-") as tmp:
        root = Path(tmp) / "project"
        generate(root, ROUTINES)
        locked = subprocess.run(
            [sys.executable, "-m", "routinec", "lock"], cwd=root, capture_output=True, env=_env()
        )
        if locked.returncode != 0:
            raise SystemExit(f"bench_against: lock failed\n{locked.stderr.decode(errors='replace')}")
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "base")
        for i, old, new, expect in CHANGES:
            _edit(root, i, old, new)
            if "bumped" in expect:
                _bump(root, i)
        _git(root, "commit", "-q", "-a", "-m", "change 10 output schemas")

        _run(root)  # warm-up: page cache, .pyc files
        times: list[float] = []
        peak = 0
        code = -1
        stdout = b""
        for _ in range(RUNS):
            elapsed, code, rss, stdout = _run(root)
            times.append(elapsed)
            peak = max(peak, rss)
    lines = stdout.decode("utf-8", "replace").splitlines()
    bumped = sum("[version bumped]" in line for line in lines)
    errs = sum(" ERR [" in line for line in lines) - bumped
    warns = sum(" WARN [" in line for line in lines)
    median = statistics.median(times)
    print(f"compat --against HEAD~1, {ROUTINES} routines, {len(CHANGES)} output schemas changed")
    print(f"  exit code      {code} (expected 1: unbumped breaking changes)")
    print(f"  findings       {errs} ERR blocking, {warns} WARN, {bumped} on bumped routines (not blocking)")
    print(f"  median wall    {median * 1000:.0f} ms over {RUNS} runs "
          f"(min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms)")
    print(f"  peak RSS       {peak / 1024:.1f} MiB (child process)")
    verdict = "PASS" if median < BUDGET_S else "OVER"
    print(f"  budget         {BUDGET_S:.1f} s: {verdict}")
    if code != 1:
        print("bench_against: expected exit 1 (breaking changes without bumps)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
