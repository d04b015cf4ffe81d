"""Fixtures for ledger tests: the runtime tests' locked project and loopback Messages API,
and `backend`, which runs each ledger test on SQLite and on a real PostgreSQL server.

`recorded_project`: the project after `routinec record` (a subprocess against the loopback
server), for tests whose subject is what comes after a recording. The recording is made once
per session and backend (per xdist worker); each test gets its own copy of the project and
of its ledger (the SQLite file inside the copy, or `CREATE DATABASE … TEMPLATE`)."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import json_lines
from tests.ledger.backends import (
    Backend,
    Server,
    create_database,
    drop_database,
    reachable,
    unavailable,
)
from tests.runtime.conftest import cli_env, fake_api, run_cli, write_project
from tests.support.fake_api import FakeAnthropic

__all__ = ["backend", "fake_api", "postgres_server", "project", "recorded_project"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The server's URL (its `postgres` database: the tests create their own)."""
    url = os.environ.get("ROUTINEC_TEST_POSTGRES_URL")
    if url:
        problem = reachable(url)
        if problem is not None:
            unavailable(f"ROUTINEC_TEST_POSTGRES_URL does not answer: {problem}")
        yield url
        return
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        unavailable("ROUTINEC_TEST_POSTGRES_URL is unset and Debian's postgresql is not installed")
    server = Server.start()
    try:
        yield server.url
    finally:
        server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite")
        return
    server = request.getfixturevalue("postgres_server")
    url = create_database(server)
    chosen = Backend("postgresql", url)
    try:
        yield chosen
    finally:
        chosen.mend_connection_quietly()
        drop_database(server, url)


@pytest.fixture
def project(tmp_path: Path, backend: Backend) -> Path:
    """The runtime tests' locked project, its ledger on `backend`."""
    return backend.configure(write_project(tmp_path / "proj"))


Rows = list[dict[str, Any]]


@pytest.fixture(scope="session")
def _recordings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Backend], tuple[Path, Rows, str | None]]]:
    """Per backend name, made on first use: (recorded project, its `ledger ls` rows, the
    template database's URL on PostgreSQL)."""
    made: dict[str, tuple[Path, Rows, str | None]] = {}
    cleanup: list[tuple[str, str]] = []

    def get(backend: Backend) -> tuple[Path, Rows, str | None]:
        if backend.name not in made:
            server = request.getfixturevalue("postgres_server") if backend.postgres else None
            url = create_database(server) if server is not None else None
            root = Backend(backend.name, url).configure(write_project(tmp_path_factory.mktemp("recorded") / "proj"))
            if server is not None and url is not None:
                cleanup.append((server, url))  # dropped at the end even if recording fails
            with FakeAnthropic() as api:
                done = run_cli(root, "record", env=cli_env(api))
            assert done.returncode == 0, done.stdout + done.stderr
            listed = run_cli(root, "ledger", "ls", "--format", "json")
            assert listed.returncode == 0, listed.stdout + listed.stderr
            made[backend.name] = (root, json_lines(listed.stdout, "run"), url)
        return made[backend.name]

    try:
        yield get
    finally:
        for server_url, url in cleanup:
            drop_database(server_url, url)


@pytest.fixture
def recorded_project(request: pytest.FixtureRequest, project: Path, backend: Backend, _recordings: Callable[[Backend], tuple[Path, Rows, str | None]]) -> Rows:
    """`project` (on `backend`) as `routinec record` of all its routines leaves it: its own copy
    of the files and of the ledger. Returns `ledger ls --format json`'s run records."""
    template, rows, template_url = _recordings(backend)
    shutil.rmtree(project)
    shutil.copytree(template, project, symlinks=True)
    if backend.url is not None and template_url is not None:
        server = request.getfixturevalue("postgres_server")
        name, source = sa.make_url(backend.url).database, sa.make_url(template_url).database
        admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        finally:
            admin.dispose()
        backend.configure(project)  # the copy's settings name the template database
    return copy.deepcopy(rows)

