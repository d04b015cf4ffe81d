"""Ledger layer: the tables and the store (SQLAlchemy Core 2 over SQLite or PostgreSQL via
psycopg 3). With its migrations (`routinec.ledger.migrations`, Alembic) the only code that
imports SQLAlchemy, psycopg or Alembic; nothing on the compile, verify or replay paths does.

In: a SQLite file path or a database URL. Out: a `Store` that appends run records and outcomes
in transactions and answers the listing queries. The schema is versioned: Alembic revisions
"0001", "0002", … are schema versions 1, 2, …; `schema_version` holds one row per applied
step, and a store opened by an older routinec refuses a newer schema instead of guessing
(`ledger-format`). A file that is not a SQLite database, or a database with tables but not
routinec's `schema_version`, is `ledger-corrupt` and is never written to. A server that
cannot be reached is `ledger-unavailable` (the runtime spools the record). Alembic is
imported only when a migration is due; an up-to-date ledger opens without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    OperationalError,
    SQLAlchemyError,
)

from routinec import __version__
from routinec.codes import Code, extra_hint
from routinec.config import display_url
from routinec.ledger.errors import LedgerError
from routinec.ledger.model import Outcome, RolloutRecord, RunRecord, utc_now

if TYPE_CHECKING:
    from alembic.runtime.migration import MigrationContext, MigrationInfo

__all__ = ["REVISIONS", "SCHEMA_VERSION", "Store", "metadata", "outcomes", "record_step", "rollouts", "runs"]

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
    # version 3: covering indexes for `routinec report` (migrations/versions/0003)
    sa.Index("ix_runs_report_status", "routine", "version", "status", "model_snapshot", "started_at",
             "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"),
    sa.Index("ix_runs_report_latency", "routine", "version", "latency_ms", "started_at"),
    # version 4: which channel a run's version came from and why (migrations/versions/0004)
    sa.Column("channel", sa.Text),
    sa.Column("route_reason", sa.Text),
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
    sa.Index("ix_outcomes_recorded", "recorded_at"),  # version 2
)


# version 4: every change of a routine's channels (`routinec rollout`), append-only.
rollouts = sa.Table(
    "rollouts", metadata,
    sa.Column("rollout_id", sa.String(36), primary_key=True),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("routine", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("by", sa.Text),
    sa.Column("why", sa.Text),
    sa.Column("from_json", sa.Text, nullable=False),
    sa.Column("to_json", sa.Text, nullable=False),
    sa.Column("lock_digest", sa.Text, nullable=False),
    sa.Index("ix_rollouts_routine_recorded", "routine", "recorded_at"),
)


# The Alembic revisions in migrations/versions, oldest first: revision N is schema version N.
SCHEMA_VERSION = 4
REVISIONS = tuple(f"{n:04d}" for n in range(1, SCHEMA_VERSION + 1))
HEAD = REVISIONS[-1]
CONNECT_TIMEOUT = 3  # seconds: a dead server must not hang a run (the record is spooled)
_MIGRATION_LOCK = 0x726F7574  # pg_advisory_xact_lock key: one process migrates a new database

_SQLITE_MAGIC = b"SQLite format 3\x00"
_T = TypeVar("_T")


def record_step(ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]) -> None:
    """Alembic's on_version_apply: each applied revision adds its `schema_version` row, in
    the migration's own transaction."""
    if step.is_upgrade and not step.is_stamp and step.up_revision_id is not None:
        conn = ctx.connection
        assert conn is not None
        conn.execute(schema_version.insert().values(
            version=int(step.up_revision_id), applied_at=utc_now(), routinec_version=__version__))


_RUN_VALUES = attrgetter(*(c.name for c in runs.columns))


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _copier(sql: str, rows: list[tuple[Any, ...]]) -> Callable[[Connection], object]:
    def work(conn: Connection) -> None:
        import psycopg

        raw: Any = conn.connection.driver_connection
        try:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:  # as SQLAlchemy would have wrapped it
            raise DBAPIError.instance(sql, None, exc, psycopg.Error) from None

    return work


def _hint_for(path: Path) -> str:
    return f"move {path.name} aside (or set [tool.routinec.ledger] path) and run again to start a new ledger"


_SERVER_HINT = "point url at an empty database (CREATE DATABASE routinec_ledger) or one routinec created"
# SQLSTATE classes that say "not now" rather than "not a ledger": connection (08), resources
# (53: disk full, too many connections), operator intervention (57: shutdown), rollbacks
# (40: serialization, deadlock), privileges (42501) and read-only transactions (25006).
_TRANSIENT = ("08", "53", "57", "40", "42501", "25006")


