"""Benchmark (not a test): the run ledger on SQLite, and on PostgreSQL when
ROUTINEC_TEST_POSTGRES_URL names a server (nox -s bench).

- append one run record (its own transaction; SQLite: WAL, synchronous=NORMAL): median of
  500; budget ≤ 2 ms on SQLite (PostgreSQL printed beside it, no budget: it is a network
  round trip and a server-side commit);
- bulk insert (`Store.append_runs` / `Store.append_outcomes`, 10,000 per transaction):
  1,000,000 run records and 200,000 outcomes into one SQLite file, records per second of the
  store's own time (the records are built outside the clock); budget ≥ 20,000/s; 100,000 on
  PostgreSQL, printed;
- a live run through the real SDK against the loopback Messages API, with the ledger on vs
  off, the two alternating run by run (same machine load): median of 90 each; budget ≤ 5%
  more wall time;
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
from routinec.ledger.ids import uuid7  # noqa: E402
from routinec.ledger.model import Outcome, utc_now  # noqa: E402
from routinec.ledger.store import Store  # noqa: E402

APPENDS = 500
BATCH = 10_000
RUNS, OUTCOMES = 1_000_000, 200_000
PG_RUNS = 100_000
LIVE_RUNS = 30
VERDICTS = ("accepted", "accepted", "accepted", "modified", "rejected", "rolled-back")


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    return root


def _postgres_url() -> str | None:
    """A fresh database on ROUTINEC_TEST_POSTGRES_URL's server, or None without one."""
    server = os.environ.get("ROUTINEC_TEST_POSTGRES_URL")
    if not server:
        return None
    from tests.ledger.backends import create_database

    return create_database(server)


def _drop(url: str) -> None:
    from tests.ledger.backends import drop_database

    drop_database(os.environ["ROUTINEC_TEST_POSTGRES_URL"], url)


def bench_append(tmp: Path, url: str | None = None) -> None:
    project = _project(tmp / ("append-pg" if url else "append"))
    if url:
        (project / "pyproject.toml").write_text(f'[tool.routinec.ledger]\nurl = "{url}"\n')
    with Ledger.open(project) as ledger:
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
    if url:
        print(f"append one run record (PG)   {median:7.3f} ms median, {p95:.3f} ms p95  (no budget: a server round trip)")
    else:
        print(f"append one run record        {median:7.3f} ms median, {p95:.3f} ms p95  budget ≤ 2 ms "
              f"{'ok' if median <= 2 else 'OVER'}")


def _outcomes(run_ids: list[str], start: int, count: int) -> list[Outcome]:
    now = utc_now()
    return [Outcome(outcome_id=uuid7(), run_id=run_ids[(start + i) * 5 % len(run_ids)], recorded_at=now,
                    verdict=VERDICTS[i % len(VERDICTS)], source="human", by="bench", comment=None,
                    correction_json=None, correction_digest=None, diff_json=None, overrides=None)
            for i in range(count)]


