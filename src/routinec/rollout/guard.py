"""Rollout layer: canary guards. Parse `rejected<=+5%`; decide from outcome counts.

Metrics: `rejected` ((rejected + rolled-back) / outcomes), `modified` (modified / outcomes),
`invalid-output` (runs whose output failed validation / runs), `error` (failed runs / runs).
A guard is `pending` until the canary has `min_outcomes` observations of the metric's kind
(outcomes for the first two, runs for the others), then `fail` when canary's rate minus
stable's is above the allowed difference, else `pass`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from routinec.rollout.channels import METRICS, Guard

__all__ = ["METRICS", "Counts", "Verdict", "evaluate", "parse_guard"]
_SPEC = re.compile(r"\s*([a-z-]+)\s*<=\s*\+?\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*")


def parse_guard(text: str, min_outcomes: int) -> Guard:
    """`METRIC<=+N%` → a Guard; ValueError with the reason for anything else."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise ValueError(f"guard {text!r} is not METRIC<=+N% (e.g. rejected<=+5%)")
    metric, amount = match.groups()
    if metric not in METRICS:
        raise ValueError(f"unknown guard metric {metric!r}; use one of {', '.join(METRICS)}")
    try:
        diff = Decimal(amount)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"guard {text!r}: {amount!r} is not a number") from None
    if diff > 100:
        raise ValueError(f"guard {text!r}: the difference must be at most 100 percentage points")
    if min_outcomes < 1:
        raise ValueError("--min-outcomes must be at least 1")
    return Guard(metric, diff.normalize() if diff != 0 else Decimal(0), min_outcomes)


@dataclass(frozen=True, slots=True)
class Counts:
    """One version's runs and current outcomes over the canary's window."""

    runs: int = 0
    invalid_output: int = 0  # status invalid-output, refused or max-tokens: no valid output
    errors: int = 0  # status error
    outcomes: int = 0  # current (not superseded) outcomes
    rejected: int = 0  # rejected + rolled-back
    modified: int = 0

    def observed(self, metric: str) -> int:
        return self.outcomes if metric in ("rejected", "modified") else self.runs

    def rate(self, metric: str) -> Decimal | None:
        """Percent, or None with nothing observed."""
        total = self.observed(metric)
        if total == 0:
            return None
        hits = {"rejected": self.rejected, "modified": self.modified,
                "invalid-output": self.invalid_output, "error": self.errors}[metric]
        return Decimal(hits * 100) / Decimal(total)


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str  # pass | fail | pending
    canary_rate: Decimal | None
    stable_rate: Decimal | None
    observed: int  # the canary's observations of the metric
    needed: int

    def text(self, guard: Guard) -> str:
        def pct(value: Decimal | None) -> str:
            return "n/a" if value is None else f"{value:.1f}%"

        if self.state == "pending":
            return f"pending: {self.observed}/{self.needed} canary observations of {guard.metric}"
        return (f"{self.state}: {guard.metric} canary {pct(self.canary_rate)} vs stable {pct(self.stable_rate)} "
                f"(allowed +{guard.max_diff} points)")


def evaluate(guard: Guard, canary: Counts, stable: Counts) -> Verdict:
    observed = canary.observed(guard.metric)
    c_rate, s_rate = canary.rate(guard.metric), stable.rate(guard.metric)
    if observed < guard.min_outcomes:
        return Verdict("pending", c_rate, s_rate, observed, guard.min_outcomes)
    assert c_rate is not None
    worse = c_rate - (s_rate if s_rate is not None else Decimal(0))
    return Verdict("fail" if worse > guard.max_diff else "pass", c_rate, s_rate, observed, guard.min_outcomes)
