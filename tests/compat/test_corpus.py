"""Our own compatibility corpus (tests/data/compat/*.json, the COMPAT-RULES.md format): each
case's witnesses are checked with jsonschema, and the engine must give the expected levels for
both directions, the expected compatibility and at least the expected findings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from routinec.compat import Level, Report, compare
from tests.compat.conftest import OWN, valid


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(OWN.glob("*.json")):
        data = json.loads(path.read_text())
        cases.extend(data if isinstance(data, list) else [data])
    return cases


CASES = load_cases()
BY_ID = {case["id"]: case for case in CASES}


def worst(report: Report) -> str:
    level = report.worst()
    return (level or Level.INFO).value


def test_corpus_size_and_unique_ids() -> None:
    assert len(CASES) >= 150
    assert len(BY_ID) == len(CASES)


def test_every_rule_family_is_covered() -> None:
    families = {case["id"].split("/")[0] for case in CASES}
    assert {
        "objects",
        "types",
        "enums",
        "numbers",
        "strings",
        "arrays",
        "combinators",
        "refs",
    } <= families


@pytest.mark.parametrize("case_id", sorted(BY_ID))
def test_witnesses(case_id: str) -> None:
    case = BY_ID[case_id]
    old, new, w = case["old"], case["new"], case["witnesses"]
    for value in w["old_only"]:
        assert valid(old, value) and not valid(new, value), value
    for value in w["new_only"]:
        assert valid(new, value) and not valid(old, value), value
    for value in w["both"]:
        assert valid(old, value) and valid(new, value), value
    # the witnesses must not contradict the expected compatibility
    compat = case["expect"]["compatibility"]
    if w["new_only"]:  # new ⊄ old
        assert compat in ("BACKWARD", "NONE")
    if w["old_only"]:  # old ⊄ new
        assert compat in ("FORWARD", "NONE")


@pytest.mark.parametrize("case_id", sorted(BY_ID))
def test_verdicts(case_id: str) -> None:
    case = BY_ID[case_id]
    policy = case["assumptions"].get("policy", "default")
    expect = case["expect"]
    out = compare(case["old"], case["new"], direction="out", policy=policy)
    inp = compare(case["old"], case["new"], direction="in", policy=policy)
    shown = "\n".join(["OUT:", *out.text_lines(), "IN:", *inp.text_lines()])
    assert worst(out) == expect["producer_output"], shown
    assert worst(inp) == expect["consumer_input"], shown
    assert out.compatibility.value == expect["compatibility"], shown
    got = {f"{f.rule_id} {f.path}" for f in out.findings}
    assert set(expect["findings"]) <= got, shown
