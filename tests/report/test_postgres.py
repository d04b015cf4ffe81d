"""The report's queries on a real PostgreSQL server give the same figures as on SQLite: the
scripted ledger's rows copied into a fresh database (scripts/test_postgres.sh starts the
server; CI exports ROUTINEC_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from routinec.commands.report import window_start
from routinec.health.queries import ledger_figures, routine_known
from routinec.ledger.store import outcomes, runs
from tests.report.scripted import SINCE, Scripted

URL = os.environ.get("ROUTINEC_TEST_POSTGRES_URL")


@pytest.fixture
def postgres() -> Iterator[sa.engine.Engine]:
    if not URL:
        if os.environ.get("CI"):
            pytest.fail("ROUTINEC_TEST_POSTGRES_URL is not set: CI starts a server (scripts/test_postgres.sh)")
        pytest.skip("no PostgreSQL server (eval \"$(scripts/test_postgres.sh start)\")")
    url = sa.make_url(URL).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"report_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}"')
        admin.dispose()


def test_same_figures_on_postgresql(scripted: Scripted, postgres: sa.engine.Engine) -> None:
    sqlite = sa.create_engine(f"sqlite:///{scripted.root / '.routinec' / 'ledger.db'}")
    try:
        with sqlite.connect() as conn:
            run_rows = [dict(r) for r in conn.execute(sa.select(runs)).mappings()]
            outcome_rows = [dict(r) for r in conn.execute(sa.select(outcomes).order_by(outcomes.c.recorded_at)).mappings()]
            bound = window_start(SINCE)
            expected = ledger_figures(conn, bound, None)
            expected_one = ledger_figures(conn, bound, "summarize_pr")
    finally:
        sqlite.dispose()
    with postgres.begin() as conn:
        runs.metadata.create_all(conn, tables=[runs, outcomes])
        conn.execute(runs.insert(), run_rows)
        for row in outcome_rows:  # in order: an override names an earlier outcome
            conn.execute(outcomes.insert(), [row])
    with postgres.connect() as conn:
        got = ledger_figures(conn, bound, None)
        got_one = ledger_figures(conn, bound, "summarize_pr")
        assert routine_known(conn, "chat") and not routine_known(conn, "nope")
    assert got.versions == expected.versions
    assert got.timeline == expected.timeline
    assert got.models == expected.models
    assert got.total_outcomes == expected.total_outcomes == 7
    assert got_one.versions == expected_one.versions and len(got_one.versions) == 2