class Store:
    """A ledger database. SQLite (a path, or a sqlite:/// URL): WAL (readers never block the
    writer), a 30 s busy timeout, and BEGIN IMMEDIATE for every transaction, so concurrent
    writers queue instead of failing. PostgreSQL (a postgresql:// URL): psycopg 3, a 3 s
    connect timeout, connections checked before use, and an advisory lock around migrations."""

    def __init__(self, where: Path | str) -> None:
        self.url: str | None = None
        self.path: Path | None = None
        if isinstance(where, str) and _parse_url(where).get_backend_name() != "sqlite":
            self.url = where
            self.name = display_url(where)
            self.engine = _postgres_engine(_parse_url(where))
        else:
            path = Path(_parse_url(where).database or "") if isinstance(where, str) else where
            self.path, self.name = path, path.name
            self._check_file(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(Code.LEDGER_UNAVAILABLE, f"cannot create {path.parent}: {exc.strerror}",
                                  hint="check the directory's permissions", path=path) from None
            self.engine = _sqlite_engine(path)
        self.dialect = self.engine.dialect.name
        try:
            self._migrate()
        except LedgerError:
            self.engine.dispose()
            raise
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise self._failure(exc) from None

    @staticmethod
    def _check_file(path: Path) -> None:
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise LedgerError(Code.LEDGER_UNAVAILABLE, f"cannot read {path}: {exc.strerror}",
                              hint="check the file's permissions", path=path) from None
        if head and head != _SQLITE_MAGIC:
            raise LedgerError(Code.LEDGER_CORRUPT, f"{path.name} is not a SQLite database",
                              hint=_hint_for(path), path=path)

    def _corrupt(self, message: str) -> LedgerError:
        if self.path is not None:
            return LedgerError(Code.LEDGER_CORRUPT, message, hint=_hint_for(self.path), path=self.path)
        return LedgerError(Code.LEDGER_CORRUPT, message, hint=_SERVER_HINT)

    def _failure(self, exc: SQLAlchemyError) -> LedgerError:
        text = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        if self.url is not None:
            return self._server_failure(exc, text)
        assert self.path is not None
        if isinstance(exc, OperationalError) and "malformed" not in text and "not a database" not in text:
            return LedgerError(Code.LEDGER_UNAVAILABLE, f"cannot write the ledger {self.path.name}: {text}",
                               hint="check disk space and permissions; nothing already recorded was changed",
                               path=self.path)
        return self._corrupt(f"{self.path.name} is not a readable routinec ledger: {text}")

    def _server_failure(self, exc: SQLAlchemyError, text: str) -> LedgerError:
        assert self.url is not None
        password = _parse_url(self.url).password
        if password:
            text = text.replace(str(password), "***")
        sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")
        connection = sqlstate == "" or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        if connection or isinstance(exc, OperationalError) or sqlstate.startswith(_TRANSIENT):
            return LedgerError(
                Code.LEDGER_UNAVAILABLE, f"cannot reach the ledger at {self.name}: {text}",
                hint=f"check that the server is up and the URL right (connect timeout {CONNECT_TIMEOUT} s); "
                     "run records wait in .routinec/spool/ and 'routinec ledger sync' delivers them",
            )
        return self._corrupt(f"the database at {self.name} is not a usable routinec ledger: {text}")

    # -- schema -------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Two processes opening a new database at once: the second waits, then finds it current.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            current, revision = self._state(conn)
            if current < SCHEMA_VERSION or revision != HEAD:
                self._upgrade(conn, current, revision, HEAD)
        if self.dialect == "sqlite":
            # Persistent in the file; set once we know the file is ours, outside a transaction.
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]
            finally:
                raw.close()

    def _state(self, conn: Connection) -> tuple[int, str | None]:
        """(newest schema_version row, alembic revision); refuses a foreign or newer schema."""
        inspector = sa.inspect(conn)
        names = set(inspector.get_table_names())
        what = f"{self.name} is a SQLite database" if self.path is not None else f"the database at {self.name} has tables but is"
        if names and "schema_version" not in names:
            raise self._corrupt(f"{what} not a routinec ledger")
        if not names:
            return 0, None
        columns = {c["name"] for c in inspector.get_columns("schema_version")}
        if "routinec_version" not in columns:
            raise self._corrupt(f"{self.name} has a schema_version table that is not routinec's")
        current = int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)
        revision = None
        if "alembic_version" in names:
            revision = conn.execute(sa.text("SELECT max(version_num) FROM alembic_version")).scalar()
        if current > SCHEMA_VERSION or (revision is not None and revision not in REVISIONS):
            newest = conn.execute(
                sa.select(schema_version.c.routinec_version).order_by(schema_version.c.version.desc()).limit(1)
            ).scalar()
            raise LedgerError(
                Code.LEDGER_FORMAT,
                f"{self.name} has ledger schema version {current if current > SCHEMA_VERSION else revision}; "
                f"this routinec ({__version__}) reads up to {SCHEMA_VERSION}",
                hint=f"upgrade routinec (the ledger was last migrated by routinec {newest})", path=self.path,
            )
        return current, revision

    @staticmethod
    def _upgrade(conn: Connection, current: int, revision: str | None, target: str) -> None:
        """Run the Alembic revisions after `revision` up to `target` on `conn`, in its transaction.
        A ledger made before Alembic (schema_version rows, no alembic_version) is stamped first."""
        try:
            from alembic import command
            from alembic.config import Config as AlembicConfig
        except ModuleNotFoundError as exc:
            if exc.name != "alembic":
                raise
            raise LedgerError(Code.MISSING_EXTRA, "migrating the run ledger needs Alembic, which is not installed",
                              hint=extra_hint("ledger")) from None
        config = AlembicConfig()
        config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        config.attributes["connection"] = conn
        if revision is None and current > 0:
            command.stamp(config, REVISIONS[current - 1])
        command.upgrade(config, target)

    def schema_version(self) -> int:
        return int(self.read(lambda c: c.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0))

    # -- writes: appends only -------------------------------------------------------------------

    def append_runs(self, records: Iterable[RunRecord], *, batch: int = 10_000) -> int:
        """Bulk append (imports, benchmarks, generated ledgers): `records` may be any iterable,
        a generator of a million included; each `batch` of them is one transaction. Returns
        how many were written. A run id already present fails its batch (`append_runs_once`
        skips those instead)."""
        return self._bulk(runs, records, batch)

    def append_outcomes(self, items: Iterable[Outcome], *, batch: int = 10_000) -> int:
        """Bulk append of outcomes, `batch` per transaction. Only the foreign keys are checked
        (the run, and the outcome overridden, exist); `append_outcome` checks an override fully."""
        return self._bulk(outcomes, items, batch)

    def _bulk(self, table: sa.Table, items: Iterable[Any], batch: int) -> int:
        # Straight to the driver, rows as tuples: SQLite's executemany, PostgreSQL's COPY.
        # (SQLAlchemy's per-row parameter processing costs more than the insert itself.)
        columns = tuple(c.name for c in table.columns)
        values = attrgetter(*columns)
        count = 0
        for chunk in _chunks(items, batch):
            rows = [values(item) for item in chunk]
            if self.dialect == "postgresql":
                self._write(_copier(f"COPY {table.name} ({self._quoted(columns)}) FROM STDIN", rows))
            else:
                sql = self._insert_sql(table)
                self._write(lambda conn, sql=sql, rows=rows: conn.exec_driver_sql(sql, rows))  # type: ignore[misc]
            count += len(rows)
        return count

    def _quoted(self, columns: Iterable[str]) -> str:
        return ", ".join(self.engine.dialect.identifier_preparer.quote(c) for c in columns)

    def _insert_sql(self, table: sa.Table) -> str:
        """A plain positional INSERT of every column, in the driver's parameter style."""
        mark = "?" if self.dialect == "sqlite" else "%s"
        return f"INSERT INTO {table.name} ({self._quoted(c.name for c in table.columns)}) VALUES ({', '.join([mark] * len(table.columns))})"

    def append_runs_once(self, records: Sequence[RunRecord]) -> int:
        """Insert the records whose run id is not there yet (spool delivery), in one
        transaction; how many were new."""
        if not records:
            return 0
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement: Any = pg_insert(runs).on_conflict_do_nothing(index_elements=["run_id"])
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(runs).on_conflict_do_nothing(index_elements=["run_id"])
        statement = statement.returning(runs.c.run_id)  # only the rows actually inserted
        counted: list[int] = []
        rows = [r.to_row() for r in records]
        self._write(lambda conn: counted.append(len(conn.execute(statement, rows).all())))
        return counted[0]

    def append_run(self, record: RunRecord) -> None:
        """One record, one transaction (a compiled-once statement: the runtime calls this per run)."""
        sql, row = self._insert_sql(runs), _RUN_VALUES(record)
        if self.dialect == "sqlite":
            self._write_one_sqlite(sql, row)
        else:
            self._write(lambda conn: conn.exec_driver_sql(sql, row))

    def _write_one_sqlite(self, sql: str, row: Sequence[Any]) -> None:
        """`_write` of one statement, on the pooled driver connection itself (same PRAGMAs, the
        same BEGIN IMMEDIATE): SQLAlchemy's execution layer around BEGIN, INSERT and COMMIT was
        ~0.6 ms of the ~1 ms a live run's record took, against a 5% budget on a ~23 ms run."""
        import sqlite3

        try:
            raw = self.engine.raw_connection()
        except SQLAlchemyError as exc:
            raise self._failure(exc) from None
        broken = False
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    cursor.execute(sql, row)
                    cursor.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        cursor.execute("ROLLBACK")
                    raise
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            broken = True
            raise self._failure(DBAPIError.instance(sql, row, exc, sqlite3.Error)) from None
        finally:
            if broken:
                raw.invalidate()  # a connection that failed mid-transaction is not reused
            raw.close()

    def append_outcome(self, outcome: Outcome) -> None:
        """Insert `outcome`; the outcome it overrides is checked in the same transaction."""

        def work(conn: Connection) -> None:
            if outcome.overrides is not None:
                self._check_override(conn, outcome)
            conn.execute(outcomes.insert().values(outcome.to_row()))

        self._write(work)

    def append_rollout(self, record: RolloutRecord) -> None:
        self._write(lambda conn: conn.execute(rollouts.insert().values(record.to_row())))

    def rollouts(self, routine: str | None = None) -> list[RolloutRecord]:
        query = sa.select(rollouts)
        if routine is not None:
            query = query.where(rollouts.c.routine == routine)
        query = query.order_by(rollouts.c.recorded_at, rollouts.c.rollout_id)
        return [RolloutRecord.from_row(r) for r in self.read(lambda c: c.execute(query).mappings().all())]

    def version_counts(self, routine: str, version: int, since: str | None) -> dict[str, int]:
        """Runs of `routine` at `version` since `since`, by status, and their current (not
        overridden) outcomes, by verdict: {"status:ok": n, …, "verdict:rejected": n, …}."""
        where = [runs.c.routine == routine, runs.c.version == version]
        if since is not None:
            where.append(runs.c.started_at >= since)
        later = outcomes.alias("later")
        by_status = sa.select(runs.c.status, sa.func.count()).where(*where).group_by(runs.c.status)
        by_verdict = (
            sa.select(outcomes.c.verdict, sa.func.count())
            .select_from(outcomes.join(runs, outcomes.c.run_id == runs.c.run_id))
            .where(*where, ~sa.exists().where(later.c.overrides == outcomes.c.outcome_id))
            .group_by(outcomes.c.verdict)
        )

        def query(conn: Connection) -> dict[str, int]:
            out = {f"status:{s}": int(n) for s, n in conn.execute(by_status).all()}
            out.update({f"verdict:{v}": int(n) for v, n in conn.execute(by_verdict).all()})
            return out

        result: dict[str, int] = self.read(query)
        return result

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


