"""Suite-wide: "today" is pinned, so model lifecycle checks do not change with the calendar,
and the build cache is one private folder for the session, never the developer's own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from tests.helpers import DEFAULT_TODAY


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    # Subprocesses get the same date through tests.helpers.cli_env; a test that wants another
    # day sets ROUTINEC_TODAY itself.
    monkeypatch.setenv("ROUTINEC_TODAY", DEFAULT_TODAY)


@pytest.fixture(autouse=True, scope="session")
def _private_cache() -> Iterator[None]:
    # Subprocess runs of the CLI inherit it. Sharing it across tests exercises cache hits;
    # tests/compiler/test_build_cache.py checks that hits change nothing.
    with tempfile.TemporaryDirectory(prefix="routinec-test-cache-") as folder:
        old = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = folder
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = old
