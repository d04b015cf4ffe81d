"""Benchmark (not a test): `routinec report` on a large SQLite ledger (nox -s bench).

1,000,000 run records (20 routines × 3 versions over 60 days, mixed statuses, latencies and
tokens) and 200,000 outcomes (a quarter of them corrections with a field diff, 10,000
overriding an earlier outcome), inserted with `conn.execute(runs.insert(), batch)` in
batches of 20,000 into a ledger the store created. Then, in a fresh process each time:
`routinec report -o report.html` and `--format json`, wall and CPU time, median of 3;
budget ≤ 5 s, on the ledger schema as shipped (version 3: with the report's covering
indexes). The in-process time of the ledger queries alone is printed beside it.

Run: `python benchmarks/bench_report.py [--runs N] [--outcomes N]`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 20_000
TODAY = "2026-06-01"
STATUSES = ["ok"] * 90 + ["error"] * 4 + ["invalid-output"] * 4 + ["max-tokens", "refused"]
VERDICTS = ["accepted"] * 6 + ["modified"] * 2 + ["rejected", "rolled-back"]


def _run_row(i: int, rng: random.Random, template: dict[str, Any]) -> dict[str, Any]:
    routine = i % 20
    version = 1 + (i // 7) % 3
    day = 1 + (i * 7919) % 60
    stamp = f"2026-{4 + (day - 1) // 30:02d}-{1 + (day - 1) % 30:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00.000Z"
    status = STATUSES[rng.randrange(100)]
    row = dict(template)
    row.update(
        run_id=f"{i:08x}-0000-7000-8000-{i:012x}", started_at=stamp, ended_at=stamp,
        latency_ms=rng.lognormvariate(6.5, 0.6), routine=f"routine_{routine:02d}", version=version,
        status=status, output_valid=status == "ok", input_tokens=rng.randrange(200, 4000),
        output_tokens=rng.randrange(20, 800),
    )
    return row


def populate(project: Path, total_runs: int, total_outcomes: int) -> float:
    import sqlalchemy as sa
    from tests.support.ledger_records import make_run

    from routinec.ledger.api import Ledger
    from routinec.ledger.store import outcomes, runs

    template = make_run().to_row()
    rng = random.Random(7)
    start = time.perf_counter()
    with Ledger.open(project) as ledger:
        engine: sa.engine.Engine = ledger.store.engine
        for first in range(0, total_runs, BATCH):
            batch = [_run_row(i, rng, template) for i in range(first, min(first + BATCH, total_runs))]
            with engine.begin() as conn:
                conn.execute(runs.insert(), batch)
        overriding = total_outcomes // 20
        rows = []
        for n in range(total_outcomes):
            verdict = VERDICTS[rng.randrange(10)]
            run = rng.randrange(total_runs)
            diff = None
            if verdict == "modified":
                field = rng.choice(["/risk", "/summary", "/files/0/path", "/labels/2"])
                diff = f'[{{"from":"a","op":"changed","path":"{field}","to":"b"}}]'
            rows.append(dict(
                outcome_id=f"{n:08x}-0000-7000-9000-{n:012x}", run_id=f"{run:08x}-0000-7000-8000-{run:012x}",
                recorded_at="2026-05-30T00:00:00.000Z", verdict=verdict, source="human", by="bench",
                comment=None, correction_json=None, correction_digest=None, diff_json=diff, overrides=None,
            ))
        # the last `overriding` outcomes supersede one earlier outcome each, of the same run
        for k, n in enumerate(range(total_outcomes - overriding, total_outcomes)):
            rows[n]["run_id"] = rows[k]["run_id"]
            rows[n]["overrides"] = rows[k]["outcome_id"]
        for first in range(0, total_outcomes, BATCH):
            with engine.begin() as conn:
                conn.execute(outcomes.insert(), rows[first:first + BATCH])
    return time.perf_counter() - start


def _cli(project: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the child) of one `routinec report` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTINEC_")} | {"ROUTINEC_TODAY": TODAY}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "routinec", "report", "--since", "90d", *args], cwd=project, env=env,
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _measure(project: Path, label: str, args: tuple[str, ...], repeat: int) -> None:
    runs = [_cli(project, *args) for _ in range(repeat)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    print(f"{label:<44}{wall:6.2f} s wall, {cpu:.2f} s CPU, median of {repeat} "
          f"(walls: {', '.join(f'{r[0]:.2f}' for r in runs)})  budget ≤ 5 s {'ok' if wall <= 5 else 'OVER'}")


def _in_process(project: Path, label: str) -> None:
    from routinec.commands.report import window_start
    from routinec.health.queries import ledger_figures
    from routinec.ledger.api import Ledger

    with Ledger.open(project) as ledger:
        bound = window_start("90d")
        times = []
        for _ in range(3):
            start = time.perf_counter()
            figures = ledger.store.read(lambda conn: ledger_figures(conn, bound, None))
            times.append(time.perf_counter() - start)
    counted = sum(v.runs for v in figures.versions.values())
    print(f"{label:<44}{statistics.median(times):6.2f} s median of 3 "
          f"({counted:,} runs, {len(figures.versions)} versions, {figures.total_outcomes:,} outcomes that count)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--outcomes", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="routinec-bench-report-") as name:
        project = Path(name) / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
        seconds = populate(project, options.runs, options.outcomes)
        rows = options.runs + options.outcomes
        print(f"generate the ledger                         {options.runs:,} runs + {options.outcomes:,} outcomes "
              f"in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        os.environ["ROUTINEC_TODAY"] = TODAY

        size = sum(p.stat().st_size for p in (project / ".routinec").iterdir()) / 1e6
        print(f"ledger size                                 {size:,.0f} MB")
        _in_process(project, "ledger queries, report indexes")
        _measure(project, "routinec report -o report.html", ("-o", "report.html"), options.repeat)
        _measure(project, "routinec report --format json", ("--format", "json", "-o", "report.json"), options.repeat)
        print(f"report.html                                 {(project / 'report.html').stat().st_size / 1e3:,.0f} KB")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