def _parse_url(text: str) -> sa.URL:
    try:
        url = sa.make_url(text)
    except ArgumentError:
        url = None
    if url is None or url.drivername not in ("sqlite", "postgresql", "postgresql+psycopg"):
        raise LedgerError(Code.CONFIG, f"{display_url(text)!r} is not a ledger URL",
                          hint="use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE")
    return url


def _postgres_engine(url: sa.URL) -> Engine:
    query = {k.lower() for k in url.query}
    args: dict[str, Any] = {}
    if "connect_timeout" not in query:
        args["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in query:
        args["application_name"] = "routinec"
    try:
        # pre-ping: a pooled connection the server dropped (a restart) is replaced, not used.
        return sa.create_engine(url.set(drivername="postgresql+psycopg"), connect_args=args,
                                pool_pre_ping=True, pool_size=2, max_overflow=8)
    except ModuleNotFoundError as exc:
        if exc.name != "psycopg":
            raise
        raise LedgerError(Code.MISSING_EXTRA, "a PostgreSQL ledger needs psycopg, which is not installed",
                          hint=extra_hint("postgres")) from None


def _sqlite_engine(path: Path) -> Engine:
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
        cursor.execute("PRAGMA cache_size=-65536")  # up to 64 MiB of pages: bulk inserts touch 5 b-trees
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout instead
        # of one failing with "database is locked" when its read upgrades to a write.
        conn.exec_driver_sql("BEGIN" if conn.info.get("read_only") else "BEGIN IMMEDIATE")

    return engine
