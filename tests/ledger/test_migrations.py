"""Schema migrations (Alembic, run by the store, no alembic.ini): the revisions are the schema
versions, a new ledger and an upgraded one both end up exactly as `store.metadata` says, a
SQLite ledger written before Alembic (schema version 1, tests/ledger/data/ledger_v1.sql,
dumped from a ledger routinec 0.1 made) upgrades with its rows intact, and a version 1
database on the server upgrades the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from routinec.ledger import Ledger
from routinec.ledger import store as store_module
from routinec.ledger.store import HEAD, REVISIONS, SCHEMA_VERSION, Store, metadata
from tests.helpers import json_lines
from tests.ledger.backends import Backend
from tests.runtime.conftest import run_cli
from tests.support.ledger_records import make_run

DATA = Path(__file__).parent / "data"
MIGRATIONS = Path(store_module.__file__).with_name("migrations")


def _alembic(conn: sa.Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _differences(store: Store) -> list[object]:
    with store.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def _index_names(store: Store, table: str) -> set[str]:
    return store.read(lambda c: {str(i["name"]) for i in sa.inspect(c).get_indexes(table)})


def test_the_revisions_are_the_schema_versions() -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    chain = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert chain == list(REVISIONS) == [f"{n:04d}" for n in range(1, SCHEMA_VERSION + 1)]
    assert script.get_heads() == [HEAD]


def test_a_new_ledger_is_exactly_the_tables(tmp_path: Path, backend: Backend) -> None:
    store = Store(backend.target(tmp_path))
    try:
        assert _differences(store) == []
        # The indexes the report's queries use.
        assert {"ix_runs_routine_version_started", "ix_runs_started"} <= _index_names(store, "runs")
        assert {"ix_outcomes_run", "ix_outcomes_recorded"} <= _index_names(store, "outcomes")
    finally:
        store.close()


def test_a_version_1_sqlite_ledger_upgrades_with_its_rows(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / ".routinec").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    db = project / ".routinec" / "ledger.db"
    con = sqlite3.connect(db)
    con.executescript((DATA / "ledger_v1.sql").read_text())
    before = (con.execute("select * from runs order by run_id").fetchall(),
              con.execute("select * from outcomes order by outcome_id").fetchall())
    tables = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
    con.close()
    assert tables == {"runs", "outcomes", "schema_version"}  # made before Alembic: no alembic_version

    listed = run_cli(project, "ledger", "ls", "--format", "json")  # opening it upgrades it
    assert listed.returncode == 0, listed.stderr
    assert sorted(r["case"] for r in json_lines(listed.stdout, "run")) == ["c0", "c1", "c2"]
    con = sqlite3.connect(db)
    after = (con.execute("select * from runs order by run_id").fetchall(),
             con.execute("select * from outcomes order by outcome_id").fetchall())
    versions = con.execute("select version, applied_at from schema_version order by version").fetchall()
    revision = con.execute("select version_num from alembic_version").fetchall()
    con.close()
    # Version 4 added two nullable columns at the end of runs (the rollout channel and reason).
    assert ([r[:-2] for r in after[0]], after[1]) == before and {r[-2:] for r in after[0]} == {(None, None)}
    assert versions[0] == (1, "2026-11-01T00:00:00.000Z") and [v for v, _ in versions] == list(range(1, SCHEMA_VERSION + 1))
    assert revision == [(HEAD,)]
    store = Store(db)
    try:
        assert _differences(store) == []
        store.append_runs([make_run()])  # and it takes new records
        assert len(store.runs()) == 4
    finally:
        store.close()


def test_a_version_1_database_upgrades(tmp_path: Path, backend: Backend) -> None:
    target = backend.target(tmp_path)
    url = target if isinstance(target, str) else f"sqlite:///{target}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    record = make_run(case="from-v1")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "0001")
        # The columns of schema version 1 (later versions added channel and route_reason).
        row = {k: v for k, v in record.to_row().items() if k not in ("channel", "route_reason")}
        conn.execute(store_module.runs.insert(), [row])
    engine.dispose()
    with _ledger(tmp_path, backend) as ledger:
        assert ledger.store.schema_version() == SCHEMA_VERSION
        assert [r.case for r in ledger.runs()] == ["from-v1"]
        assert _differences(ledger.store) == []


def _ledger(directory: Path, backend: Backend) -> Ledger:
    (directory / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    if backend.url is not None:
        backend.configure(directory)
    else:
        (directory / "pyproject.toml").write_text('[tool.routinec.ledger]\npath = "ledger.db"\n')
    return Ledger.open(directory)
