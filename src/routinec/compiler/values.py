"""Compiler layer: DSL literal values as JSON sees them (shared by check and materials).

In: values from the AST or parsed test inputs. Out: the value as validated and locked
(`canonical.plain_json`), and `Validated`, the memo of what passed JSON Schema validation.
Its own module so check and materials need not import each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from routinec.canonical import plain_json

__all__ = ["Validated", "json_value"]


def json_value(value: Any) -> Any:
    """DSL literals and JSON test inputs as validated and locked (`canonical.json_number`)."""
    return plain_json(value)


class Validated:
    """Checks that passed JSON Schema validation (a default against its field's schema, a
    test input against its routine's input schema, a consumer schema file against the
    meta-schema), by a digest of what was checked; kept in the build cache, so a re-lock that
    checks what passed before needs no jsonschema (a tenth of a one-edit re-lock).

    The digest is of the `repr` of the plain JSON values (dicts, lists, str, int, Decimal,
    bool, None): equal reprs mean equal values, and a validation's outcome is a function of
    its schema and value. Only passes are kept: a failure is checked again, for its message."""

    def __init__(self, known: Iterable[bytes] = (), *, keep: bool = False) -> None:
        """`keep`: note new passes (for the build cache to file); else `add` does nothing."""
        self._known = set(known)
        self._keep = keep
        self.added: set[bytes] = set()

    @staticmethod
    def _key(what: str, *values: Any) -> bytes | None:
        try:
            text = repr((what, *values))
        except RecursionError:  # nested too deeply to digest: checked every time
            return None
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def passed(self, what: str, *values: Any) -> bool:
        """Whether check `what` (a name for the kind of check) passed before on these values."""
        if not self._known:  # (no digest to make on a first build)
            return False
        key = self._key(what, *values)
        return key is not None and key in self._known

    def add(self, what: str, *values: Any) -> None:
        if not self._keep:
            return
        key = self._key(what, *values)
        if key is not None and key not in self._known:
            self._known.add(key)
            self.added.add(key)

    def merge(self, added: Iterable[bytes]) -> None:
        """Passes another process noted (a forked half of the build: `compiler.fork`)."""
        if not self._keep:
            return
        for key in added:
            if key not in self._known:
                self._known.add(key)
                self.added.add(key)

    def keys(self) -> set[bytes]:
        return set(self._known)
