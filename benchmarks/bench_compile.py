"""Compile-time benchmark: wall time and peak memory of `routinec lock` and `verify`.

    python benchmarks/bench_compile.py                    # N = 100, 1,000, 10,000
    python benchmarks/bench_compile.py --sizes 100,1000   # choose sizes
    python benchmarks/bench_compile.py --strict           # exit 1 when a budget is over
    python benchmarks/bench_compile.py --profile 1000     # cProfile build() in-process

For each N a project is generated (benchmarks/gen_project.py) into a temp dir, then each
command runs in a fresh subprocess (`python -m routinec ...`), so every figure includes
interpreter start-up and imports, as a user or CI would see it:

  lock (cold)          no lockfile and no cache of any kind: a fresh HOME per run, as on
                       the first run after install
  relock (unchanged)   lockfile and build cache present, nothing edited
  relock (1 edited)    one spec file (ten routines) edited before each run, warm cache
  verify (fast path)   unchanged sources, with the cache the last lock left (a developer)
  verify (no cache)    the same on a fresh HOME (CI): parse the lock, check every entry
  verify-full          `verify --full`: recompile everything and compare

Each figure is the median wall time; CPU (user + sys of the child) is printed beside it,
since on a shared machine CPU time is the steadier of the two.

Peak memory is the child's own ru_maxrss, read with os.wait4 (per-process, so no
RUSAGE_CHILDREN high-water-mark confusion). The median of several runs is reported for
small N (see --repeat). Also timed: `routinec --help`, and `routinec verify` on the examples
shipped at the repository root (skipped with a note when specs/ or routines.lock is absent).

Budgets (issue 12, "Performance"): cold lock of 1,000 <= 1.0 s, 10,000 within 10x of it
and <= 500 MB; re-lock of 1,000 unchanged <= 0.25 s, with one spec edited <= 0.6 s; verify
of 1,000 <= 0.2 s and of 10,000 <= 1.0 s; --help <= 0.1 s. Each prints PASS or OVER; the
process fails only under --strict.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from gen_project import generate  # noqa: E402

DEFAULT_SIZES = (100, 1000, 10000)
LOCK_BUDGET_1K = 1.0
RELOCK_BUDGET_1K = 0.25
EDIT_BUDGET_1K = 0.6
VERIFY_BUDGET = 0.2
VERIFY_BUDGET_10K = 1.0
SCALE_BUDGET = 10.0
MEMORY_BUDGET_MB = 500.0
STARTUP_BUDGET = 0.1
EXAMPLES_BUDGET = 0.3


@dataclass
class Sample:
    wall: float
    maxrss_kb: int
    code: int
    stderr: str
    cpu: float = 0.0


@dataclass
class Figure:
    label: str
    n: int | None
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float("nan")

    @property
    def rss_mb(self) -> float:
        return max(self.rss_kb) / 1024


def run_once(args: list[str], cwd: Path, before: Any = None, cache: Path | None = None) -> Sample:
    """Run `python -m routinec ARGS` in a fresh process; wall time, CPU and the child's peak RSS.

    `before()` runs first (untimed). With no `cache`, HOME is a new empty directory, so no
    cache of any kind (parser, build) exists; with one, the build cache lives there.
    """
    if before is not None:
        before()
    env = dict(os.environ)
    env.pop("ANTHROPIC_API_KEY", None)  # never go online from a benchmark
    env.pop("ROUTINEC_NO_CACHE", None)
    home = None
    if cache is None:
        home = tempfile.TemporaryDirectory(prefix="routinec-bench-home-")
        env["HOME"] = home.name
        env.pop("XDG_CACHE_HOME", None)
    else:
        env["XDG_CACHE_HOME"] = str(cache)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "routinec", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if home is not None:
        home.cleanup()
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, int(usage.ru_maxrss), proc.returncode, err.decode("utf-8", "replace"), cpu)


def measure(
    label: str, n: int | None, args: list[str], cwd: Path, runs: int, *,
    before: Any = None, cache: Path | None = None,
) -> Figure:
    fig = Figure(label, n)
    for _ in range(runs):
        s = run_once(args, cwd, before, cache)
        fig.walls.append(s.wall)
        fig.cpus.append(s.cpu)
        fig.rss_kb.append(s.maxrss_kb)
        fig.codes.append(s.code)
        if s.code != 0 and not fig.note:
            last = s.stderr.strip().splitlines()[-1:] or [""]
            fig.note = f"exit {s.code}: {last[0][:90]}"
    return fig


def runs_for(n: int, repeat: int | None) -> int:
    if repeat is not None:
        return max(1, repeat)
    return 5 if n <= 100 else 3 if n <= 1000 else 1


def bench_size(n: int, repeat: int | None, keep: Path | None) -> list[Figure]:
    ctx = tempfile.TemporaryDirectory(prefix=f"routinec-bench-{n}-") if keep is None else None
    root = Path(ctx.name) if ctx is not None else keep / f"n{n}"  # type: ignore[operator]
    try:
        t0 = time.perf_counter()
        generate(root, n)
        gen = time.perf_counter() - t0
        print(f"  N={n:>6}: generated in {gen:.2f} s", file=sys.stderr, flush=True)
        runs = runs_for(n, repeat)
        lock_path = root / "routines.lock"
        figs = [measure("lock (cold)", n, ["lock"], root, runs, before=lambda: lock_path.unlink(missing_ok=True))]
        if not lock_path.exists():
            figs.append(Figure("verify", n, [float("nan")], [], [0], [-1], "skipped: lock failed"))
            return figs
        cache = root / ".bench-cache"
        run_once(["lock"], root, None, cache)  # fill the build cache
        figs.append(measure("relock (unchanged)", n, ["lock"], root, runs, cache=cache))
        spec = sorted((root / "specs").glob("*.routine"))[0]
        edits = iter(range(10**6))

        def edit() -> None:  # a different temperature each run: always one edited spec
            text = spec.read_text("utf-8").split("\n")
            at = next(i for i, line in enumerate(text) if line.strip().startswith("temperature"))
            text[at] = f"  temperature 0.{next(edits) % 9 + 1}"
            spec.write_text("\n".join(text), "utf-8")

        figs.append(measure("relock (1 edited)", n, ["lock"], root, runs, before=edit, cache=cache))
        run_once(["lock"], root, None, cache)  # the summary of this exact lockfile
        figs.append(measure("verify (fast path)", n, ["verify"], root, runs, cache=cache))
        figs.append(measure("verify (no cache)", n, ["verify"], root, runs))
        figs.append(measure("verify --full", n, ["verify", "--full"], root, runs))
        for f in figs:
            print(f"          {f.label:<20} {f.wall:7.3f} s (cpu {f.cpu:6.3f} s) {f.rss_mb:7.1f} MB {f.note}",
                  file=sys.stderr, flush=True)
        return figs
    finally:
        if ctx is not None:
            ctx.cleanup()


def bench_startup(repeat: int | None) -> list[Figure]:
    runs = repeat or 5
    figs = [measure("--help", None, ["--help"], REPO, runs)]
    specs = REPO / "specs"
    has_specs = specs.is_dir() and any(specs.rglob("*.routine"))
    if has_specs and (REPO / "routines.lock").is_file():
        figs.append(measure("verify (examples)", None, ["verify"], REPO, runs))
    else:
        missing = "specs/*.routine" if not has_specs else "routines.lock"
        figs.append(Figure("verify (examples)", None, [float("nan")], [], [0], [-1], f"skipped: no {missing} at the repo root"))
    return figs


def table(figs: list[Figure]) -> str:
    head = f"{'command':<22} {'N':>7} {'wall (s, median)':>17} {'cpu (s)':>8} {'runs':>5} {'peak RSS (MB)':>14}  note"
    lines = [head, "-" * len(head)]
    for f in figs:
        n = f"{f.n:,}" if f.n is not None else "-"
        wall = "skipped" if f.wall != f.wall else f"{f.wall:.3f}"
        cpu = "-" if f.cpu != f.cpu else f"{f.cpu:.3f}"
        rss = "-" if f.wall != f.wall else f"{f.rss_mb:.1f}"
        runs = len(f.walls) if f.wall == f.wall else 0
        lines.append(f"{f.label:<22} {n:>7} {wall:>17} {cpu:>8} {runs:>5} {rss:>14}  {f.note}")
    return "\n".join(lines)


def budgets(figs: list[Figure]) -> list[tuple[str, str, str]]:
    """(budget, figure, PASS|OVER|n/a) for each budget of the issue we have data for."""
    by = {(f.label, f.n): f for f in figs if f.wall == f.wall and all(c == 0 for c in f.codes)}
    out: list[tuple[str, str, str]] = []

    def limit(name: str, key: tuple[str, int | None], bound: float) -> None:
        f = by.get(key)
        if f is None:
            out.append((name, "no data", "n/a"))
        else:
            out.append((name, f"{f.wall:.3f} s (cpu {f.cpu:.3f})", "PASS" if f.wall <= bound else "OVER"))

    def scale(name: str, label: str) -> None:
        small, big = by.get((label, 1000)), by.get((label, 10000))
        if small is None or big is None:
            out.append((name, "no data", "n/a"))
        else:
            ratio = big.wall / small.wall
            out.append((name, f"{ratio:.1f}x ({big.wall:.2f} / {small.wall:.2f} s)", "PASS" if ratio <= SCALE_BUDGET else "OVER"))

    def memory(name: str, key: tuple[str, int | None], bound: float) -> None:
        f = by.get(key)
        if f is None:
            out.append((name, "no data", "n/a"))
        else:
            out.append((name, f"{f.rss_mb:.0f} MB", "PASS" if f.rss_mb <= bound else "OVER"))

    limit(f"cold lock, 1,000 routines <= {LOCK_BUDGET_1K} s", ("lock (cold)", 1000), LOCK_BUDGET_1K)
    scale(f"cold lock 10,000 within {SCALE_BUDGET:g}x of 1,000", "lock (cold)")
    memory(f"cold lock 10,000 <= {MEMORY_BUDGET_MB:g} MB", ("lock (cold)", 10000), MEMORY_BUDGET_MB)
    limit(f"re-lock 1,000 unchanged <= {RELOCK_BUDGET_1K} s", ("relock (unchanged)", 1000), RELOCK_BUDGET_1K)
    limit(f"re-lock 1,000, one spec edited <= {EDIT_BUDGET_1K} s", ("relock (1 edited)", 1000), EDIT_BUDGET_1K)
    limit(f"verify, 1,000 routines <= {VERIFY_BUDGET} s", ("verify (fast path)", 1000), VERIFY_BUDGET)
    limit(f"verify, 10,000 routines <= {VERIFY_BUDGET_10K} s", ("verify (fast path)", 10000), VERIFY_BUDGET_10K)
    limit(f"verify, 10,000, no cache <= {VERIFY_BUDGET_10K} s (info)", ("verify (no cache)", 10000), VERIFY_BUDGET_10K)
    scale(f"verify --full 10,000 within {SCALE_BUDGET:g}x (info)", "verify --full")
    limit(f"--help <= {STARTUP_BUDGET} s", ("--help", None), STARTUP_BUDGET)
    limit(f"verify on examples <= {EXAMPLES_BUDGET} s (info)", ("verify (examples)", None), EXAMPLES_BUDGET)
    return out


# (module, attribute) pairs timed by --profile's low-overhead pass breakdown. Names that do
# not exist (the compiler is being reworked) are skipped.
_TIMED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("routinec.commands.project", ("build", "read_lock", "write_lock", "_fast_path", "diff_routines",
                                   "lifecycle_from_lock", "_try_read", "_summary_of_lock", "_sources_unchanged")),
    ("routinec.commands.gates", ("edge_diagnostics", "breaking_changes")),
    ("routinec.compiler.build", ("discover", "sort_unique")),
    ("routinec.compiler.passes.parse_specs", ("parse_specs", "parse_file")),
    ("routinec.compiler.passes.resolve_names", ("resolve_names",)),
    ("routinec.compiler.passes.check_specs", ("check_specs", "check_type", "check_consumer", "check_routine")),
    ("routinec.compiler.passes.lower_routines", ("lower_routines", "consumer_schema", "routine_schema", "gather",
                                                 "type_names", "lower_routine")),
    ("routinec.compiler.cache", ("BuildCache.load", "BuildCache.store", "BuildCache.load_summary")),
    ("routinec.compiler.files", ("ProjectFiles.digest", "ProjectFiles.read_text", "ProjectFiles.remember")),
    ("routinec.lockfile", ("Lock.seal", "dumps_lock", "seal")),
)


def _timed(call: Any) -> tuple[float, list[tuple[str, int, float]]]:
    """Run `call` with the functions in _TIMED wrapped in counters (no profiler overhead)."""
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    undo: list[tuple[Any, str, Any]] = []

    def wrap(label: str, fn: Any) -> Any:
        slot = totals.setdefault(label, [0, 0.0, 0])  # calls, seconds, depth

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            slot[0] += 1
            if slot[2]:  # recursive call: the outer one already counts the time
                return fn(*args, **kwargs)
            slot[2] = 1
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                slot[1] += time.perf_counter() - t
                slot[2] = 0

        return timed

    for module_name, names in _TIMED:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for dotted in names:
            owner: Any = module
            *path, attr = dotted.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            if owner is None or not callable(getattr(owner, attr, None)):
                continue
            original = owner.__dict__[attr] if attr in getattr(owner, "__dict__", {}) else getattr(owner, attr)
            if isinstance(original, (staticmethod, classmethod)):
                continue
            setattr(owner, attr, wrap(f"{module_name.rsplit('.', 1)[-1]}.{dotted}", original))
            undo.append((owner, attr, original))
    try:
        start = time.perf_counter()
        call()
        wall = time.perf_counter() - start
    finally:
        for owner, attr, original in reversed(undo):
            setattr(owner, attr, original)
    rows = sorted(((k, int(v[0]), float(v[1])) for k, v in totals.items() if v[0]), key=lambda r: -r[2])
    return wall, rows


def profile(n: int, target: str, top: int, use_cprofile: bool = True) -> None:
    """cProfile one in-process compile of an n-routine project; print the top functions."""
    from routinec.commands import project as commands
    from routinec.compiler.build import build
    from routinec.config import load_config

    os.environ.setdefault("ROUTINEC_NO_CACHE", "1")  # profile the compile, not the cache
    with tempfile.TemporaryDirectory(prefix=f"routinec-prof-{n}-") as tmp:
        root = Path(tmp)
        generate(root, n)
        config = load_config(root)
        if target != "build":
            commands.lock(config)  # verify targets need a lock; lock target starts cold below
            if target == "lock":
                config.lock_path.unlink()
        calls = {
            "build": lambda: build(config),
            "lock": lambda: commands.lock(config),
            "verify": lambda: commands.verify(config),
            "verify-full": lambda: commands.verify(config, full=True),
        }
        if target == "lock":
            config.lock_path.unlink(missing_ok=True)
        wall, rows = _timed(calls[target])
        print(f"pass breakdown: {target}() on {n:,} routines, {wall:.3f} s in-process without a profiler "
              "(imports excluded; nested rows overlap)")
        for label, count, secs in rows:
            print(f"  {label:<40} {count:>7} calls {secs:8.3f} s {100 * secs / wall:6.1f}%")
        print()
        if not use_cprofile:
            return
        if target == "lock":
            config.lock_path.unlink(missing_ok=True)
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        result = calls[target]()
        prof.disable()
        wall = time.perf_counter() - start
        errors = [d for d in getattr(result, "diagnostics", []) if d.severity.name == "ERROR"]
        print(f"profile: {target}() on {n:,} routines, {wall:.3f} s in-process under cProfile "
              f"(imports excluded), {len(errors)} error(s)")
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(top)
        print(buf.getvalue())
        total = stats.total_tt  # type: ignore[attr-defined]
        buf = io.StringIO()
        stats.stream = buf  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(top)
        print(f"top {top} by own time (total {total:.3f} s):")
        print(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated project sizes (default 100,1000,10000)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per figure (default: 5 for N<=100, 3 for N<=1000, 1 above)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into DIR/nN and keep it")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any budget is OVER")
    parser.add_argument("--profile", type=int, metavar="N", default=None,
                        help="instead of benchmarking, cProfile one compile of N routines in-process")
    parser.add_argument("--profile-target", choices=["build", "lock", "verify", "verify-full"], default="build",
                        help="what --profile runs (default build(); lock = cold lock incl. writing)")
    parser.add_argument("--breakdown-only", action="store_true",
                        help="--profile prints only the low-overhead pass breakdown (no cProfile)")
    parser.add_argument("--top", type=int, default=25, help="functions --profile prints (default 25)")
    args = parser.parse_args(argv)

    if args.profile is not None:
        profile(args.profile, args.profile_target, args.top, not args.breakdown_only)
        return 0

    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes comma-separated integers, e.g. 100,1000")
    figs: list[Figure] = []
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPU(s); sizes {sizes}", file=sys.stderr)
    for n in sizes:
        figs.extend(bench_size(n, args.repeat, args.keep))
    figs.extend(bench_startup(args.repeat))

    print()
    print(table(figs))
    print()
    results = budgets(figs)
    width = max(len(r[0]) for r in results)
    print(f"{'budget':<{width}}  {'figure':<28} status")
    for name, figure, status in results:
        print(f"{name:<{width}}  {figure:<28} {status}")
    failed = [f for f in figs if any(c not in (0, -1) for c in f.codes)]
    for f in failed:
        print(f"note: {f.label} N={f.n} exited non-zero ({f.note})")
    over = [r for r in results if r[2] == "OVER" and "(info)" not in r[0]]
    if args.strict and (over or failed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
