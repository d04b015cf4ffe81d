"""The pure rollout parts: bucketing's distribution (100,000 keys within ±0.5% of the
weight), its monotonicity (hypothesis: raising the weight never moves a key back to stable),
guard specs and their verdicts, and the channel model's checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.rollout import (
    Canary,
    ChannelError,
    Channels,
    Counts,
    Guard,
    bucket,
    evaluate,
    in_canary,
    parse_guard,
)


@pytest.mark.parametrize("weight", [1, 5, 20, 50, 90])
def test_distribution_over_100000_keys_is_the_weight(weight: int) -> None:
    keys = 100_000
    inside = sum(in_canary("summarize_pr:v2", f"user-{i}", weight) for i in range(keys))
    assert abs(inside / keys * 100 - weight) <= 0.5, (weight, inside)


def test_the_edges_send_none_or_all() -> None:
    assert not any(in_canary("s", str(i), 0) for i in range(2000))
    assert all(in_canary("s", str(i), 100) for i in range(2000))


def test_salt_reshuffles_and_is_sticky() -> None:
    a = [bucket("salt-a", str(i)) for i in range(1000)]
    assert a == [bucket("salt-a", str(i)) for i in range(1000)]  # sticky
    assert a != [bucket("salt-b", str(i)) for i in range(1000)]
    assert min(a) >= 0 and max(a) <= 99


@settings(max_examples=300, deadline=None)
@given(salt=st.text(max_size=20), key=st.text(max_size=40), low=st.integers(0, 100), high=st.integers(0, 100))
def test_raising_the_weight_never_moves_a_key_back(salt: str, key: str, low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    if in_canary(salt, key, low):
        assert in_canary(salt, key, high)


def test_guard_specs() -> None:
    assert parse_guard("rejected<=+5%", 50) == Guard("rejected", Decimal(5), 50)
    assert parse_guard(" error <= 0.5% ", 3) == Guard("error", Decimal("0.5"), 3)
    assert parse_guard("invalid-output<=+0%", 1).max_diff == 0
    for bad in ("rejected<5%", "rejected<=+5", "slow<=+5%", "rejected<=+500%", ""):
        with pytest.raises(ValueError):
            parse_guard(bad, 50)
    with pytest.raises(ValueError, match="at least 1"):
        parse_guard("rejected<=+5%", 0)


def test_guard_verdicts() -> None:
    guard = Guard("rejected", Decimal(5), 10)
    stable = Counts(runs=100, outcomes=100, rejected=10)
    assert evaluate(guard, Counts(runs=9, outcomes=9, rejected=9), stable).state == "pending"
    failing = evaluate(guard, Counts(runs=20, outcomes=20, rejected=6), stable)  # 30% vs 10%
    assert failing.state == "fail" and failing.canary_rate == 30 and failing.stable_rate == 10
    assert "30.0%" in failing.text(guard) and "10.0%" in failing.text(guard)
    assert evaluate(guard, Counts(runs=20, outcomes=20, rejected=3), stable).state == "pass"  # 15%: +5 exactly
    errors = Guard("error", Decimal(0), 5)
    assert evaluate(errors, Counts(runs=5, errors=1), Counts()).state == "fail"  # stable has no runs: 0%
    assert evaluate(errors, Counts(runs=5), Counts(runs=5, errors=5)).state == "pass"


def test_channels_model_checks_every_field() -> None:
    good = {"stable": 1, "canary": {"version": 2, "weight": 20, "salt": "s", "key": "input.repo",
                                    "guard": {"metric": "rejected", "max_diff": 5, "min_outcomes": 50}}}
    parsed = Channels.from_json(good)
    assert parsed.to_json() == good and parsed.versions() == [1, 2]
    assert isinstance(parsed.canary, Canary) and parsed.canary.key_field == "repo"
    for change, message in [
        ({"weight": 101}, "weight must be from 0 to 100"),
        ({"weight": "20"}, "weight must be an integer"),
        ({"key": "repo"}, "key must be null or 'input.FIELD'"),
        ({"salt": ""}, "salt must be a non-empty string"),
        ({"guard": {"metric": "slow", "max_diff": 5, "min_outcomes": 1}}, "metric must be one of"),
    ]:
        with pytest.raises(ChannelError, match=message):
            Channels.from_json({**good, "canary": {**good["canary"], **change}})
    with pytest.raises(ChannelError, match="unknown channel 'beta'"):
        Channels.from_json({"stable": 1, "beta": None})
