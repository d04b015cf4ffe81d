"""ROUTINEC_TODAY pins the date for lifecycle checks; a bad value is bad input, not ignored."""

from __future__ import annotations

import datetime as dt

import pytest

from routinec.diagnostics import DiagnosticError
from routinec.modeltable import today


def test_pinned_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTINEC_TODAY", "2026-11-30")
    assert today() == dt.date(2026, 11, 30)


@pytest.mark.parametrize("value", ["garbage", "2026-1-01", "2026-13-01"])
def test_bad_date_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ROUTINEC_TODAY", value)
    with pytest.raises(DiagnosticError) as info:
        today()
    assert info.value.diagnostics[0].code == "config"
    assert value in info.value.diagnostics[0].message
