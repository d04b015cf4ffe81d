"""The environment, read in one place (`config.Env`): ROUTINEC_TODAY pins the date for
lifecycle checks, and a bad value is bad input, not ignored; CI and the other variables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from routinec.config import Env, env
from routinec.diagnostics import DiagnosticError


def test_pinned_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTINEC_TODAY", "2026-11-30")
    assert env().today == dt.date(2026, 11, 30)


def test_unpinned_date_is_the_real_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTINEC_TODAY")
    before = dt.date.today()
    assert env().today in (before, dt.date.today())


@pytest.mark.parametrize("value", ["garbage", "2026-1-01", "2026-13-01"])
def test_bad_date_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ROUTINEC_TODAY", value)
    with pytest.raises(DiagnosticError) as info:
        _ = env().today
    assert info.value.diagnostics[0].code == "config"
    assert value in info.value.diagnostics[0].message


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("TRUE", True), ("yes", True), ("false", False), ("", False), ("0", False)])
def test_ci(value: str, ci: bool) -> None:
    assert Env.read({"CI": value}).ci is ci


def test_every_variable() -> None:
    read = Env.read({
        "ROUTINEC_MODE": "record",
        "ROUTINEC_DEBUG": "1",
        "ROUTINEC_JOBS": "1",
        "ROUTINEC_NO_CACHE": "1",
        "XDG_CACHE_HOME": "/somewhere",
        "ANTHROPIC_API_KEY": "k",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:1",
        "PYTEST_CURRENT_TEST": "x",
    })
    assert read == Env(
        ci=False, mode="record", today_text=None, debug=True, single_process=True, no_cache=True,
        cache_home=Path("/somewhere"), api_key="k", base_url="http://127.0.0.1:1", under_pytest=True,
    )
    empty = Env.read({})
    assert (empty.mode, empty.api_key, empty.base_url, empty.debug, empty.single_process) == (None, None, None, False, False)
