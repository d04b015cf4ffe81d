"""Benchmark (not a test): the run ledger on SQLite (nox -s bench).

- append one run record (its own transaction, WAL, synchronous=NORMAL): median of 500;
  budget ≤ 2 ms;
- batch insert (`Ledger.append_many`, 1,000 per transaction): records per second over
  100,000; budget ≥ 20,000/s;
- a live run through the real SDK against the loopback Messages API, with the ledger on vs
  off: median of 30 each; budget ≤ 5% more wall time;
- `import routinec.runtime` / `routinec.runtime.core` in fresh interpreters: median, and
  that SQLAlchemy is not among the modules loaded.

Run: `python benchmarks/bench_ledger.py`. Budgets are printed beside the figures.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.ledger_records import make_run  # noqa: E402

from routinec.ledger.api import Ledger  # noqa: E402

APPENDS = 500
BATCH, TOTAL = 1000, 100_000
LIVE_RUNS = 30


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    return root


def bench_append(tmp: Path) -> None:
    with Ledger.open(_project(tmp / "append")) as ledger:
        records = [make_run() for _ in range(APPENDS + 20)]
        for record in records[:20]:
            ledger.append(record)
        times = []
        for record in records[20:]:
            start = time.perf_counter()
            ledger.append(record)
            times.append(time.perf_counter() - start)
    median = statistics.median(times) * 1000
    p95 = sorted(times)[int(len(times) * 0.95)] * 1000
    print(f"append one run record        {median:7.3f} ms median, {p95:.3f} ms p95  budget ≤ 2 ms "
          f"{'ok' if median <= 2 else 'OVER'}")


def bench_batch(tmp: Path) -> None:
    with Ledger.open(_project(tmp / "batch")) as ledger:
        batches = [[make_run() for _ in range(BATCH)] for _ in range(TOTAL // BATCH)]
        start = time.perf_counter()
        for batch in batches:
            ledger.append_many(batch)
        seconds = time.perf_counter() - start
        assert len(ledger.runs(limit=None)) == TOTAL
    rate = TOTAL / seconds
    print(f"batch insert ({BATCH}/txn)        {rate:9,.0f} records/s ({TOTAL:,} in {seconds:.2f} s)  "
          f"budget ≥ 20,000/s {'ok' if rate >= 20_000 else 'UNDER'}")


def bench_live(tmp: Path) -> None:
    from tests.runtime.conftest import write_project
    from tests.support.fake_api import TEST_KEY, FakeAnthropic

    from routinec.runtime import Runtime

    project = write_project(tmp / "live")
    with FakeAnthropic() as api:
        os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"] = api.base_url, TEST_KEY
        figures = {}
        for label, ledger in (("off", False), ("on", None), ("off", False), ("on", None)):
            runtime = Runtime(project, "live", ledger=ledger)
            runtime.run("summarize_pr", {"title": "warm", "diff": "x"})
            times = []
            for i in range(LIVE_RUNS):
                start = time.perf_counter()
                runtime.run("summarize_pr", {"title": f"t{i}", "diff": "-a\n+b"})
                times.append(time.perf_counter() - start)
            figures[label] = statistics.median(times)  # the second round of each (warm)
    extra = (figures["on"] / figures["off"] - 1) * 100
    print(f"live run, ledger off / on    {figures['off'] * 1000:7.2f} / {figures['on'] * 1000:.2f} ms median  "
          f"{extra:+.1f}%  budget ≤ +5% {'ok' if extra <= 5 else 'OVER'}")


def bench_imports() -> None:
    for statement in ("import routinec.runtime", "import routinec.runtime.core"):
        code = ("import sys, time\nt = time.perf_counter()\n" f"{statement}\n"
                "print(time.perf_counter() - t)\nprint(any(m.startswith('sqlalchemy') for m in sys.modules))\n")
        runs = []
        for _ in range(7):
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            runs.append((float(out[0]), out[1] == "True"))
        median = statistics.median(r[0] for r in runs) * 1000
        leaked = any(r[1] for r in runs)
        print(f"{statement:<28} {median:7.1f} ms  sqlalchemy loaded: {'YES!' if leaked else 'no'}")


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bench_append(tmp)
        bench_batch(tmp)
        bench_live(tmp)
    bench_imports()


if __name__ == "__main__":
    main()
