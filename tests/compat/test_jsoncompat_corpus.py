"""The jsoncompat back-compat corpus (MIT, 63 cases) against compare(): serializer ⇔ no ERR
for direction out, deserializer ⇔ no ERR for direction in, and every witness where it says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from routinec.canonical import loads
from routinec.compat import compare
from tests.compat.conftest import JSONCOMPAT, valid

# Disagreements that come from a different assumption, not a bug. xfail(strict): fixing one
# makes its test pass, which fails the run until the entry is removed.
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "additionalprops_expanded": (
        "serializer: COMPAT-RULES additional-properties-opened is INFO for OUT by default: "
        "producers emit declared properties only, so opening the object emits nothing new "
        "(ERR under --policy strict, which agrees with jsoncompat)"
    ),
    "additionalprops_reduced": (
        "deserializer: COMPAT-RULES additional-properties-closed is WARN for IN by default: the "
        "old schema as proxy producer declares no properties, so it emits none the closed "
        "consumer rejects (ERR under --policy strict, which agrees with jsoncompat)"
    ),
    "unsupported_subset_pattern_properties_additional_fallback": (
        "serializer: jsoncompat cannot parse the ECMA-262 escape \\cC and assumes the pattern "
        "may match 'x'; we translate it (it matches only U+0003), so new ⊆ old holds and "
        "removing the optional 'x' is the WARN of property-removed"
    ),
}


def _cases() -> list[str]:
    if not JSONCOMPAT.is_dir():
        return []
    return sorted(p.name for p in JSONCOMPAT.iterdir() if p.is_dir())


def _load(case: str) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    root = JSONCOMPAT / case
    old = loads(root.joinpath("old.json").read_bytes())
    new = loads(root.joinpath("new.json").read_bytes())
    expect = json.loads(root.joinpath("expect.json").read_text())
    examples_file = root / "examples.json"
    examples = loads(examples_file.read_bytes()) if examples_file.is_file() else {}
    return old, new, expect, examples


def _agrees(case: str) -> bool:
    old, new, expect, _ = _load(case)
    out_ok = compare(old, new, direction="out").ok
    in_ok = compare(old, new, direction="in").ok
    return out_ok == expect["serializer"] and in_ok == expect["deserializer"]


pytestmark = pytest.mark.skipif(
    not JSONCOMPAT.is_dir(), reason=f"corpus not found at {JSONCOMPAT} (CI puts shared/ beside)"
)


def test_corpus_is_complete() -> None:
    assert len(_cases()) == 63


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DISAGREEMENTS[c]))
        if c in KNOWN_DISAGREEMENTS
        else c
        for c in _cases()
    ],
)
def test_verdicts(case: str) -> None:
    old, new, expect, _ = _load(case)
    out, inp = compare(old, new, direction="out"), compare(old, new, direction="in")
    assert out.ok == expect["serializer"], "\n".join(out.text_lines())
    assert inp.ok == expect["deserializer"], "\n".join(inp.text_lines())


def _cases_with_examples() -> list[str]:
    return [c for c in _cases() if (JSONCOMPAT / c / "examples.json").is_file()]


def test_witness_cases_exist() -> None:
    assert len(_cases_with_examples()) >= 40


@pytest.mark.parametrize("case", _cases_with_examples())
def test_witnesses(case: str) -> None:
    old, new, _, examples = _load(case)
    assert examples
    for value in examples.get("old_only", []):
        assert valid(old, value) and not valid(new, value), value
    for value in examples.get("new_only", []):
        assert valid(new, value) and not valid(old, value), value
    for value in examples.get("both", []):
        assert valid(old, value) and valid(new, value), value


def test_agreement_count(capsys: pytest.CaptureFixture[str]) -> None:
    cases = _cases()
    agreed = [c for c in cases if _agrees(c)]
    disagreed = sorted(set(cases) - set(agreed))
    with capsys.disabled():
        print(
            f"\njsoncompat corpus: {len(agreed)}/{len(cases)} cases agree; "
            f"known disagreements: {', '.join(disagreed) or 'none'}"
        )
    assert disagreed == sorted(KNOWN_DISAGREEMENTS)


def test_corpus_path_is_relative_to_repo() -> None:
    assert (
        Path(__file__).resolve().parents[3] / "shared/corpora/jsoncompat-backcompat" == JSONCOMPAT
    )
