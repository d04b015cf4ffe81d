"""Before/after on a loaded machine: two source trees, the same commands, runs interleaved.

    python benchmarks/compare_revisions.py BEFORE_SRC AFTER_SRC PROJECT [--runs 5] [--only cold,relock,edit,verify,help]

BEFORE_SRC and AFTER_SRC are `src/` folders (e.g. of `git worktree add /tmp/before REV`);
each command runs as `python -m routinec` with PYTHONPATH set to one of them, alternating
before/after run by run so both see the same load. PROJECT is a project from
benchmarks/gen_project.py. Prints median wall and CPU (user + sys) per command and side:
on a shared machine CPU time is the figure to compare.

  cold     lock with no lockfile and a fresh HOME (no cache of any kind)
  relock   lock with nothing changed (each side's own warm cache)
  edit     lock after one spec file (ten routines) was edited (warm cache)
  verify   verify with nothing changed
  help     routinec --help
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIDES = ("before", "after")


def run(src: Path, root: Path, args: list[str], env_extra: dict[str, str]) -> tuple[float, float, float]:
    env = dict(os.environ, PYTHONPATH=str(src), **env_extra)
    env.pop("ANTHROPIC_API_KEY", None)
    env.pop("ROUTINEC_NO_CACHE", None)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "routinec", *args], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(f"  {src}: {' '.join(args)} exited {code}: {err.decode(errors='replace')[-200:]}", file=sys.stderr)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def scenario(name: str, srcs: dict[str, Path], root: Path, runs: int) -> None:
    lock = root / "routines.lock"
    spec = sorted((root / "specs").glob("*.routine"))[0]
    caches = {side: Path(tempfile.mkdtemp(prefix=f"routinec-cmp-{side}-")) for side in SIDES}
    edits = iter(range(10**6))

    def edit() -> None:
        lines = spec.read_text("utf-8").split("\n")
        at = next(i for i, line in enumerate(lines) if line.strip().startswith("temperature"))
        lines[at] = f"  temperature 0.{next(edits) % 9 + 1}"
        spec.write_text("\n".join(lines), "utf-8")

    results: dict[str, list[tuple[float, float, float]]] = {side: [] for side in SIDES}
    try:
        for _ in range(runs):
            for side in SIDES:
                src = srcs[side]
                args = ["--help"] if name == "help" else ["verify"] if name == "verify" else ["lock"]
                if name == "cold":
                    home = tempfile.mkdtemp(prefix="routinec-cmp-home-")
                    lock.unlink(missing_ok=True)
                    results[side].append(run(src, root, args, {"HOME": home, "XDG_CACHE_HOME": f"{home}/.cache"}))
                    shutil.rmtree(home, ignore_errors=True)
                    continue
                env = {"XDG_CACHE_HOME": str(caches[side])}
                run(src, root, ["lock"], env)  # this side's own lock and warm cache, untimed
                if name == "edit":
                    edit()
                results[side].append(run(src, root, args, env))
    finally:
        for folder in caches.values():
            shutil.rmtree(folder, ignore_errors=True)
    for side in SIDES:
        walls, cpus, rss = zip(*results[side], strict=True)
        print(f"{name:<8} {side:<7} wall {statistics.median(walls):7.3f} s   cpu {statistics.median(cpus):7.3f} s"
              f"   peak {max(rss):6.0f} MB   runs {runs}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="cold,relock,edit,verify,help")
    args = parser.parse_args()
    srcs = {"before": args.before.resolve(), "after": args.after.resolve()}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.1f}; "
          f"project {args.project}", flush=True)
    for name in args.only.split(","):
        scenario(name.strip(), srcs, args.project.resolve(), args.runs)
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
