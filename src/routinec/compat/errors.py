"""Compat layer: the one error type for input the engine cannot compare.

In: a message and a hint. Out: `SchemaError`, which the CLI renders as one line plus a hint
and exit code 2. Nothing else in `routinec.compat` lets an exception escape on bad input.
"""

from __future__ import annotations

__all__ = ["SchemaError"]


class SchemaError(Exception):
    """A schema (or schema source) that cannot be compared: bad JSON, not a schema, bad $ref."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
