"""Soundness with hypothesis-jsonschema: whenever the engine claims new accepts every old value
(BACKWARD or FULL), no value generated from the old schema is rejected by the new one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from routinec.compat import compare
from routinec.compat.values import plain
from tests.compat.conftest import valid
from tests.compat.test_corpus import CASES

# hypothesis-jsonschema 0.23 predates these 2019-09/2020-12 keywords and generates values
# that ignore them; such cases would only be filtered away, slowly
_UNGENERATED = ("prefixItems", "minContains", "maxContains", "dependentRequired", "$schema")
# hypothesis-jsonschema cannot draw from a recursive $ref (HypothesisRefResolutionError)
_RECURSIVE = frozenset({"refs/recursive-defs-property-added", "refs/recursive-root-widened"})
_BACKWARD = [case for case in CASES if case["expect"]["compatibility"] in ("BACKWARD", "FULL")]
# An old schema that accepts nothing (`false`) makes the claim hold for want of values: checked
# directly below instead of by drawing.
_EMPTY = [case for case in _BACKWARD if case["old"] is False]
CLAIMS = [
    case
    for case in _BACKWARD
    if not any(word in json.dumps(case["old"]) for word in _UNGENERATED)
    and case["id"] not in _RECURSIVE
    and case["old"] is not False
]


@pytest.mark.parametrize("case_id", sorted(c["id"] for c in _EMPTY))
def test_claims_from_an_empty_schema_hold_vacuously(case_id: str) -> None:
    case = next(c for c in _EMPTY if c["id"] == case_id)
    for value in (None, 0, "", [], {}, True, "x"):
        assert not valid(case["old"], value)


def test_there_are_claims_to_check() -> None:
    assert len(CLAIMS) >= 60


@pytest.mark.parametrize("case_id", sorted(c["id"] for c in CLAIMS))
def test_backward_claims_hold(case_id: str) -> None:
    from hypothesis_jsonschema import from_schema

    case = next(c for c in CLAIMS if c["id"] == case_id)
    policy = case["assumptions"].get("policy", "default")
    report = compare(case["old"], case["new"], direction="in", policy=policy, search=False)
    if report.compatibility.value not in ("BACKWARD", "FULL"):
        pytest.skip(f"engine does not claim old ⊆ new here ({report.compatibility.value})")
    old: Any = plain(case["old"])
    try:
        strategy = from_schema(old)
    except Exception as exc:  # a keyword hypothesis-jsonschema cannot generate from
        pytest.skip(f"hypothesis-jsonschema cannot generate: {exc}")

    @settings(
        max_examples=10,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        value = data.draw(strategy)
        # hypothesis-jsonschema 0.23 predates prefixItems/maxContains: keep real old values only
        assume(valid(case["old"], value))
        assert valid(case["new"], value), value

    try:
        check()
    except Unsatisfiable:
        pytest.skip("no valid old value generated")
    except Exception as exc:
        if type(exc).__name__ == "HypothesisRefResolutionError":
            pytest.skip("hypothesis-jsonschema cannot generate from recursive references")
        raise
