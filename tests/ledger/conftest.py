"""Fixtures for ledger tests: the runtime tests' locked project and loopback Messages API,
and `backend`, which runs each ledger test on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ledger.backends import (
    Backend,
    Server,
    create_database,
    drop_database,
    reachable,
    unavailable,
)
from tests.runtime.conftest import fake_api, write_project

__all__ = ["backend", "fake_api", "postgres_server", "project"]


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
