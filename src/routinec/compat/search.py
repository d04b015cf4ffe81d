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


class Searcher:
    def __init__(self, old_raw: Any, new_raw: Any, old_root: Node, new_root: Node) -> None:
        self.raw = {"old": old_raw, "new": new_raw}
        self.root = {"old": old_root, "new": new_root}
        self._validators: dict[str, Any] = {}
        self._hypothesis_done: dict[str, tuple[Any] | None] = {}

    def _valid_root(self, value: Any, side: str) -> bool | None:
        return member3(value, self.root[side])

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
                tried = 0
                for local in samples(accept) + samples(reject):
                    if member3(local, accept) is not True or member3(local, reject) is not False:
                        continue
                    doc = embed(trail, local)
                    tried += 1
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
