"""A ledger that goes away never costs the answer, and nothing is delivered twice.

- A real PostgreSQL server (its own, from scripts/test_postgres.sh) is stopped while a live
  run is waiting for the model (the loopback Messages API stops it before it answers): the
  run returns its result, the record goes to the spool; the server is started again on the
  same data, `routinec ledger sync` delivers the record, and it is in the ledger once.
- `routinec ledger sync` is SIGKILLed while it delivers: every record is then in the ledger 0
  or 1 times, none is lost, and the next sync makes each exactly 1 (both backends; on the
  server also at a point fixed by a row lock, with one batch committed and the next one open).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from routinec.ledger import Ledger
from routinec.ledger.spool import Spool
from routinec.runtime import Runtime
from tests.ledger.backends import Backend, Server, create_database, set_ledger_setting, unavailable
from tests.runtime.conftest import cli_env, run_cli, write_project
from tests.support.fake_api import TEST_KEY, FakeAnthropic, Reply, default_reply
from tests.support.ledger_records import make_run

SPOOLED = 1200  # three delivery batches of 500


@pytest.fixture
def own_server() -> Iterator[Server]:
    """A server of this test's own, to stop and start (the shared one stays up)."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        unavailable("Debian's postgresql is not installed")
    server = Server.start()
    try:
        yield server
    finally:
        server.remove()


def _count(url: str, run_id: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("select count(*) from runs where run_id = :id"), {"id": run_id}).scalar() or 0)
    finally:
        engine.dispose()


def test_a_server_stopped_mid_run_costs_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_server: Server
) -> None:
    url = create_database(own_server.url)
    project = write_project(tmp_path / "proj")
    set_ledger_setting(project, f'url = "{url}"')
    stopped = threading.Event()

    def respond(request: dict[str, Any]) -> Reply:
        if not stopped.is_set():  # the model is "thinking": the ledger's server goes down now
            own_server.stop()
            stopped.set()
        return default_reply(request)

    with FakeAnthropic(respond) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
        runtime = Runtime(project, "live")  # the ledger is opened (and created) while the server is up
        result = runtime.run("summarize_pr", {"title": "Fix", "diff": "-a\n+b"})
        assert stopped.is_set() and result.output["summary"] and result.run_id is not None
        assert runtime.ledger_failures == []
        assert [run_id for run_id, _ in runtime.ledger_spooled] == [result.run_id]
        assert "cannot reach the ledger" in runtime.ledger_spooled[0][1]
        spooled = project / ".routinec" / "spool" / f"{result.run_id}.run.json"
        assert json.loads(spooled.read_text())["run_id"] == result.run_id

        down = run_cli(project, "ledger", "sync")
        assert down.returncode == 2 and "[ledger-unavailable]" in (down.stdout + down.stderr) and (down.stdout + down.stderr).count("\n") == 2

        own_server.start_again()
        synced = run_cli(project, "ledger", "sync")
        assert synced.returncode == 0 and "1 run record(s) delivered, 0 already there, 0 left" in synced.stdout, (synced.stdout + synced.stderr)
        assert not spooled.exists() and _count(url, result.run_id) == 1
        again = run_cli(project, "ledger", "sync")
        assert "0 run record(s) delivered, 0 already there, 0 left" in again.stdout
        assert _count(url, result.run_id) == 1

        # The same long-lived Runtime writes straight to the server again (a fresh connection).
        later = runtime.run("summarize_pr", {"title": "Later", "diff": "-c\n+d"})
        assert later.run_id is not None and len(runtime.ledger_spooled) == 1
        assert _count(url, later.run_id) == 1
        assert runtime.audit is not None
        runtime.audit.close()


def _spool_records(project: Path) -> list[str]:
    spool = Spool(project / ".routinec" / "spool")
    records = [make_run(case=f"s{i}") for i in range(SPOOLED)]
    for record in records:
        spool.put(record)
    return [r.run_id for r in records]


def _counts(backend: Backend, project: Path) -> dict[str, int]:
    return dict(backend.query(project, "select run_id, count(*) from runs group by run_id"))


def _left(project: Path) -> set[str]:
    return {p.name.removesuffix(".run.json") for p in (project / ".routinec" / "spool").glob("*.run.json")}


def _wait_for(condition: Any, what: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120  # a bound on a hang, not a timing assumption
    while not condition():
        assert proc.poll() is None, f"sync ended before {what}: {(proc.stdout + proc.stderr).read() if (proc.stdout + proc.stderr) else ''}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.005)


def _sync(project: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "routinec", "ledger", "sync"], cwd=project, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish_and_check(backend: Backend, project: Path, ids: list[str]) -> None:
    done = run_cli(project, "ledger", "sync", timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)
    assert _counts(backend, project) == dict.fromkeys(ids, 1)
    assert _left(project) == set()


def test_sigkill_during_sync_delivers_each_record_exactly_once(tmp_path: Path, backend: Backend) -> None:
    project = backend.configure(write_project(tmp_path / "proj"))
    Ledger.open(project).close()
    ids = _spool_records(project)
    proc = _sync(project)
    # The first batch is committed once its files start to go: kill it there, mid-delivery.
    _wait_for(lambda: len(_left(project)) < SPOOLED, "the first delivered batch", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    counts, left = _counts(backend, project), _left(project)
    assert set(counts.values()) <= {1} and set(counts) <= set(ids)  # 0 or 1 times each
    assert set(ids) - left <= set(counts)  # a file is gone only after its record was committed
    if not backend.postgres:
        assert backend.query(project, "pragma integrity_check") == [("ok",)]
    _finish_and_check(backend, project, ids)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_sigkill_inside_a_delivery_transaction(tmp_path: Path, backend: Backend) -> None:
    project = backend.configure(write_project(tmp_path / "proj"))
    Ledger.open(project).close()
    ids = _spool_records(project)
    assert backend.url is not None
    engine = sa.create_engine(backend.url.replace("postgresql://", "postgresql+psycopg://", 1))
    blocker = engine.connect()
    try:
        # An open transaction holding run id #700 (second batch): that batch's insert waits on it.
        held = make_run(run_id=ids[700]).to_row()
        blocker.execute(sa.text("insert into runs (" + ", ".join(f'"{k}"' for k in held) + ") values (" +
                                ", ".join(f":{k}" for k in held) + ")"), held)
        proc = _sync(project)

        def waiting() -> bool:
            with engine.connect() as conn:
                return bool(conn.execute(sa.text(
                    "select count(*) from pg_stat_activity where application_name = 'routinec' "
                    "and datname = current_database() and wait_event_type = 'Lock'")).scalar())

        _wait_for(waiting, "the second batch waiting on the row lock", proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        blocker.rollback()
    finally:
        blocker.close()
        engine.dispose()
    # Batch one committed and its files removed; batch two rolled back with its files kept.
    assert _counts(backend, project) == dict.fromkeys(ids[:500], 1)
    assert _left(project) == set(ids[500:])
    _finish_and_check(backend, project, ids)
