"""Compat layer: counterexample search, from boundary samples first, then hypothesis-jsonschema.

In: a finding (with its local node pair and trail) and both root schemas. Out: a JSON value
valid under one side and rejected by the other, by the engine's validator; `confirm()` then
checks it with jsonschema. Hypothesis is imported only here, only when sampling failed.
"""

from __future__ import annotations

from typing import Any

from routinec.compat.load import validator_class
from routinec.compat.member import member3
from routinec.compat.node import Node
from routinec.compat.report import Finding
from routinec.compat.sample import embed, samples
from routinec.compat.values import plain

__all__ = ["Searcher"]

MAX_EXAMPLES = 40
# hypothesis builds every value it draws: past this size bound (minItems, minLength, a
# pattern's shortest match) it would allocate in proportion to the bound, so it is skipped
MAX_DRAWN_SIZE = 256
_MIN_KEYS = ("minItems", "minLength", "minProperties", "minContains")
# hypothesis compiles a long pattern into a strategy per example (a 6 KB alternation: ~0.2 s each)
MAX_DRAWN_PATTERN = 500
MAX_DRAWN_PATTERNS = 4
MAX_DRAWN_BRANCHES = 24
# hypothesis-jsonschema canonicalises an enum in time quadratic in its length
MAX_DRAWN_ENUM = 500


def drawable(schema: Any) -> bool:
    """Can hypothesis draw values of `schema` without building huge ones?"""
    from routinec.compat.regex import min_match_length

    stack = [schema]
    patterns = branches = 0
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        # hypothesis-jsonschema merges combinator branches and intersects their patterns
        # before it draws: many of either costs seconds per comparison
        patterns += isinstance(item.get("pattern"), str)
        branches += sum(len(item[k]) for k in ("allOf", "anyOf", "oneOf") if isinstance(item.get(k), list))
        if patterns > MAX_DRAWN_PATTERNS or branches > MAX_DRAWN_BRANCHES:
            return False
        for key in _MIN_KEYS:
            value = item.get(key)
            if isinstance(value, int | float) and value > MAX_DRAWN_SIZE:
                return False
        ref = item.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return False  # never resolved, never fetched
        if isinstance(item.get("enum"), list) and len(item["enum"]) > MAX_DRAWN_ENUM:
            return False
        pattern = item.get("pattern")
        if isinstance(pattern, str) and (
            len(pattern) > MAX_DRAWN_PATTERN or min_match_length(pattern) > MAX_DRAWN_SIZE
        ):
            return False
        for name in item.get("patternProperties") or {}:
            if isinstance(name, str) and (len(name) > MAX_DRAWN_PATTERN or min_match_length(name) > MAX_DRAWN_SIZE):
                return False
        stack.extend(item.values())
    return True


class Searcher:
    def __init__(self, old_raw: Any, new_raw: Any, old_root: Node, new_root: Node) -> None:
        self.raw = {"old": old_raw, "new": new_raw}
        self.root = {"old": old_root, "new": new_root}
        self._validators: dict[str, Any] = {}
        self._hypothesis_done: dict[str, tuple[Any] | None] = {}
        # (accept, reject) node ids -> sampled values in accept and not in reject; the
        # nodes stay alive through the roots, so their ids are stable during the compare
        self._local: dict[tuple[int, int], list[Any]] = {}
        self._roots: dict[tuple[int, str], tuple[Any, bool | None]] = {}
        self._confirmed: dict[tuple[int, str], tuple[Any, bool | None]] = {}

    def local_values(self, accept: Node, reject: Node) -> list[Any]:
        """Sampled values of `accept` that `reject` rejects (by the engine's validator)."""
        key = (id(accept), id(reject))
        found = self._local.get(key)
        if found is None:
            found = [
                v
                for v in samples(accept) + samples(reject)
                if member3(v, accept) is True and member3(v, reject) is False
            ]
            self._local[key] = found
        return found

    def _valid_root(self, value: Any, side: str) -> bool | None:
        # many findings embed the same sampled value: memoise by identity (the value is
        # kept in the memo, so its id cannot be reused while the searcher lives)
        key = (id(value), side)
        hit = self._roots.get(key)
        if hit is None:
            hit = self._roots[key] = (value, member3(value, self.root[side]))
        return hit[1]

    def find(self, finding: Finding, valid_in: str, *, deep: bool = True) -> tuple[Any] | None:
        """A value valid under `valid_in` ("old"/"new") and rejected by the other side.

        Boxed in a 1-tuple, None when nothing was found: the value itself may be null.
        """
        other = "new" if valid_in == "old" else "old"
        if finding.local is not None:
            lo, ln = finding.local
            accept, reject = (lo, ln) if valid_in == "old" else (ln, lo)
            if accept is not None and reject is not None:
                index = 0 if valid_in == "old" else 1
                trail = tuple(step[index] for step in finding.trail)
                proof = [
                    v
                    for v in finding.proof
                    if member3(v, accept) is True and member3(v, reject) is False
                ]
                for tried, local in enumerate(proof + self.local_values(accept, reject), 1):
                    doc = embed(trail, local)
                    if (
                        doc is not None
                        and self._valid_root(doc, valid_in) is True
                        and (self._valid_root(doc, other) is False)
                    ):
                        return (doc,)
                    if tried > 8:
                        break
        for value in samples(self.root[valid_in]):
            if (
                self._valid_root(value, valid_in) is True
                and self._valid_root(value, other) is False
            ):
                return (value,)
        if deep:
            return self._hypothesis(valid_in)
        return None

    def _hypothesis(self, valid_in: str) -> tuple[Any] | None:
        if valid_in in self._hypothesis_done:
            return self._hypothesis_done[valid_in]
        other = "new" if valid_in == "old" else "old"
        found: tuple[Any] | None = None
        if not drawable(self.raw[valid_in]):
            self._hypothesis_done[valid_in] = None
            return None
        try:
            found = (
                _hypothesis_find(
                    plain(self.raw[valid_in]),
                    lambda v: (
                        self._valid_root(v, other) is False
                        and self._valid_root(v, valid_in) is True
                    ),
                ),
            )
        except Exception:  # unsupported by hypothesis-jsonschema, or no example: undecided
            found = None
        self._hypothesis_done[valid_in] = found
        return found

    def confirm(self, value: Any, valid_in: str) -> bool:
        """Check with jsonschema (the real validator) that the counterexample is one."""
        return self.confirm3(value, valid_in) is True

    def confirm3(self, value: Any, valid_in: str) -> bool | None:
        """`confirm`, with None when jsonschema cannot run on the schemas (recursion, regex)."""
        key = (id(value), valid_in)
        hit = self._confirmed.get(key)
        if hit is None:
            hit = self._confirmed[key] = (value, self._confirm3(value, valid_in))
        return hit[1]

    def _confirm3(self, value: Any, valid_in: str) -> bool | None:
        other = "new" if valid_in == "old" else "old"
        try:
            return bool(self._validator(valid_in).is_valid(value)) and not self._validator(
                other
            ).is_valid(value)
        except (RecursionError, Exception):
            return None

    def _validator(self, side: str) -> Any:
        if side not in self._validators:
            schema = self.raw[side]
            self._validators[side] = validator_class(schema)(schema)
        return self._validators[side]


def _hypothesis_find(schema: Any, condition: Any) -> Any:
    import warnings

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis_jsonschema import from_schema

    config = settings(
        max_examples=MAX_EXAMPLES,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return find(from_schema(schema), condition, settings=config)
