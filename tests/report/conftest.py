"""Fixtures for the report's tests: the scripted history, built once per worker, copied for
tests that change it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.scripted import TODAY, Scripted, make_history


@pytest.fixture(scope="session")
def scripted_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scripted]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROUTINEC_TODAY", TODAY)
        yield make_history(tmp_path_factory.mktemp("scripted") / "release-bot")


@pytest.fixture
def scripted(scripted_base: Scripted, tmp_path: Path) -> Scripted:
    """A private copy (git repository, lock and ledger) a test may change."""
    root = tmp_path / "release-bot"
    shutil.copytree(scripted_base.root, root, symlinks=True)
    return Scripted(root, dict(scripted_base.run_ids))
