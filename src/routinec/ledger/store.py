"""Ledger layer: the tables and the SQLite store (SQLAlchemy Core 2). The only module that
imports SQLAlchemy; nothing on the compile, verify or replay paths imports it.

In: a database path. Out: a `Store` that appends run records and outcomes in transactions and
answers the listing queries. The schema is versioned: `MIGRATIONS` is an ordered tuple of
functions, `schema_version` holds one row per applied step, and a store opened by an older
routinec refuses a newer schema instead of guessing (`ledger-format`). A file that is not a
SQLite database, or a database without routinec's `schema_version` table, is `ledger-corrupt`
and is never written to. (PostgreSQL, with Alembic taking over the migrations, comes later:
docs/ledger.md.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError

from routinec import __version__
from routinec.codes import Code
from routinec.ledger.errors import LedgerError
from routinec.ledger.model import Outcome, RunRecord, utc_now

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Store", "metadata", "outcomes", "runs"]

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Text, nullable=False),
    sa.Column("routinec_version", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("started_at", sa.Text, nullable=False),
    sa.Column("ended_at", sa.Text, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("routine", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("case", sa.Text),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("entry_hash", sa.Text, nullable=False),
    sa.Column("lock_digest", sa.Text),
    sa.Column("git_commit", sa.Text),
    sa.Column("model_alias", sa.Text, nullable=False),
    sa.Column("model_snapshot", sa.Text, nullable=False),
    sa.Column("served_model", sa.Text),
    sa.Column("params_digest", sa.Text, nullable=False),
    sa.Column("request_hash", sa.Text),
    sa.Column("input_digest", sa.Text),
    sa.Column("output_digest", sa.Text),
    sa.Column("output_schema_hash", sa.Text, nullable=False),
    sa.Column("output_valid", sa.Boolean, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("error_code", sa.Text),
    sa.Column("error_class", sa.Text),
    sa.Column("error_message", sa.Text),
    sa.Column("stop_reason", sa.Text),
    sa.Column("response_id", sa.Text),
    sa.Column("request_id", sa.Text),
    sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("cache_read_tokens", sa.Integer),
    sa.Column("cache_write_tokens", sa.Integer),
    sa.Column("invoker", sa.Text, nullable=False),
    sa.Column("invoker_user", sa.Text),
    sa.Column("invoker_job", sa.Text),
    sa.Column("invoker_run", sa.Text),
    sa.Column("invoker_repository", sa.Text),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("input_json", sa.Text),
    sa.Column("output_json", sa.Text),
    sa.Column("content_truncated", sa.Boolean, nullable=False),
    sa.Column("routinec_version", sa.Text, nullable=False),
    sa.Index("ix_runs_routine_version_started", "routine", "version", "started_at"),
    sa.Index("ix_runs_started", "started_at"),
    sa.Index("ix_runs_status_started", "status", "started_at"),
)

outcomes = sa.Table(
    "outcomes", metadata,
    sa.Column("outcome_id", sa.String(36), primary_key=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("verdict", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("by", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("correction_json", sa.Text),
    sa.Column("correction_digest", sa.Text),
    sa.Column("diff_json", sa.Text),
    sa.Column("overrides", sa.String(36), sa.ForeignKey("outcomes.outcome_id")),
    sa.Index("ix_outcomes_run", "run_id", "recorded_at"),
    sa.Index("ix_outcomes_overrides", "overrides"),
)


def _v1(conn: Connection) -> None:
    # Version 1 is the shape above. When a later step changes a table, freeze v1's
    # definitions here first: a migration must create what its version had, not today's.
    metadata.create_all(conn, tables=[runs, outcomes])


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1,)
SCHEMA_VERSION = len(MIGRATIONS)

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _hint_for(path: Path) -> str:
    return f"move {path.name} aside (or set [tool.routinec.ledger] path) and run again to start a new ledger"


class Store:
    """A SQLite ledger file: WAL (readers never block the writer), a 30 s busy timeout, and
    BEGIN IMMEDIATE for every transaction, so concurrent writers queue instead of failing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._check_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(Code.LEDGER_UNAVAILABLE, f"cannot create {path.parent}: {exc.strerror}",
                              hint="check the directory's permissions", path=path) from None
        self.engine = _engine(path)
        try:
            self._migrate()
        except LedgerError:
            self.engine.dispose()
            raise
        except DatabaseError as exc:
            self.engine.dispose()
            raise self._failure(exc) from None

    def _check_file(self) -> None:
        try:
            with self.path.open("rb") as handle:
                head = handle.read(16)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise LedgerError(Code.LEDGER_UNAVAILABLE, f"cannot read {self.path}: {exc.strerror}",
                              hint="check the file's permissions", path=self.path) from None
        if head and head != _SQLITE_MAGIC:
            raise LedgerError(Code.LEDGER_CORRUPT, f"{self.path.name} is not a SQLite database",
                              hint=_hint_for(self.path), path=self.path)

    def _failure(self, exc: SQLAlchemyError) -> LedgerError:
        text = str(getattr(exc, "orig", exc)).splitlines()[0]
        if isinstance(exc, OperationalError) and "malformed" not in text and "not a database" not in text:
            return LedgerError(Code.LEDGER_UNAVAILABLE, f"cannot write the ledger {self.path.name}: {text}",
                               hint="check disk space and permissions; nothing already recorded was changed",
                               path=self.path)
        return LedgerError(Code.LEDGER_CORRUPT, f"{self.path.name} is not a readable routinec ledger: {text}",
                           hint=_hint_for(self.path), path=self.path)

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            names = set(sa.inspect(conn).get_table_names())
            if names and "schema_version" not in names:
                raise LedgerError(Code.LEDGER_CORRUPT, f"{self.path.name} is a SQLite database but not a routinec ledger",
                                  hint=_hint_for(self.path), path=self.path)
            current = 0
            if "schema_version" in names:
                columns = {c["name"] for c in sa.inspect(conn).get_columns("schema_version")}
                if "routinec_version" not in columns:
                    raise LedgerError(Code.LEDGER_CORRUPT, f"{self.path.name} has a schema_version table that is not routinec's",
                                      hint=_hint_for(self.path), path=self.path)
                current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
            if current > SCHEMA_VERSION:
                newest = conn.execute(
                    sa.select(schema_version.c.routinec_version).order_by(schema_version.c.version.desc()).limit(1)
                ).scalar()
                raise LedgerError(
                    Code.LEDGER_FORMAT,
                    f"{self.path.name} has ledger schema version {current}; this routinec ({__version__}) reads up to {SCHEMA_VERSION}",
                    hint=f"upgrade routinec (the ledger was last migrated by routinec {newest})", path=self.path,
                )
            if current == 0:
                metadata.create_all(conn, tables=[schema_version])
            for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
                step(conn)
                conn.execute(schema_version.insert().values(version=number, applied_at=utc_now(), routinec_version=__version__))
        # Persistent in the file; set once we know the file is ours, outside a transaction.
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]
        finally:
            raw.close()

    def schema_version(self) -> int:
        return int(self.read(lambda c: c.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0))

    # -- writes: appends only -------------------------------------------------------------------

    def append_runs(self, records: Sequence[RunRecord]) -> None:
        if not records:
            return
        self._write(lambda conn: conn.execute(runs.insert(), [r.to_row() for r in records]))

    def append_runs_once(self, records: Sequence[RunRecord]) -> int:
        """Insert the records whose run id is not there yet (spool delivery); how many were new."""
        if not records:
            return 0
        from sqlalchemy.dialects.sqlite import insert

        counted: list[int] = []

        def work(conn: Connection) -> None:
            before = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() or 0
            conn.execute(insert(runs).on_conflict_do_nothing(index_elements=["run_id"]), [r.to_row() for r in records])
            after = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() or 0
            counted.append(after - before)

        self._write(work)
        return counted[0]

    def append_run(self, record: RunRecord) -> None:
        self._write(lambda conn: conn.execute(runs.insert().values(record.to_row())))

    def append_outcome(self, outcome: Outcome) -> None:
        """Insert `outcome`; the outcome it overrides is checked in the same transaction."""

        def work(conn: Connection) -> None:
            if outcome.overrides is not None:
                self._check_override(conn, outcome)
            conn.execute(outcomes.insert().values(outcome.to_row()))

        self._write(work)

    def _check_override(self, conn: Connection, outcome: Outcome) -> None:
        target, run_id = outcome.overrides, outcome.run_id
        row = conn.execute(sa.select(outcomes.c.run_id).where(outcomes.c.outcome_id == target)).first()
        if row is None:
            raise LedgerError(Code.UNKNOWN_RUN, f"no outcome {target!r} to override",
                              hint=f"see the run's outcomes with 'routinec ledger show {run_id}'", path=self.path)
        if row[0] != run_id:
            raise LedgerError(Code.INVALID_OUTCOME, f"outcome {target} belongs to run {row[0]}, not {run_id}",
                              hint="an outcome can only override an outcome of the same run")
        later = conn.execute(sa.select(outcomes.c.outcome_id).where(outcomes.c.overrides == target)).first()
        if later is not None:
            raise LedgerError(Code.INVALID_OUTCOME, f"outcome {target} is already overridden by {later[0]}",
                              hint=f"override {later[0]} instead")

    def _write(self, work: Callable[[Connection], object]) -> None:
        try:
            with self.engine.begin() as conn:
                work(conn)
        except LedgerError:
            raise
        except SQLAlchemyError as exc:
            raise self._failure(exc) from None

    # -- reads --------------------------------------------------------------------------------------

    def read(self, query: Callable[[Connection], Any]) -> Any:
        try:
            with self.engine.connect() as conn:
                conn.info["read_only"] = True  # a plain BEGIN: readers never wait for the write lock
                try:
                    return query(conn)
                finally:
                    conn.info.pop("read_only", None)
        except SQLAlchemyError as exc:
            raise self._failure(exc) from None

    def run(self, run_id: str) -> RunRecord | None:
        row = self.read(lambda c: c.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first())
        return RunRecord.from_row(row) if row is not None else None

    def runs(
        self, *, routine: str | None = None, version: int | None = None, status: str | None = None,
        since: str | None = None, limit: int | None = None,
    ) -> list[RunRecord]:
        query = sa.select(runs)
        if routine is not None:
            query = query.where(runs.c.routine == routine)
        if version is not None:
            query = query.where(runs.c.version == version)
        if status is not None:
            query = query.where(runs.c.status == status)
        if since is not None:
            query = query.where(runs.c.started_at >= since)
        query = query.order_by(runs.c.started_at, runs.c.run_id)
        if limit is not None:
            query = query.limit(limit)
        rows = self.read(lambda c: c.execute(query).mappings().all())
        return [RunRecord.from_row(r) for r in rows]

    def outcomes(self, run_ids: Iterable[str]) -> list[Outcome]:
        ids = list(run_ids)
        query = sa.select(outcomes).where(outcomes.c.run_id.in_(ids)).order_by(outcomes.c.recorded_at, outcomes.c.outcome_id)
        return [Outcome.from_row(r) for r in self.read(lambda c: c.execute(query).mappings().all())]

    def close(self) -> None:
        self.engine.dispose()


def _engine(path: Path) -> Engine:
    engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; we emit it ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout instead
        # of one failing with "database is locked" when its read upgrades to a write.
        conn.exec_driver_sql("BEGIN" if conn.info.get("read_only") else "BEGIN IMMEDIATE")

    return engine
