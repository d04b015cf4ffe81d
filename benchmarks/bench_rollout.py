"""Benchmark: version resolution per run (`Runtime.resolve`), budget 20 µs per call.

Run: `python benchmarks/bench_rollout.py [--calls N]`. Prints figures; exits 1 when the
median of the split path is over budget. A real project (summarize_pr locked, moved to v2
and put on a 20% canary by `routinec rollout canary`, bucketed by input.title) in a temp
folder; the calls resolve in-process, no model call: resolution is what every run pays
before rendering. Measured: SPLIT by an input field, SPLIT by the caller's key, SPLIT by a
request id (a uuid4 per call), PIN by channel, and DEFAULT (a routine without channels).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.runtime.conftest (the small project)

BUDGET_US = 20.0


def _project(root: Path) -> Path:
    from tests.rollout.conftest import bump
    from tests.runtime.conftest import run_cli, write_project

    project = write_project(root / "proj")
    bump(project)
    done = run_cli(project, "rollout", "canary", "summarize_pr", "--weight", "20", "--key", "input.title")
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return project


def _per_call(fn: Callable[[int], object], calls: int, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(calls):
            fn(i)
        out.append((time.perf_counter() - start) / calls * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from routinec.runtime.core import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(_project(Path(tmp)), mode="replay", ledger=False)
        inputs = [{"title": f"PR #{i}", "diff": "x"} for i in range(1000)]
        keys = [f"user-{i}" for i in range(1000)]
        cases: dict[str, Callable[[int], object]] = {
            "SPLIT by input.title": lambda i: rt.resolve("summarize_pr", inputs[i % 1000]),
            "SPLIT by key=": lambda i: rt.resolve("summarize_pr", {}, key=keys[i % 1000]),
            "SPLIT by request id": lambda i: rt.resolve("summarize_pr", {}),
            "PIN channel=canary": lambda i: rt.resolve("summarize_pr", {}, channel="canary"),
            "DEFAULT (no channels)": lambda i: rt.resolve("chat", {}),
        }
        canary = sum(rt.resolve("summarize_pr", inputs[i]).channel == "canary" for i in range(1000))
        print(f"resolution per call, {args.calls:,} calls x {args.repeats} (budget {BUDGET_US:.0f} µs); "
              f"{canary / 10:.1f}% of 1,000 titles on the 20% canary")
        worst = 0.0
        for label, fn in cases.items():
            figures = _per_call(fn, args.calls, args.repeats)
            median = statistics.median(figures)
            worst = max(worst, median)
            print(f"  {label:<24} median {median:6.2f} µs  min {min(figures):6.2f} µs")
        verdict = "within" if worst <= BUDGET_US else "OVER"
        print(f"slowest median {worst:.2f} µs: {verdict} the {BUDGET_US:.0f} µs budget")
        if worst > BUDGET_US:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