def bench_bulk(target: Path | str, runs_total: int, outcomes_total: int, label: str, budget: bool) -> None:
    store = Store(target)
    run_ids: list[str] = []
    seconds = 0.0
    try:
        for offset in range(0, runs_total, BATCH):
            batch = [make_run(version=1 + (offset // BATCH) % 4, case=None,
                              status="ok" if i % 10 else "invalid-output") for i in range(BATCH)]
            run_ids.extend(r.run_id for r in batch)
            start = time.perf_counter()
            store.append_runs(batch, batch=BATCH)
            seconds += time.perf_counter() - start
        outcome_seconds = 0.0
        for offset in range(0, outcomes_total, BATCH):
            items = _outcomes(run_ids, offset, min(BATCH, outcomes_total - offset))
            start = time.perf_counter()
            store.append_outcomes(items, batch=BATCH)
            outcome_seconds += time.perf_counter() - start
        counted = store.read(lambda c: (c.exec_driver_sql("select count(*) from runs").scalar(),
                                        c.exec_driver_sql("select count(*) from outcomes").scalar()))
        assert counted == (runs_total, outcomes_total), counted
    finally:
        store.close()
    total = runs_total + outcomes_total
    rate = total / (seconds + outcome_seconds)
    verdict = f"budget ≥ 20,000/s {'ok' if rate >= 20_000 else 'UNDER'}" if budget else "(no budget)"
    size = f", file {Path(target).stat().st_size / 1e6:,.0f} MB" if isinstance(target, Path) else ""
    print(f"bulk insert {label:<16} {rate:9,.0f} records/s: {runs_total:,} runs in {seconds:.1f} s "
          f"({runs_total / seconds:,.0f}/s), {outcomes_total:,} outcomes in {outcome_seconds:.1f} s "
          f"({outcomes_total / outcome_seconds:,.0f}/s){size}  {verdict}")


def bench_live(tmp: Path) -> None:
    """Ledger on and off alternate run by run (two Runtimes, warm), so both see the same
    machine load; the ledger's own share (building and appending the record, checking the
    spool: `Audit.finish`) is timed inside the ledger-on runs too."""
    from tests.runtime.conftest import write_project
    from tests.support.fake_api import TEST_KEY, FakeAnthropic

    from routinec.runtime import Runtime
    from routinec.runtime.audit import Audit

    project = write_project(tmp / "live")
    spent: list[float] = []
    finish = Audit.finish

    def timed_finish(self: Audit, trace: object) -> None:
        start = time.perf_counter()
        finish(self, trace)  # type: ignore[arg-type]
        spent.append(time.perf_counter() - start)

    Audit.finish = timed_finish  # type: ignore[method-assign]
    try:
        with FakeAnthropic() as api:
            os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"] = api.base_url, TEST_KEY
            runtimes = {"off": Runtime(project, "live", ledger=False), "on": Runtime(project, "live", ledger=None)}
            times: dict[str, list[float]] = {"off": [], "on": []}
            for i in range(LIVE_RUNS * 3 + 10):
                for label in (("off", "on") if i % 2 else ("on", "off")):
                    start = time.perf_counter()
                    runtimes[label].run("summarize_pr", {"title": f"t{i}", "diff": "-a\n+b"})
                    if i >= 10:  # warm-up rounds are not counted
                        times[label].append(time.perf_counter() - start)
    finally:
        Audit.finish = finish  # type: ignore[method-assign]
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    extra = (on / off - 1) * 100
    own = statistics.median(spent[10:]) * 1000
    print(f"live run, ledger off / on    {off * 1000:7.2f} / {on * 1000:.2f} ms median of {len(times['on'])} "
          f"(interleaved)  {extra:+.1f}%  budget ≤ +5% {'ok' if extra <= 5 else 'OVER'}; "
          f"the ledger's part {own:.2f} ms median ({own / off / 10:.1f}%)")


def bench_imports() -> None:
    for statement in ("import routinec.runtime", "import routinec.runtime.core"):
        code = ("import sys, time\nt = time.perf_counter()\n" f"{statement}\n"
                "print(time.perf_counter() - t)\n"
                "print(any(m.split('.')[0] in ('sqlalchemy', 'psycopg', 'alembic') for m in sys.modules))\n")
        runs = []
        for _ in range(7):
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            runs.append((float(out[0]), out[1] == "True"))
        median = statistics.median(r[0] for r in runs) * 1000
        leaked = any(r[1] for r in runs)
        print(f"{statement:<28} {median:7.1f} ms  sqlalchemy/psycopg/alembic loaded: {'YES!' if leaked else 'no'}")


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bench_append(tmp)
        url = _postgres_url()
        if url:
            bulk = _postgres_url()
            assert bulk is not None
            try:
                bench_append(tmp, url)
                bench_bulk(bulk, PG_RUNS, PG_RUNS // 5, "(PostgreSQL)", budget=False)
            finally:
                _drop(url)
                _drop(bulk)
        else:
            print("PostgreSQL: ROUTINEC_TEST_POSTGRES_URL unset, skipped (scripts/test_postgres.sh start)")
        bench_bulk(tmp / "bulk" / "ledger.db", RUNS, OUTCOMES, "(SQLite)", budget=True)
        bench_live(tmp)
    bench_imports()


if __name__ == "__main__":
    main()
