"""Bottom layer: a misspelt key behind JSON Schema errors (stdlib only).

In: jsonschema validation errors (duck-typed: `validator`, `instance`, `schema`,
`absolute_path`). Out: the keys an object has that its schema does not allow, each with
the allowed key it most looks like, so a message names `'categroy'` instead of saying that
`'category'` is required and that some other property was unexpected.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Misspelt", "misspelt_keys"]


@dataclass(frozen=True, slots=True)
class Misspelt:
    path: tuple[str | int, ...]  # where the object is (empty: the top level)
    key: str  # the key the schema does not allow
    meant: str | None  # the allowed key it most looks like, if any is close

    def text(self) -> str:
        where = "/".join(str(p) for p in self.path)
        said = f"key {self.key!r}{' at ' + where if where else ''} is not in the schema"
        return f"{said}; did you mean {self.meant!r}?" if self.meant else said


def misspelt_keys(errors: Iterable[Any]) -> list[Misspelt]:
    """One entry per key an `additionalProperties` error rejects, sorted by path and key."""
    out: set[Misspelt] = set()
    for error in errors:
        if getattr(error, "validator", None) != "additionalProperties":
            continue
        instance, schema = error.instance, error.schema
        if not isinstance(instance, dict) or not isinstance(schema, dict):
            continue
        allowed = sorted(str(k) for k in schema.get("properties", {}) or {})
        absent = [k for k in allowed if k not in instance]
        for key in instance:
            if key in allowed:
                continue
            # a required key that is absent is the likelier meaning, so it needs less likeness
            close = difflib.get_close_matches(str(key), absent, n=1, cutoff=0.5) or difflib.get_close_matches(
                str(key), allowed, n=1, cutoff=0.6
            )
            out.add(Misspelt(tuple(error.absolute_path), str(key), close[0] if close else None))
    return sorted(out, key=lambda m: ([str(p) for p in m.path], m.key))
