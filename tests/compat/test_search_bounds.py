"""The counterexample search never hands hypothesis a schema it would spend seconds on."""

from __future__ import annotations

from routinec.compat import compare
from routinec.compat.search import MAX_DRAWN_PATTERN, drawable

_LONG = "(" + "|".join(f"a{i}" for i in range(1200)) + ")+"


def test_long_patterns_are_not_drawn() -> None:
    assert len(_LONG) > MAX_DRAWN_PATTERN
    assert drawable({"type": "string", "pattern": "a+"})
    assert not drawable({"type": "string", "pattern": _LONG})
    assert not drawable({"type": "object", "patternProperties": {_LONG: {}}})


def test_a_long_alternation_change_is_an_explained_warning() -> None:
    old = {"type": "string", "pattern": "a+"}
    report = compare(old, {"type": "string", "pattern": _LONG}, direction="out")
    assert report.worst() is not None and report.worst().name in ("WARN", "ERR")
    assert any("pattern" in f.path or "pattern" in f.message for f in report.findings)


def test_many_patterns_or_branches_are_not_drawn() -> None:
    many_patterns = {"allOf": [{"type": "string", "pattern": f"a{i}.*b{i}"} for i in range(12)]}
    many_branches = {"oneOf": [{"type": "object", "required": [f"k{i}"]} for i in range(50)]}
    assert not drawable(many_patterns)
    assert not drawable(many_branches)
    assert drawable({"allOf": [{"type": "string", "pattern": "a"}, {"pattern": "b"}]})
