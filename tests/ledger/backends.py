"""The two ledger backends the ledger tests run against: a SQLite file in the project, and a
fresh database (its own name, dropped afterwards) on a real PostgreSQL server.

The server: `ROUTINEC_TEST_POSTGRES_URL` (CI exports it: .ci/run starts one with
scripts/test_postgres.sh); unset, a throwaway one is started with that script for the session.
With `CI` set a server that cannot be reached fails the tests (never skips them).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "test_postgres.sh"


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def unavailable(reason: str) -> None:
    """No PostgreSQL here: fail in CI (a skipped test does not count there), skip locally."""
    if _ci():
        pytest.fail(f"PostgreSQL is required when CI is set: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def reachable(url: str) -> str | None:
    """None when `url` answers, else why not."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
        return None
    except sa.exc.SQLAlchemyError as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


@dataclass
class Server:
    """A throwaway server from scripts/test_postgres.sh (stop it, start it again on its data)."""

    url: str
    directory: Path

    @classmethod
    def start(cls) -> Server:
        done = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            unavailable(f"scripts/test_postgres.sh start: {done.stderr.strip()}")
        found = dict(re.findall(r"export (\w+)=(\S+)", done.stdout))
        return cls(found["ROUTINEC_TEST_POSTGRES_URL"], Path(found["ROUTINEC_TEST_POSTGRES_DIR"]))

    @property
    def port(self) -> int:
        port = sa.make_url(self.url).port
        assert port is not None
        return port

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", str(self.directory)], check=True, capture_output=True)

    def remove(self) -> None:
        """Stop it if it runs, and delete its folder."""
        subprocess.run([str(SCRIPT), "stop", str(self.directory)], check=False, capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)

    def start_again(self) -> None:
        """`pg_ctl start` on the same data directory and port (as the script started it)."""
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run([*prefix, str(bins[-1] / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                        str(self.directory / "server.log"), "-w", "-o", options, "start"],
                       check=True, capture_output=True)


def database_url(server_url: str, name: str) -> str:
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def create_database(server_url: str) -> str:
    name = "routinec_test_" + uuid.uuid4().hex[:16]
    admin = sa.create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return database_url(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def closed_port() -> socket.socket:
    """A loopback port bound but not listening (connections are refused) while held."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def set_ledger_setting(project: Path, line: str) -> None:
    """Put `key = value` in the project's [tool.routinec.ledger] table (made if missing),
    replacing the key's earlier value."""
    pyproject = project / "pyproject.toml"
    lines = pyproject.read_text().splitlines()
    key, header = line.split("=")[0].strip(), "[tool.routinec.ledger]"
    if header not in lines:
        lines += ["", header]
    start = end = lines.index(header) + 1
    while end < len(lines) and not lines[end].startswith("["):
        end += 1
    lines[start:end] = [*(x for x in lines[start:end] if x.strip() and x.split("=")[0].strip() != key), line, ""]
    pyproject.write_text("\n".join(lines).rstrip("\n") + "\n")


@dataclass
class Backend:
    """One ledger backend for one test."""

    name: str  # "sqlite" | "postgresql"
    url: str | None = None  # the test's own database (postgresql)
    _blocker: socket.socket | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.name

    @property
    def postgres(self) -> bool:
        return self.name == "postgresql"

    def target(self, directory: Path) -> Path | str:
        """What `Store(...)` takes: the SQLite file in `directory`, or the database URL."""
        return self.url if self.url is not None else directory / "ledger.db"

    def configure(self, project: Path) -> Path:
        """Point the project's ledger at this backend (SQLite: the default file)."""
        if self.url is not None:
            set_ledger_setting(project, f'url = "{self.url}"')
        return project

    def engine(self, project: Path) -> sa.Engine:
        if self.url is not None:
            return sa.create_engine(self.url.replace("postgresql://", "postgresql+psycopg://", 1))
        return sa.create_engine(f"sqlite:///{project / '.routinec' / 'ledger.db'}")

    def query(self, project: Path, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        engine = self.engine(project)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]
        finally:
            engine.dispose()

    def execute(self, project: Path, *statements: str) -> None:
        engine = self.engine(project)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def exists(self, project: Path) -> bool:
        """Whether the ledger has been created (tables in the database, or the file)."""
        if self.url is None:
            if not (project / ".routinec" / "ledger.db").is_file():
                return False
            return bool(self.query(project, "select count(*) from sqlite_master where name = 'runs'")[0][0])
        return bool(self.query(project, "select count(*) from information_schema.tables where table_name = 'runs'")[0][0])

    def rows(self, project: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        return (self.query(project, "select * from runs order by run_id"),
                self.query(project, "select * from outcomes order by outcome_id"))

    def text(self, project: Path) -> str:
        """Everything the ledger holds, as text: the SQLite files' raw bytes, or every row of
        every table of the database (each value as the driver returns it)."""
        if self.url is None:
            files = sorted((project / ".routinec").glob("ledger.db*"))
            assert files
            return "".join(p.read_bytes().decode("utf-8", "replace") for p in files)
        tables = [r[0] for r in self.query(project, "select table_name from information_schema.tables where table_schema = 'public'")]
        assert "runs" in tables
        return "\n".join(str(value) for t in sorted(tables) for row in self.query(project, f'select * from "{t}"') for value in row)

    def break_connection(self, project: Path) -> None:
        """Make the ledger unreachable: a directory where the SQLite file should be; a server
        URL whose port refuses connections."""
        if self.url is None:
            (project / ".routinec" / "ledger.db").mkdir(parents=True)
            return
        self._blocker = closed_port()
        port = self._blocker.getsockname()[1]
        set_ledger_setting(project, f'url = "{database_url(f"postgresql://routinec@127.0.0.1:{port}/x", "x")}"')

    def mend_connection(self, project: Path) -> None:
        if self.url is None:
            (project / ".routinec" / "ledger.db").rmdir()
            return
        self.configure(project)
        if self._blocker is not None:
            self._blocker.close()
            self._blocker = None

    def mend_connection_quietly(self) -> None:
        if self._blocker is not None:
            self._blocker.close()
            self._blocker = None
