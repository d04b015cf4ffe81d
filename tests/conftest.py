"""Suite-wide: "today" is pinned, so model lifecycle checks do not change with the calendar."""

from __future__ import annotations

import pytest

from tests.helpers import DEFAULT_TODAY


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    # Subprocesses get the same date through tests.helpers.cli_env; a test that wants another
    # day sets ROUTINEC_TODAY itself.
    monkeypatch.setenv("ROUTINEC_TODAY", DEFAULT_TODAY)
