"""Compiler layer: DSL literal values as JSON sees them (shared by check and materials).

In: values from the AST or parsed test inputs. Out: the value as validated and locked
(`canonical.plain_json`). Its own module so check and materials need not import each other.
"""

from __future__ import annotations

from typing import Any

from routinec.canonical import plain_json

__all__ = ["json_value"]


def json_value(value: Any) -> Any:
    """DSL literals and JSON test inputs as validated and locked (`canonical.json_number`)."""
    return plain_json(value)
